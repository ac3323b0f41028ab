"""Writes ``dummy_data/``: three tiny SCAMPS-format videos and a split CSV.

    python tfds_builders/scamps/make_dummy_data.py

P000001 (train, 66 bpm), P000002 (validation, 90 bpm), P000003 (test,
120 bpm): 48 frames at 30 fps of a 32x40 pulsing face, MATLAB v7.3.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tfds_builders import rppg_synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
VIDEOS = (('P000001', 'train', 66.0), ('P000002', 'val', 90.0),
          ('P000003', 'test', 120.0))


def main():
  os.makedirs(HERE, exist_ok=True)
  t = np.arange(48) / 30.0
  for i, (name, _, hr) in enumerate(VIDEOS):
    frames = rppg_synthetic.face_frames(t, hr, height=32, width=40, noise=0,
                                        seed=i)
    rppg_synthetic.write_scamps_mat(os.path.join(HERE, f'{name}.mat'),
                                    frames, rppg_synthetic.ppg(t, hr))
  with open(os.path.join(HERE, 'scamps_split.csv'), 'w') as f:
    f.write('file,split\n')
    for name, split, _ in VIDEOS:
      f.write(f'{name}.mat,{split}\n')


if __name__ == '__main__':
  main()
