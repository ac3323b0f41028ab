"""UBFC-rPPG (DATASET_2): face videos with a contact PPG, 42 subjects.

Raw layout in ``manual_dir`` (as distributed)::

    subject1/vid.avi            # 640x480, 30 fps, uncompressed
    subject1/ground_truth.txt   # line 1: PPG waveform (whitespace-separated
                                # floats, one per frame); line 2: the
                                # device's HR; line 3: time stamps (s)
    subject3/...

Only the waveform (line 1) is used; heart rate is recomputed from it per
chunk. Splits never share a subject: ``test`` is the fixed list
``TEST_SUBJECTS`` (the 12 highest subject numbers of DATASET_2), ``train``
every other subject folder present.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

import numpy as np

from tfds_builders import common
from tfds_builders import rppg_common

# DATASET_2's subject numbers are 1, 3-5, 8-18, 20, 22-27, 30-49 (42).
TEST_SUBJECTS = tuple(range(38, 50))  # subject38 ... subject49

_INSTRUCTIONS = """\
UBFC-rPPG is distributed by its authors after a request (see
https://sites.google.com/view/ybenezeth/ubfcrppg). Download DATASET_2 and
unpack it so that the folder passed as --manual_dir contains
subject1/vid.avi, subject1/ground_truth.txt, subject3/..., one folder per
subject (the folder names 'subjectN' are used as subject ids).
"""

_SUBJECT = re.compile(r'^subject(\d+)$')


def read_ground_truth(path: str) -> np.ndarray:
  """The PPG waveform: the first line of ``ground_truth.txt``."""
  with open(path) as f:
    first = f.readline()
  try:
    wave = np.array([float(v) for v in first.split()], np.float64)
  except ValueError as e:
    raise common.DataError(
        f'{path}: the first line must be the PPG waveform as '
        f'whitespace-separated numbers ({e}).') from e
  if wave.size < 2:
    raise common.DataError(f'{path}: the first line holds no PPG '
                                'waveform.')
  return wave


def read_video(path: str) -> tuple[Iterator[np.ndarray], float]:
  """``(RGB uint8 frames, one at a time; fps)`` of a video file."""
  import cv2  # pylint: disable=g-import-not-at-top
  cap = cv2.VideoCapture(path)
  if not cap.isOpened():
    raise common.DataError(f'{path}: OpenCV cannot open this video '
                                '(missing, corrupt, or an unknown codec).')
  fps = float(cap.get(cv2.CAP_PROP_FPS))

  def frames():
    try:
      while True:
        ok, frame = cap.read()
        if not ok:
          return
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
      cap.release()

  return frames(), fps


class Builder(rppg_common.RppgBuilder):
  """DatasetBuilder for UBFC-rPPG DATASET_2."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
  _DESCRIPTION = ('UBFC-rPPG DATASET_2: 42 subjects filmed at 30 fps while '
                  'a pulse oximeter recorded their PPG; chunks of face-crop '
                  'frames with the aligned waveform and its heart rate.')
  _HOMEPAGE = 'https://sites.google.com/view/ybenezeth/ubfcrppg'

  def _videos(self, manual_dir: str) -> dict[str, list[Any]]:
    out = {'train': [], 'test': []}
    for name in sorted(os.listdir(manual_dir)):
      match = _SUBJECT.match(name)
      folder = os.path.join(manual_dir, name)
      if not match or not os.path.isdir(folder):
        continue
      for f in ('vid.avi', 'ground_truth.txt'):
        if not os.path.isfile(os.path.join(folder, f)):
          raise common.DataError(
              f'ubfc_rppg: {os.path.join(folder, f)} is missing.\n'
              f'{_INSTRUCTIONS}')
      number = int(match.group(1))
      split = 'test' if number in TEST_SUBJECTS else 'train'
      out[split].append((number, folder))
    for split in out:
      out[split].sort()
    return out

  def _load(self, entry) -> dict[str, Any]:
    number, folder = entry
    path = os.path.join(folder, 'vid.avi')
    stream, fps = read_video(path)
    frames, found = self._cropper.crop_stream(stream, path)
    gt = os.path.join(folder, 'ground_truth.txt')
    wave = read_ground_truth(gt)
    if len(wave) != len(frames):
      # The waveform is sampled once per frame; a few samples' difference
      # is tolerated by resampling onto the frames, more is an error.
      if abs(len(wave) - len(frames)) > max(2, 0.01 * len(frames)):
        raise common.DataError(
            f'{gt}: {len(wave)} PPG samples for {len(frames)} frames of '
            'vid.avi; they should match one to one.')
      self._report.add('train' if number not in TEST_SUBJECTS else 'test',
                       'notes', f'subject{number}: PPG resampled from '
                       f'{len(wave)} to {len(frames)} samples')
      wave = np.interp(np.linspace(0, len(wave) - 1, len(frames)),
                       np.arange(len(wave)), wave)
    if not fps > 0:
      raise common.DataError(f'{folder}/vid.avi: no frame rate in the '
                                  'file header.')
    return dict(frames=frames, face_detected=found, ppg=wave, fps=fps,
                subject=f'subject{number}', video_id=f'subject{number}')
