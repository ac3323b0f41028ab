"""What the heart-rate builders (SCAMPS, UBFC-rPPG, PURE) share.

Every builder reads one raw video at a time from ``manual_dir``, crops the
face found in its first frame (OpenCV's bundled frontal-face Haar cascade;
the box enlarged ``box_scale`` times about its centre; the whole frame when
no face is found, which is recorded in the example and counted), resizes
every frame to ``image_size``, aligns the PPG waveform with the frames, and
cuts both into chunks of ``chunk_length`` frames. A chunk's ``heart_rate``
is computed from its PPG the rPPG-Toolbox way
(``tfds_builders.signals.hr_fft``). The frames left after the last whole
chunk, and videos shorter than one chunk, are counted and printed, never
dropped silently; the counts are also written to the dataset's metadata
(``builder.info.metadata['build_report']``, ``metadata.json``).
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import common
from tfds_builders import signals

# Raw bytes: ArrayRecord zstd-compresses each record (see rotating_digits).
_VIDEO_ENCODING = tfds.features.Encoding.BYTES
_CASCADE = 'haarcascade_frontalface_default.xml'


@dataclasses.dataclass(eq=False)
class RppgConfig(tfds.core.BuilderConfig):
  """Pre-processing shared by the heart-rate builders.

  Attributes:
    image_size: side of the square face crop, in pixels (72 as TS-CAN).
    chunk_length: frames per example (e.g. 180: 6 s at 30 fps).
    face_crop: crop the face found in the first frame (else whole frames).
    box_scale: enlargement of the detected face box about its centre.
    hr_band: band (Hz) in which the label's heart rate is looked for.
  """
  image_size: int = 72
  chunk_length: int = 180
  face_crop: bool = True
  box_scale: float = 1.5
  hr_band: tuple[float, float] = (0.75, 2.5)

  def __post_init__(self):
    if int(self.image_size) != self.image_size or self.image_size < 4:
      raise ValueError(f'{self.name}: image_size must be an integer >= 4, '
                       f'got {self.image_size!r}.')
    if int(self.chunk_length) != self.chunk_length or self.chunk_length < 10:
      raise ValueError(f'{self.name}: chunk_length must be an integer >= 10 '
                       f'frames, got {self.chunk_length!r}.')
    if not self.box_scale >= 1:
      raise ValueError(f'{self.name}: box_scale must be >= 1, got '
                       f'{self.box_scale!r}.')
    lo, hi = self.hr_band
    if not 0 < lo < hi:
      raise ValueError(f'{self.name}: hr_band must be 0 < low < high Hz, '
                       f'got {self.hr_band!r}.')


def features(config: RppgConfig) -> tfds.features.FeaturesDict:
  size, length = config.image_size, config.chunk_length
  return tfds.features.FeaturesDict({
      'video': tfds.features.Tensor(
          shape=(length, size, size, 3), dtype=np.uint8,
          encoding=_VIDEO_ENCODING,
          doc='Face-crop frames, RGB, 0..255.'),
      'ppg': tfds.features.Tensor(
          shape=(length,), dtype=np.float32,
          doc='Reference pulse waveform, one sample per frame.'),
      'heart_rate': tfds.features.Scalar(
          dtype=np.float32, doc='Heart rate of the chunk\'s PPG, in bpm.'),
      'fps': tfds.features.Scalar(dtype=np.float32,
                                  doc='Frame rate in Hz.'),
      'subject': tfds.features.Text(doc='Subject identifier.'),
      'video_id': tfds.features.Text(doc='Source video identifier.'),
      'chunk_index': tfds.features.Scalar(
          dtype=np.int32, doc='Position of the chunk in its video.'),
      'face_detected': tfds.features.Scalar(
          dtype=np.bool_, doc='False: no face found in the first frame; '
          'the whole frame was used.'),
  })


class FaceCropper:
  """Face box from one frame (Haar cascade), enlarged; then crop+resize."""

  def __init__(self, config: RppgConfig):
    import cv2  # pylint: disable=g-import-not-at-top
    self._cv2 = cv2
    self.config = config
    path = os.path.join(cv2.data.haarcascades, _CASCADE)
    self._detector = cv2.CascadeClassifier(path)
    if self._detector.empty():
      raise RuntimeError(f'could not load OpenCV\'s Haar cascade {path}; '
                         'reinstall opencv-python-headless (< 5).')

  def box(self, frame: np.ndarray) -> tuple[tuple[int, int, int, int], bool]:
    """``((y0, y1, x0, x1), face_found)`` for an RGB uint8 frame."""
    h, w = frame.shape[:2]
    if not self.config.face_crop:
      return (0, h, 0, w), False
    gray = self._cv2.cvtColor(frame, self._cv2.COLOR_RGB2GRAY)
    smallest = max(8, min(h, w) // 8)
    faces = self._detector.detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=3, minSize=(smallest, smallest))
    if len(faces) == 0:
      return (0, h, 0, w), False
    x, y, bw, bh = max(faces, key=lambda f: f[2] * f[3])  # the largest face
    cx, cy = x + bw / 2, y + bh / 2
    side = max(bw, bh) * self.config.box_scale
    y0, y1 = int(round(cy - side / 2)), int(round(cy + side / 2))
    x0, x1 = int(round(cx - side / 2)), int(round(cx + side / 2))
    return (max(0, y0), min(h, y1), max(0, x0), min(w, x1)), True

  def crop_stream(self, frames: Iterable[np.ndarray], where: str
                  ) -> tuple[np.ndarray, bool]:
    """RGB uint8 frames, one at a time -> ``([T, S, S, 3] uint8, found)``.

    The box comes from the first frame; each frame is cropped and resized
    (area resampling) as it arrives, so only the small crops are held.
    """
    size = self.config.image_size
    out, box, found, shape = [], None, False, None
    for frame in frames:
      frame = np.asarray(frame)
      if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise common.DataError(
            f'{where}: frames must be RGB uint8 [H, W, 3], got '
            f'{frame.dtype} {frame.shape}.')
      if box is None:
        box, found = self.box(frame)
        shape = frame.shape
      elif frame.shape != shape:
        raise common.DataError(f'{where}: frame {len(out)} has shape '
                        f'{frame.shape}, the first frame {shape}.')
      y0, y1, x0, x1 = box
      out.append(self._cv2.resize(frame[y0:y1, x0:x1], (size, size),
                                  interpolation=self._cv2.INTER_AREA))
    if not out:
      raise common.DataError(f'{where}: no frames.')
    return np.stack(out), found


def to_uint8(frames: np.ndarray, where: str) -> np.ndarray:
  """Float frames in [0, 1] (or uint8) -> uint8, checking the range."""
  frames = np.asarray(frames)
  if frames.dtype == np.uint8:
    return frames
  if not np.all(np.isfinite(frames)):
    raise common.DataError(f'{where}: frames contain NaN or infinity.')
  lo, hi = float(frames.min()), float(frames.max())
  if lo < -1e-3 or hi > 1 + 1e-3:
    raise common.DataError(f'{where}: float frames must lie in [0, 1], found '
                    f'[{lo:.4g}, {hi:.4g}].')
  return np.round(np.clip(frames, 0, 1) * 255).astype(np.uint8)


def _summary(s: dict) -> str:
  return (f'{s["videos"]} videos -> {s["chunks"]} chunks; '
          f'{s["tail_frames_dropped"]} frames after the last whole chunk not '
          f'used; {len(s["too_short_videos"])} videos shorter than one chunk '
          f'{s["too_short_videos"][:10]}; {len(s["no_face_videos"])} without '
          f'a detected face (whole frame used) {s["no_face_videos"][:10]}')


def build_report() -> common.BuildReport:
  """The counts a heart-rate build reports per split."""
  return common.BuildReport(
      counters=('videos', 'chunks', 'tail_frames_dropped'),
      lists=('no_face_videos', 'too_short_videos'), summary=_summary)


def video_examples(config: RppgConfig, report: common.BuildReport,
                   split: str, *,
                   frames: np.ndarray, face_detected: bool, ppg: np.ndarray,
                   fps: float, subject: str, video_id: str,
                   segments: Sequence[tuple[int, int]] | None = None,
                   in_ppg_hole: np.ndarray | None = None
                   ) -> Iterator[tuple[str, dict]]:
  """Yields ``(key, example)`` for the whole chunks of one cropped video.

  Args:
    segments: ``[(start, end), ...]`` gap-free frame ranges, each chunked
      on its own (no chunk spans a gap); default the whole video.
    in_ppg_hole: ``[T]`` bool, frames inside a hole of the PPG; a chunk
      with one is not labelled (skipped, counted in
      ``chunks_in_ppg_holes``). ``chunk_index`` counts every whole chunk
      in order, skipped ones included.
  """
  where = f'video {video_id!r}'
  if len(frames) != len(ppg) or (in_ppg_hole is not None
                                 and len(in_ppg_hole) != len(frames)):
    raise common.DataError(f'{where}: {len(frames)} frames but {len(ppg)} PPG '
                           'samples after alignment.')
  if not np.all(np.isfinite(ppg)):
    raise common.DataError(f'{where}: the PPG waveform contains NaN or '
                           'infinity.')
  if not (math.isfinite(fps) and fps > 0):
    raise common.DataError(f'{where}: frame rate {fps!r} is not positive.')
  report.add(split, 'videos', 1)
  if not face_detected and config.face_crop:
    report.add(split, 'no_face_videos', video_id)
  length = config.chunk_length
  segments = [(0, len(frames))] if segments is None else segments
  if sum((b - a) // length for a, b in segments) == 0:
    report.add(split, 'too_short_videos', (video_id, len(frames)))
    return
  index = -1
  for a, b in segments:
    n = (b - a) // length
    report.add(split, 'tail_frames_dropped', (b - a) - n * length)
    for i in range(n):
      sl = slice(a + i * length, a + (i + 1) * length)
      index += 1
      if in_ppg_hole is not None and in_ppg_hole[sl].any():
        report.add(split, 'chunks_in_ppg_holes', 1)
        continue
      wave = np.asarray(ppg[sl], np.float64)
      hr = signals.hr_fft(wave, fps, band=tuple(config.hr_band))
      report.add(split, 'chunks', 1)
      yield f'{video_id}/{index:04d}', {
          'video': frames[sl],
          'ppg': wave.astype(np.float32),
          'heart_rate': np.float32(hr),
          'fps': np.float32(fps),
          'subject': str(subject),
          'video_id': str(video_id),
          'chunk_index': np.int32(index),
          'face_detected': bool(face_detected),
      }


class RppgBuilder(array_record.ArrayRecordBuilder):
  """Base of the heart-rate builders: ArrayRecord by default, shared info.

  Subclasses define ``_DESCRIPTION``, ``_HOMEPAGE``,
  ``MANUAL_DOWNLOAD_INSTRUCTIONS``, ``_videos(manual_dir)`` (a dict split ->
  list of entries, checked before anything is written) and
  ``_load(entry)`` (one video, cropped with ``self._cropper.crop_stream``:
  ``dict(frames, face_detected, ppg, fps, subject, video_id)``).
  """

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [RppgConfig(
      name='default', description='72x72 face crops, 180-frame chunks.')]
  _DESCRIPTION = ''
  _HOMEPAGE = ''

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=self._DESCRIPTION,
        features=features(self.builder_config),
        supervised_keys=('video', 'heart_rate'),
        homepage=self._HOMEPAGE,
        citation=self.get_metadata().citation,
        metadata=tfds.core.MetadataDict(),
    )

  def _build_report(self) -> common.BuildReport:
    """The counts this builder reports (PURE adds its gaps)."""
    return build_report()

  def _videos(self, manual_dir: str) -> dict[str, Sequence[Any]]:
    raise NotImplementedError

  def _load(self, entry) -> dict[str, Any]:
    raise NotImplementedError

  def _split_generators(self, dl_manager):
    manual_dir = common.manual_dir(dl_manager, self.name,
                                   self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    videos = self._videos(manual_dir)
    if not any(videos.values()):
      raise common.DataError(
          f'{self.name}: no videos found in {manual_dir!r}.\n'
                      f'{self.MANUAL_DOWNLOAD_INSTRUCTIONS}')
    self._report = self._build_report()
    self._cropper = FaceCropper(self.builder_config)
    return {split: self._generate_examples(split, entries)
            for split, entries in videos.items() if entries}

  def _generate_examples(self, split, entries):
    for entry in entries:
      video = self._load(entry)
      yield from video_examples(self.builder_config, self._report, split,
                                **video)
    # Each split's counts, printed and kept in the dataset's metadata.
    self._report.print(self.name, split)
    self.info.metadata['build_report'] = dict(self._report.splits)
