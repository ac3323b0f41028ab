"""PURE: 10 subjects x 6 head-motion setups, PNG frames and a pulse oximeter.

Raw layout in ``manual_dir`` (as distributed)::

    01-01/01-01/Image1392643993642815000.png   # frames, ~30 Hz; the name is
    01-01/01-01/...                            # the time stamp in ns
    01-01/01-01.json   # {"/FullPackage": [{"Timestamp": ns, "Value":
                       #   {"waveform": int, ...}}, ...],   (~60 Hz, uneven)
                       #  "/Image": [{"Timestamp": ns}, ...]}
    01-02/...

Folder ``NN-MM`` is subject ``NN``, setup ``MM``. The PPG is aligned to the
frames **by time stamp** (linear interpolation of the waveform at each
frame's time), never by index: the oximeter's rate is about twice the
camera's and uneven. Frames outside the waveform's time span are cut from
the ends of the video and counted. The frame rate stored is 1 / the
median interval between the frames' time stamps (a few missing frames do
not change it). Splits never share a subject: ``test`` is subjects
``TEST_SUBJECTS`` (08-10), ``train`` subjects 01-07.

Gaps (an interval over ``GAP_FACTOR`` x its median) are never bridged
silently: a gap between frames (missing PNGs) cuts the recording into
gap-free segments, each chunked on its own, so no chunk spans a time jump;
a gap in the PPG (a hole the interpolation would bridge) is reported, and
a chunk with a frame inside it is not labelled (skipped and counted). Both
are listed in the build report (``frame_gaps``, ``ppg_holes``,
``chunks_in_ppg_holes``).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

import numpy as np

from tfds_builders import common
from tfds_builders import rppg_common

TEST_SUBJECTS = (8, 9, 10)
# An interval longer than this times the median interval is a gap.
GAP_FACTOR = 1.5

_INSTRUCTIONS = """\
PURE is distributed by TU Ilmenau after a request (see
https://www.tu-ilmenau.de/en/university/departments/department-of-computer-science-and-automation/profile/institutes-and-groups/institute-of-computer-and-systems-engineering/group-for-neuroinformatics-and-cognitive-robotics/data-sets-code/pulse-rate-detection-dataset-pure).
Unpack it so that the folder passed as --manual_dir contains 01-01/01-01/
(the PNG frames Image<timestamp_ns>.png) and 01-01/01-01.json, and so on for
every NN-MM recording.
"""

_RECORDING = re.compile(r'^(\d\d)-(\d\d)$')
_IMAGE = re.compile(r'^Image(\d+)\.png$')


def read_waveform(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """``(ppg time stamps ns, waveform, image time stamps ns)`` of a JSON."""
  try:
    with open(path) as f:
      data = json.load(f)
    package = data['/FullPackage']
    ts = np.array([int(p['Timestamp']) for p in package], np.int64)
    wave = np.array([float(p['Value']['waveform']) for p in package])
    images = np.array([int(p['Timestamp']) for p in data.get('/Image', [])],
                      np.int64)
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise common.DataError(
        f'{path}: not a PURE recording file (need "/FullPackage" entries '
        f'with "Timestamp" and "Value": {{"waveform"}}): {e!r}') from e
  if len(ts) < 2:
    raise common.DataError(f'{path}: fewer than 2 PPG samples.')
  order = np.argsort(ts, kind='stable')
  ts, wave = ts[order], wave[order]
  if np.any(np.diff(ts) <= 0):
    raise common.DataError(f'{path}: repeated PPG time stamps.')
  return ts, wave, images


def align(frame_ts: np.ndarray, ppg_ts: np.ndarray, wave: np.ndarray
          ) -> tuple[slice, np.ndarray]:
  """Frames inside the PPG's time span and the waveform at their times.

  Returns ``(kept, ppg)``: the slice of frames whose time stamps lie in
  ``[ppg_ts[0], ppg_ts[-1]]`` (a contiguous run, since both are sorted)
  and the waveform linearly interpolated at those times.
  """
  inside = (frame_ts >= ppg_ts[0]) & (frame_ts <= ppg_ts[-1])
  idx = np.flatnonzero(inside)
  if idx.size == 0:
    return slice(0, 0), np.zeros((0,))
  kept = slice(int(idx[0]), int(idx[-1]) + 1)
  # Times relative to the first PPG sample keep float64 exact enough.
  t0 = ppg_ts[0]
  ppg = np.interp((frame_ts[kept] - t0).astype(np.float64),
                  (ppg_ts - t0).astype(np.float64), wave)
  return kept, ppg


def list_frames(folder: str) -> tuple[list[str], np.ndarray]:
  """The PNG paths of a recording sorted by time, and their stamps (ns)."""
  entries = []
  for name in os.listdir(folder):
    match = _IMAGE.match(name)
    if match:
      entries.append((int(match.group(1)), os.path.join(folder, name)))
  entries.sort()
  return [p for _, p in entries], np.array([t for t, _ in entries], np.int64)


def frame_segments(frame_ts: np.ndarray
                   ) -> tuple[float, list[tuple[int, int]], np.ndarray]:
  """``(fps, segments, gaps)`` of sorted frame time stamps (ns).

  ``fps`` is 1 / the median interval; ``gaps`` the indices ``i`` whose
  interval ``frame_ts[i + 1] - frame_ts[i]`` exceeds ``GAP_FACTOR`` x the
  median; ``segments`` the gap-free ``[start, stop)`` index runs between.
  """
  dt = np.diff(frame_ts)
  median = float(np.median(dt))
  if not median > 0:
    raise common.DataError('repeated frame time stamps (median interval 0).')
  gaps = np.flatnonzero(dt > GAP_FACTOR * median)
  bounds = [0, *(gaps + 1).tolist(), len(frame_ts)]
  segments = list(zip(bounds[:-1], bounds[1:]))
  return 1e9 / median, segments, gaps


def ppg_holes(ppg_ts: np.ndarray) -> np.ndarray:
  """Indices ``j`` of the PPG intervals ``[ppg_ts[j], ppg_ts[j + 1]]``
  longer than ``GAP_FACTOR`` x the median interval."""
  dt = np.diff(ppg_ts)
  return np.flatnonzero(dt > GAP_FACTOR * float(np.median(dt)))


def in_holes(frame_ts: np.ndarray, ppg_ts: np.ndarray, holes: np.ndarray
             ) -> np.ndarray:
  """Per frame: its time lies strictly inside one of the PPG ``holes``."""
  out = np.zeros(len(frame_ts), bool)
  for j in holes:
    out |= (frame_ts > ppg_ts[j]) & (frame_ts < ppg_ts[j + 1])
  return out


def _summary(s: dict) -> str:
  gaps, holes = s['frame_gaps'], s['ppg_holes']
  return (f'{rppg_common._summary(s)}; {len(gaps)} frame gaps (recording '  # pylint: disable=protected-access
          f'cut there, no chunk spans one) {gaps[:10]}; {len(holes)} PPG '
          f'holes {holes[:10]}; {s["chunks_in_ppg_holes"]} chunks with '
          'frames in a PPG hole not labelled (skipped)')


def build_report() -> common.BuildReport:
  """The heart-rate counts plus PURE's gaps (see the module docstring)."""
  base = rppg_common.build_report()
  return common.BuildReport(
      counters=base.counters + ('chunks_in_ppg_holes',),
      lists=base.lists + ('frame_gaps', 'ppg_holes'), summary=_summary)


def read_png(path: str) -> np.ndarray:
  import cv2  # pylint: disable=g-import-not-at-top
  frame = cv2.imread(path, cv2.IMREAD_COLOR)
  if frame is None:
    raise common.DataError(f'{path}: OpenCV cannot read this PNG '
                                '(missing or corrupt).')
  return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


class Builder(rppg_common.RppgBuilder):
  """DatasetBuilder for PURE."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
  _DESCRIPTION = ('PURE: 10 subjects in 6 head-motion setups filmed at 30 '
                  'Hz with a finger pulse oximeter (~60 Hz); chunks of '
                  'face-crop frames with the waveform aligned by time stamp '
                  'and its heart rate.')
  _HOMEPAGE = ('https://www.tu-ilmenau.de/neurob/data-sets-code/'
               'pulse-rate-detection-dataset-pure')

  def _videos(self, manual_dir: str) -> dict[str, list[Any]]:
    out = {'train': [], 'test': []}
    for name in sorted(os.listdir(manual_dir)):
      match = _RECORDING.match(name)
      if not match or not os.path.isdir(os.path.join(manual_dir, name)):
        continue
      frames = os.path.join(manual_dir, name, name)
      wave = os.path.join(manual_dir, name, f'{name}.json')
      if not os.path.isdir(frames):
        raise common.DataError(
            f'pure: the frame folder {frames} is missing.\n{_INSTRUCTIONS}')
      if not os.path.isfile(wave):
        raise common.DataError(
            f'pure: the waveform file {wave} is missing.\n{_INSTRUCTIONS}')
      subject = int(match.group(1))
      split = 'test' if subject in TEST_SUBJECTS else 'train'
      out[split].append((name, subject, frames, wave))
    return out

  def _load(self, entry) -> dict[str, Any]:
    name, subject, folder, wave_path = entry
    split = 'test' if subject in TEST_SUBJECTS else 'train'
    paths, frame_ts = list_frames(folder)
    if len(paths) < 2:
      raise common.DataError(f'{folder}: fewer than 2 Image<ns>.png '
                                  'frames.')
    ppg_ts, wave, image_ts = read_waveform(wave_path)
    if image_ts.size and not np.array_equal(np.sort(image_ts), frame_ts):
      self._report.add(split, 'notes', f'{name}: the "/Image" time stamps '
                       f'({image_ts.size}) differ from the PNG names '
                       f'({frame_ts.size}); the PNG names were used')
    kept, ppg = align(frame_ts, ppg_ts, wave)
    cut = len(paths) - (kept.stop - kept.start)
    if cut:
      self._report.add(split, 'notes', f'{name}: {cut} frames outside the '
                       'PPG recording cut from the ends')
    t0 = frame_ts[0]  # report positions: seconds from the first PNG
    frame_ts = frame_ts[kept]
    if len(frame_ts) < 2:
      raise common.DataError(f'{name}: no frames inside the PPG\'s '
                                  'time span.')
    try:
      fps, segments, gaps = frame_segments(frame_ts)
    except common.DataError as e:
      raise common.DataError(f'{folder}: {e}') from e
    median_ns = 1e9 / fps
    for i in gaps:
      dt = frame_ts[i + 1] - frame_ts[i]
      # (video, seconds from the first PNG, gap length s, frames missing)
      self._report.add(split, 'frame_gaps', (
          name, round(float(frame_ts[i] - t0) * 1e-9, 3),
          round(float(dt) * 1e-9, 3),
          int(round(dt / median_ns)) - 1))
    holes = ppg_holes(ppg_ts)
    for j in holes:
      # (video, seconds from the first PNG, hole length s)
      self._report.add(split, 'ppg_holes', (
          name, round(float(ppg_ts[j] - t0) * 1e-9, 3),
          round(float(ppg_ts[j + 1] - ppg_ts[j]) * 1e-9, 3)))
    stream: Iterator[np.ndarray] = (read_png(p) for p in paths[kept])
    frames, found = self._cropper.crop_stream(stream, folder)
    return dict(frames=frames, face_detected=found, ppg=ppg, fps=float(fps),
                subject=f'{subject:02d}', video_id=name, segments=segments,
                in_ppg_hole=in_holes(frame_ts, ppg_ts, holes))

  def _build_report(self) -> common.BuildReport:
    return build_report()
