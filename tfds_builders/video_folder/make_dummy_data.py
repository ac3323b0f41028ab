"""Writes ``dummy_data/``: three tiny videos, ``labels.csv`` and one corrupt
file, for the builder harness (a few KB).

    python tfds_builders/video_folder/make_dummy_data.py

- ``a.mp4`` (mp4v): 30 frames at 10 fps, 16x12, a square moving at 1.0 Hz;
  labelled 1.0 Hz, split train.
- ``sub/b.mkv`` (XVID): 30 frames at 10 fps, 12x16, colour pulsing at
  2.0 Hz; unlabelled (empty target), split train.
- ``c.webm`` (VP80): 60 frames at 20 fps, 16x16, a square moving at 1.5 Hz;
  labelled 1.5 Hz, split test (3 s: 30 frames once resampled to 10 fps).
- ``broken.mp4``: 200 random bytes (the build report lists it).
- ``labels.csv`` also names ``missing.mp4``, which is not there.
"""

import math
import os

import cv2
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
# file, fourcc, fps, frames, (width, height), motion, Hz
VIDEOS = (('a.mp4', 'mp4v', 10.0, 30, (16, 12), 'move', 1.0),
          ('sub/b.mkv', 'XVID', 10.0, 30, (12, 16), 'pulse', 2.0),
          ('c.webm', 'VP80', 20.0, 60, (16, 16), 'move', 1.5))
LABELS = 'file,target,split\na.mp4,1.0,train\nsub/b.mkv,,train\n' \
         'c.webm,1.5,test\nmissing.mp4,2.5,\n'


def frame(motion, hz, t, size):
  w, h = size
  img = np.full((h, w, 3), 40, np.uint8)
  s = math.sin(2 * math.pi * hz * t)
  if motion == 'move':
    x = int(round(w / 2 + 0.3 * w * s))
    cv2.rectangle(img, (x - 2, h // 2 - 2), (x + 2, h // 2 + 2),
                  (60, 200, 240), -1)
  else:
    img[h // 4:3 * h // 4, w // 4:3 * w // 4] = int(130 + 100 * s)
  return img


def main():
  os.makedirs(os.path.join(HERE, 'sub'), exist_ok=True)
  for name, fourcc, fps, n, size, motion, hz in VIDEOS:
    writer = cv2.VideoWriter(os.path.join(HERE, name),
                             cv2.VideoWriter_fourcc(*fourcc), fps, size)
    for k in range(n):
      writer.write(frame(motion, hz, k / fps, size))
    writer.release()
  with open(os.path.join(HERE, 'broken.mp4'), 'wb') as f:
    f.write(np.random.default_rng(0).integers(0, 256, 200,
                                              dtype=np.uint8).tobytes())
  with open(os.path.join(HERE, 'labels.csv'), 'w') as f:
    f.write(LABELS)


if __name__ == '__main__':
  main()
