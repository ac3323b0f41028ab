"""Writes ``dummy_data/``: Countix CSVs in the real column layout and a few
tiny clips, some rows deliberately without a clip (the missing-clip case).

    python tfds_builders/countix/make_dummy_data.py

Each clip is 4 s at 10 fps, 32x40 pixels, of a disc moving back and forth
``count`` times within the annotated repetition segment (still before and
after it).
"""

import math
import os

import cv2
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
FPS = 10.0
# split, video_id, class, kinetics start/end, repetition start/end, count,
# clip file name (None: missing, as many YouTube videos are).
ROWS = (
    ('train', 'aaaaaaaaaaa', 'jumping jacks', 20, 24, 20.5, 23.5, 3,
     'aaaaaaaaaaa.mp4'),
    ('train', 'bbbbbbbbbbb', 'squat', 5, 9, 5.0, 8.0, 2,
     'bbbbbbbbbbb_000005_000009.mp4'),
    ('train', 'ccccccccccc', 'push up', 30, 34, 30.5, 33.5, 4, None),
    ('validation', 'ddddddddddd', 'clapping', 0, 4, 0.5, 3.5, 5,
     'ddddddddddd.mp4'),
    ('test', 'eeeeeeeeeee', '', 12, 16, 12.0, 15.0, 3,
     'eeeeeeeeeee_000012_000016.mp4'),
    ('test', 'fffffffffff', '', 40, 44, 40.5, 42.5, 2, None),
)
_CSV = {'train': 'countix_train.csv', 'validation': 'countix_val.csv',
        'test': 'countix_test.csv'}


def write_clip(path, k_start, r_start, r_end, count):
  writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                           (40, 32))
  for k in range(int(4 * FPS)):
    t = k_start + k / FPS
    u = min(max((t - r_start) / (r_end - r_start), 0.0), 1.0)
    x = 20 + 12 * math.sin(2 * math.pi * count * u)
    frame = np.full((32, 40, 3), 60, np.uint8)
    cv2.circle(frame, (int(round(x)), 16), 5, (40, 220, 240), -1)
    writer.write(frame)
  writer.release()


def main():
  os.makedirs(HERE, exist_ok=True)
  for split, name in _CSV.items():
    with open(os.path.join(HERE, name), 'w') as f:
      cols = ['video_id'] + (['class'] if split != 'test' else []) + [
          'kinetics_start', 'kinetics_end', 'repetition_start',
          'repetition_end', 'count']
      f.write(','.join(cols) + '\n')
      for row in ROWS:
        if row[0] != split:
          continue
        _, vid, cls, ks, ke, rs, re_, count, _ = row
        values = [vid] + ([cls] if split != 'test' else []) + [
            ks, ke, rs, re_, count]
        f.write(','.join(str(v) for v in values) + '\n')
  os.makedirs(os.path.join(HERE, 'clips'), exist_ok=True)
  for _, _, _, ks, _, rs, re_, count, clip in ROWS:
    if clip:
      write_clip(os.path.join(HERE, 'clips', clip), ks, rs, re_, count)


if __name__ == '__main__':
  main()
