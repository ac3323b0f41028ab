"""Writes ``dummy_data/``: three tiny UBFC-rPPG subjects.

    python tfds_builders/ubfc_rppg/make_dummy_data.py

subject1 and subject3 (train; 66 and 90 bpm) and subject40 (test; 120 bpm):
24 frames at 30 fps of a 32x40 pulsing face (MJPG AVI) and
ground_truth.txt.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tfds_builders import rppg_synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
SUBJECTS = ((1, 66.0), (3, 90.0), (40, 120.0))


def main():
  t = np.arange(24) / 30.0
  for i, (number, hr) in enumerate(SUBJECTS):
    frames = rppg_synthetic.face_frames(t, hr, height=32, width=40, noise=0,
                                        seed=i)
    rppg_synthetic.write_ubfc_subject(
        os.path.join(HERE, f'subject{number}'), frames,
        rppg_synthetic.ppg(t, hr), 30.0)


if __name__ == '__main__':
  main()
