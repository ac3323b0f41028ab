"""A folder of the user's videos, cut into fixed windows (``video_folder``).

Every video below ``path`` that OpenCV can read (``.mp4``, ``.avi``,
``.mov``, ``.mkv``, ``.webm``; any resolution and frame rate) is decoded
frame by frame, each frame centre-cropped to a square and resized to
``size`` x ``size`` (``cv2.INTER_AREA``; the aspect ratio is kept by the
crop, the sides beyond the square are lost), resampled in time to ``fps``
by linear interpolation between neighbouring frames, and cut into windows
of ``num_frames`` frames every ``hop`` frames. Every window of a video is in
the same split: the ``split`` column of ``labels.csv`` where it names one,
else a seeded random ``test_fraction`` of the files.

The optional ``path/labels.csv`` (columns ``file``, the path relative to
``path``, and ``target``, in the experiment's ``data.target_unit``; an empty
target leaves the file unlabelled) labels some, all or none of the files.
Unlabelled windows have ``target`` NaN and ``labelled`` False: they serve
pretraining only.

Nothing is dropped silently: unreadable, empty, still (every frame the
same) and too-short files, truncated files (fewer frames decode than the
header declares; the ones that do are used), labels naming no file,
unusable label rows and files not read for their name (hidden, another
extension) are listed in the build report,
printed per split and stored in ``info.metadata['build_report']`` (per-file
facts in ``info.metadata['files']``). Memory: one video's frames (already
downsized) at a time. The steps shared with ``time_series`` are in
``tfds_builders.folder_builder``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Iterator

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import common
from tfds_builders import folder_builder
from tfds_builders import folders

DataError = common.DataError
EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
_VIDEO_ENCODING = tfds.features.Encoding.BYTES
_CHUNK = 64  # output frames interpolated at once (float32 scratch)
_LISTS = ('truncated_files',)  # beyond folders.build_report's


@dataclasses.dataclass(eq=False)
class VideoFolderConfig(folder_builder.FolderConfig, tfds.core.BuilderConfig):
  """What a build reads and how it cuts it.

  Attributes:
    path: the folder of videos (absolute).
    fps: the frame rate every video is resampled to (> 0).
    size: side of the square frames.
    num_frames: frames per window.
    hop: frames between window starts (0: ``num_frames // 2``).
    test_fraction: share of the files (without a ``split`` column entry)
      put in ``test``, seeded by ``split_seed``.
    split_seed: seed of the file -> split draw.
  """
  path: str = ''
  fps: float = 0.0
  size: int = 64
  num_frames: int = 64
  hop: int = 0
  test_fraction: float = 0.2
  split_seed: int = 0

  def __post_init__(self):
    self.check('video_folder', (('size', 4), ('num_frames', 2), ('hop', 0)))


# ---------------------------------------------------------------- reading


class Unusable(Exception):
  """A file that gives no frames: ``kind`` is ``unreadable`` or ``empty``."""

  def __init__(self, kind: str, reason: str):
    super().__init__(reason)
    self.kind = kind


def _square(frame: np.ndarray, size: int) -> np.ndarray:
  """A decoded frame (BGR, BGRA or gray) -> centre square, ``size``, RGB."""
  import cv2  # pylint: disable=g-import-not-at-top
  if frame.ndim == 2:
    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
  elif frame.shape[2] == 4:
    frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
  if frame.dtype != np.uint8:  # e.g. 16-bit: scale to 8 bits
    top = float(np.iinfo(frame.dtype).max) if frame.dtype.kind in 'iu' else 1.
    frame = np.clip(frame.astype(np.float64) * (255.0 / top), 0, 255)
    frame = frame.astype(np.uint8)
  h, w = frame.shape[:2]
  side = min(h, w)
  y0, x0 = (h - side) // 2, (w - side) // 2
  crop = frame[y0:y0 + side, x0:x0 + side]
  out = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
  return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


def header_rate(path: str) -> float:
  """The frame rate in a video's header (0 when absent or unreadable)."""
  import cv2  # pylint: disable=g-import-not-at-top
  cap = cv2.VideoCapture(path)
  try:
    rate = float(cap.get(cv2.CAP_PROP_FPS)) if cap.isOpened() else 0.0
  finally:
    cap.release()
  return rate if math.isfinite(rate) and rate > 0 else 0.0


def read_video(path: str, size: int, facts: dict | None = None
               ) -> tuple[np.ndarray, np.ndarray, float]:
  """Every frame of a video, downsized, with its time stamp.

  Frame ``k`` is at ``k / header rate``; without a rate in the header, at
  the decoder's ``CAP_PROP_POS_MSEC`` when those increase strictly.
  ``facts``, when given, gets ``declared_frames``: the header's frame
  count (0 when absent).

  Returns:
    ``(times, frames, header_rate)``: seconds from the first frame ``[N]``
    float64, ``[N, size, size, 3]`` uint8 RGB, and the header's rate (0
    when absent).

  Raises:
    Unusable: no frame (``empty``), or not decodable / no usable time
      stamps (``unreadable``), with the reason.
  """
  import cv2  # pylint: disable=g-import-not-at-top
  try:
    if os.path.getsize(path) == 0:
      raise Unusable('empty', 'the file has 0 bytes')
  except OSError as e:  # e.g. a broken link
    raise Unusable('unreadable', f'cannot be read ({e.strerror})') from e
  cap = cv2.VideoCapture(path)
  frames, msec = [], []
  try:
    if not cap.isOpened():
      raise Unusable('unreadable', 'OpenCV (FFmpeg) cannot open it: not a '
                     'video, damaged, or a codec this OpenCV build lacks')
    rate = float(cap.get(cv2.CAP_PROP_FPS))
    rate = rate if math.isfinite(rate) and rate > 0 else 0.0
    declared = float(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    if facts is not None:
      facts['declared_frames'] = int(declared) if (
          math.isfinite(declared) and declared > 0) else 0
    while True:
      ok, frame = cap.read()
      if not ok or frame is None:
        break
      frames.append(_square(frame, size))
      if not rate:
        msec.append(float(cap.get(cv2.CAP_PROP_POS_MSEC)))
  finally:
    cap.release()
  if not frames:
    raise Unusable('empty', 'it opens but no frame could be decoded')
  if rate:
    times = np.arange(len(frames)) / rate
  else:
    times = np.asarray(msec) / 1000.0
    if len(times) > 1 and not (np.all(np.isfinite(times)) and
                               np.all(np.diff(times) > 0)):
      raise Unusable('unreadable', 'no frame rate in the header and the '
                     'frame time stamps do not increase')
    times = times - times[0]
  return times, np.stack(frames), rate


def resample_frames(times: np.ndarray, frames: np.ndarray, fps: float
                    ) -> np.ndarray:
  """``frames`` at ``times`` -> uint8 frames every ``1 / fps`` seconds.

  The grid and the neighbours of each output frame are
  :func:`tfds_builders.folders.resample`'s (applied to the frame index);
  the frames are blended in chunks of ``_CHUNK`` so the scratch memory stays
  small. A single frame gives a single frame.
  """
  if len(frames) < 2:
    return frames.copy()
  n = len(frames)
  pos = folders.resample(times, np.arange(n, dtype=np.float64), fps)
  nearest = np.rint(pos)
  if np.all(np.abs(pos - nearest) < 1e-6):  # same grid: pick the frames
    return frames[nearest.astype(np.int64)]
  lo = np.clip(np.floor(pos).astype(np.int64), 0, n - 2)
  w = np.clip(pos - lo, 0.0, 1.0).astype(np.float32)
  out = np.empty((len(pos),) + frames.shape[1:], np.uint8)
  shape = (-1,) + (1,) * (frames.ndim - 1)
  for a in range(0, len(pos), _CHUNK):
    b = min(a + _CHUNK, len(pos))
    wk = w[a:b].reshape(shape)
    v = ((1 - wk) * frames[lo[a:b]].astype(np.float32) +
         wk * frames[lo[a:b] + 1].astype(np.float32))
    out[a:b] = np.clip(np.rint(v), 0, 255).astype(np.uint8)
  return out


# ---------------------------------------------------------------- builder


class Builder(folder_builder.FolderBuilder):
  """DatasetBuilder for a folder of the user's videos."""

  BUILDER_CONFIGS = [VideoFolderConfig(
      name='default', description=(
          'Windows of 64 frames of 64x64 from the videos of data.path; '
          'make_builder (adapter.py) names each folder and option set.'))]
  _DATASET = 'video_folder'
  _RECORDINGS = _FOLDER_OF = 'videos'
  _EXTENSIONS = EXTENSIONS
  _CLIP = 'video'
  _DESCRIPTION = (
      'Windows of the videos of a folder: centre square, resized, '
      'resampled to one frame rate; target from labels.csv (NaN when '
      'the file is unlabelled).')
  _NO_WINDOW_ADVICE = ('Fix or add videos, lower data.num_frames, or '
                       'change data.split_seed / data.test_fraction.')

  def _features(self) -> tfds.features.FeaturesDict:
    c = self.builder_config
    video = tfds.features.Tensor(
        shape=(c.num_frames, c.size, c.size, 3), dtype=np.uint8,
        encoding=_VIDEO_ENCODING,
        doc='Frames at fps, centre square resized, RGB.')
    return folder_builder.features(self._CLIP, video, first='frame',
                                   rate='Frame rate')

  def _new_report(self) -> common.BuildReport:
    base = folders.build_report()

    def summary(s) -> str:
      return (f'{base.summary(s)}; {len(s["truncated_files"])} truncated '
              f'(partly used) {s["truncated_files"][:5]}')
    return common.BuildReport(counters=base.counters,
                              lists=base.lists + _LISTS, summary=summary)

  def _check_options(self, root: str) -> None:
    c = self.builder_config
    if not c.fps > 0:
      raise DataError(
          f'video_folder: no frame rate to resample to: data.fps is '
          f'{c.fps!r} and no video header in {root} has one. Set '
          '--config.data.fps.')

  def _file_examples(self, split, rel) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    facts = {}
    try:
      times, frames, rate = read_video(os.path.join(c.path, rel), c.size,
                                       facts)
      if len(frames) > 1 and not np.any(frames != frames[:1]):
        raise Unusable('constant', f'all {len(frames)} frames are the same '
                       'picture (a still or blank video)')
    except Unusable as e:
      self._unusable(split, rel, e)
      return
    declared = facts['declared_frames']
    if declared - len(frames) > max(2, 0.01 * declared):
      self._report.add(split, 'truncated_files', (
          f'{rel}: {len(frames)} of the {declared} frames its header '
          'declares decode (truncated or damaged; re-export it to use all)'))
    video = resample_frames(times, frames, c.fps)
    del frames
    duration = float(times[-1]) + (1.0 / rate if rate else 0.0)
    starts = folders.window_starts(len(video), c.num_frames, c.window_hop)
    info = {'split': split, 'header_fps': rate, 'frames': len(times),
            'declared_frames': declared, 'duration_s': round(duration, 3), 'resampled_frames': len(video),
            'windows': len(starts)}
    self._files[rel] = info
    if not starts:
      self._too_short(split, rel, info, len(video), duration)
      return
    yield from self._windows(split, rel, info, len(video),
                             list(enumerate(starts)),
                             lambda s: video[s:s + c.num_frames])
