"""UBFC-rPPG (DATASET_2): face videos with a contact PPG, 42 subjects.

Raw layout in ``manual_dir`` (as distributed)::

    subject1/vid.avi            # 640x480, 30 fps, uncompressed
    subject1/ground_truth.txt   # line 1: PPG waveform (whitespace-separated
                                # floats, one per frame); line 2: the
                                # device's HR; line 3: time stamps (s)
    subject3/...

Only the waveform is used (found by what each line holds, not by its
position: ``read_ground_truth``); heart rate is recomputed from it per
chunk. Subject folders are matched case-insensitively (``Subject3``);
other folders holding a ``vid.avi`` are listed in the build report. Splits never share a subject: ``test`` is the fixed list
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

_SUBJECT = re.compile(r'^subject(\d+)$', re.IGNORECASE)


def _is_ramp(x: np.ndarray) -> bool:
  """Time stamps: never decreasing, and rising overall."""
  return x.size > 2 and bool(np.all(np.diff(x) >= 0)) and x[-1] > x[0]


def _is_heart_rate(x: np.ndarray) -> bool:
  """A device heart rate: bpm values that hold for several samples."""
  return (x.size > 2 and bool(np.all((x >= 20) & (x <= 300)))
          and float(np.mean(np.diff(x) == 0)) >= 0.5)


def read_ground_truth(path: str) -> np.ndarray:
  """The PPG waveform of ``ground_truth.txt``.

  The file holds three lines: the PPG waveform, the device's heart rate
  and the time stamps, documented in that order. Each line is recognised
  (time stamps: a rising ramp; heart rate: bpm values held for several
  samples; the PPG: neither), so the PPG is found wherever it is; an error
  names the file when no single line can be the PPG.
  """
  with open(path) as f:
    text = f.read()
  lines = []
  for number, line in enumerate(text.splitlines(), start=1):
    if not line.strip():
      continue
    try:
      lines.append((number, np.array([float(v) for v in line.split()],
                                     np.float64)))
    except ValueError as e:
      raise common.DataError(
          f'{path}, line {number}: expected whitespace-separated numbers '
          f'(PPG, heart rate or time stamps) ({e}).') from e
  if not lines:
    raise common.DataError(f'{path}: empty; expected the PPG waveform, the '
                           'heart rate and the time stamps, one per line.')
  kinds = {n: ('time stamps' if _is_ramp(x) else 'heart rate'
               if _is_heart_rate(x) else 'PPG?') for n, x in lines}
  ppg = [(n, x) for n, x in lines if kinds[n] == 'PPG?']
  first = lines[0][0]
  if len(ppg) > 1 and ppg[0][0] == first:
    ppg = ppg[:1]  # the documented order: the PPG first
  if len(ppg) != 1 or ppg[0][1].size < 2:
    seen = '; '.join(f'line {n}: {x.size} values, {kinds[n]}'
                     for n, x in lines)
    raise common.DataError(
        f'{path}: cannot tell which line is the PPG waveform ({seen}). '
        'UBFC-rPPG DATASET_2 ground_truth.txt holds the PPG (one sample '
        'per frame), the heart rate and the time stamps, one per line; '
        'fix or re-download the file.')
  return ppg[0][1]


def read_video(path: str) -> tuple[Iterator[np.ndarray], float, int]:
  """``(RGB uint8 frames, one at a time; fps; frames in the header)``.

  The header's frame count (0 when unknown) tells a truncated file, which
  decodes fewer frames, from a complete one.
  """
  import cv2  # pylint: disable=g-import-not-at-top
  cap = cv2.VideoCapture(path)
  if not cap.isOpened():
    raise common.DataError(f'{path}: OpenCV cannot open this video '
                                '(missing, corrupt, or an unknown codec).')
  fps = float(cap.get(cv2.CAP_PROP_FPS))
  declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)
  declared = int(declared) if declared and declared > 0 else 0

  def frames():
    try:
      while True:
        ok, frame = cap.read()
        if not ok:
          return
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
      cap.release()

  return frames(), fps, declared


class Builder(rppg_common.RppgBuilder):
  """DatasetBuilder for UBFC-rPPG DATASET_2."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
  _DESCRIPTION = ('UBFC-rPPG DATASET_2: 42 subjects filmed at 30 fps while '
                  'a pulse oximeter recorded their PPG; chunks of face-crop '
                  'frames with the aligned waveform and its heart rate.')
  _HOMEPAGE = 'https://sites.google.com/view/ybenezeth/ubfcrppg'

  def _videos(self, manual_dir: str) -> dict[str, list[Any]]:
    out = {'train': [], 'test': []}
    seen, self._unusable = {}, []
    for name in sorted(os.listdir(manual_dir)):
      match = _SUBJECT.match(name)
      folder = os.path.join(manual_dir, name)
      if not os.path.isdir(folder):
        continue
      if not match:
        if os.path.isfile(os.path.join(folder, 'vid.avi')):
          self._unusable.append(name)
        continue
      for f in ('vid.avi', 'ground_truth.txt'):
        if not os.path.isfile(os.path.join(folder, f)):
          raise common.DataError(
              f'ubfc_rppg: {os.path.join(folder, f)} is missing.\n'
              f'{_INSTRUCTIONS}')
      number = int(match.group(1))
      if number in seen:
        raise common.DataError(
            f'ubfc_rppg: {seen[number]} and {folder} are both subject '
            f'{number}; keep one.')
      seen[number] = folder
      split = 'test' if number in TEST_SUBJECTS else 'train'
      out[split].append((number, folder))
    for split in out:
      out[split].sort()
    if self._unusable:
      print(f'ubfc_rppg: {len(self._unusable)} folders in {manual_dir} hold '
            'a vid.avi but are not named subject<N> and are not used: '
            f'{self._unusable}; rename them subject<N> to use them.',
            flush=True)
      if not any(out.values()):
        raise common.DataError(
            f'ubfc_rppg: no folder in {manual_dir} is named subject<N>; '
            f'these hold a vid.avi: {self._unusable}. Rename each to '
            'subject<N> (its UBFC subject number).')
    return out

  def _split_generators(self, dl_manager):
    generators = super()._split_generators(dl_manager)
    if self._unusable:
      for split in generators:
        self._report.note(
            split, f'not used, folders with a vid.avi not named '
            f'subject<N>: {self._unusable}')
    return generators

  def _load(self, entry) -> dict[str, Any]:
    number, folder = entry
    path = os.path.join(folder, 'vid.avi')
    gt = os.path.join(folder, 'ground_truth.txt')
    wave = read_ground_truth(gt)  # before the long decode: fail early
    stream, fps, declared = read_video(path)
    frames, found = self._cropper.crop_stream(stream, path)
    if declared and len(frames) < declared and len(wave) != len(frames):
      raise common.DataError(
          f'{path}: only {len(frames)} frames decode of the {declared} its '
          f'header declares ({gt} has {len(wave)} PPG samples): the video '
          'is truncated or corrupt; re-download or re-extract it.')
    if len(wave) != len(frames):
      # The waveform is sampled once per frame; a few samples' difference
      # is tolerated by resampling onto the frames, more is an error.
      if abs(len(wave) - len(frames)) > max(2, 0.01 * len(frames)):
        complete = (f'{path} is complete ({declared} frames in its header)'
                    if declared == len(frames) else
                    f'{path} decodes {len(frames)} frames')
        raise common.DataError(
            f'{gt}: {len(wave)} PPG samples for {len(frames)} frames of '
            f'vid.avi; they should match one to one ({complete}); check or '
            're-download ground_truth.txt.')
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
