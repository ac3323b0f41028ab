"""A folder of the user's sensor recordings, cut into windows (``time_series``).

Every recording below ``path`` -- ``.npy`` arrays ``[T]`` or ``[T, C]`` and
``.csv`` tables of numeric columns (PPG, accelerometer, respiration, power,
temperature, ...) -- is read as ``C`` channels (the first ``channels``
numeric columns; files with fewer are reported and skipped), resampled to
one rate ``fps`` by linear interpolation and cut into windows of
``num_frames`` samples every ``hop`` samples (0: half a window). A window
is stored as a clip ``[num_frames, 1, 1, C]`` float32 in the file's own
units (a 1x1 "image" per sample, so the video pipeline applies unchanged;
offsets and gains are left to the encoder, which standardizes each window).

Time: a CSV column named ``time`` (or ``time_s``), in seconds, or
``time_ms``, in milliseconds, gives each row's time stamp: irregular sampling is honoured and missing rows are seen
as gaps; the file's rate is ``1 / median interval``. ``.npy`` files and
CSVs without such a column are at ``sample_rate`` Hz (0: reported as
unreadable, with the advice to set ``--config.data.sample_rate``).

Gaps: a row with a NaN (or empty) value in one of the channels is missing;
so is every time stamp absent from a ``time`` column (an interval over 1.5x
the median). A gap of at most ``max_gap_s`` seconds (its missing span) is
filled by linear interpolation (``filled_gaps``, ``filled_samples``: the
output samples inside it); windows touching a longer gap are rejected
(``windows_rejected_gap``). Missing rows at either end are trimmed
(``trimmed_samples``); rows without a time stamp are left out
(``rows_without_time``). A file whose kept channels are all constant is
listed in ``constant_files`` and not used.

Splits, labels and the build report are those of every folder dataset
(``tfds_builders.folders``; the same as ``video_folder``): ``labels.csv``
(``file,target[,split]``), a seeded ``test_fraction`` of the files in
``test``, every window of a file in one split, every problem counted and
listed (``info.metadata['build_report']``, per-file facts in
``info.metadata['files']``). ``labels.csv`` and ``truth.csv`` at the top of
the folder are tables, not recordings. Memory: one recording at a time.
Reading, gaps and windows are in ``reading.py``; the steps shared with
``video_folder`` in ``tfds_builders.folder_builder``.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from typing import Iterator

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import common
from tfds_builders import folder_builder
from tfds_builders import folders
from tfds_builders.time_series.reading import clean_windows
from tfds_builders.time_series.reading import EXTENSIONS
from tfds_builders.time_series.reading import find_recordings
from tfds_builders.time_series.reading import folder_rates
from tfds_builders.time_series.reading import GAP_COUNTS
from tfds_builders.time_series.reading import read_recording
from tfds_builders.time_series.reading import to_rate
from tfds_builders.time_series.reading import Unusable

DataError = common.DataError
_ENCODING = tfds.features.Encoding.BYTES  # ArrayRecord compresses records
_GAP_LISTS = ('too_few_channels_files', 'no_clean_window_files')


@dataclasses.dataclass(eq=False)
class TimeSeriesConfig(folder_builder.FolderConfig, tfds.core.BuilderConfig):
  """What a build reads and how it cuts it.

  Attributes:
    path: the folder of recordings (absolute).
    sample_rate: Hz of the files without time stamps (0: none given).
    fps: the rate every recording is resampled to (0: the most common input
      rate of the folder).
    channels: channels kept (the first numeric columns / array columns).
    num_frames: samples per window.
    hop: samples between window starts (0: ``num_frames // 2``).
    test_fraction: share of the files (without a ``split`` in labels.csv)
      put in ``test``, seeded by ``split_seed``.
    split_seed: seed of the file -> split draw.
    max_gap_s: longest gap (s) filled by interpolation.
  """
  path: str = ''
  sample_rate: float = 0.0
  fps: float = 0.0
  channels: int = 1
  num_frames: int = 256
  hop: int = 0
  test_fraction: float = 0.2
  split_seed: int = 0
  max_gap_s: float = 0.5

  def __post_init__(self):
    self.check('time_series', (('channels', 1), ('num_frames', 2), ('hop', 0)),
               ('sample_rate', 'fps', 'max_gap_s'))


def build_report() -> common.BuildReport:
  """:func:`folders.build_report`'s counts plus the gaps and channels."""
  base = folders.build_report()

  def summary(s) -> str:
    return (f'{base.summary(s)}; gaps: {s["filled_gaps"]} filled '
            f'({s["filled_samples"]} samples), {s["rejected_gaps"]} too '
            f'long -> {s["windows_rejected_gap"]} windows rejected, '
            f'{s["trimmed_samples"]} samples trimmed at the ends, '
            f'{s["rows_without_time"]} rows without a time stamp; '
            f'{len(s["too_few_channels_files"])} files with too few '
            f'channels {s["too_few_channels_files"][:5]}, '
            f'{len(s["no_clean_window_files"])} without a gap-free window')
  return common.BuildReport(counters=base.counters + GAP_COUNTS + (
                                'rows_without_time',),
                            lists=base.lists + _GAP_LISTS, summary=summary)


# ---------------------------------------------------------------- builder


class Builder(folder_builder.FolderBuilder):
  """DatasetBuilder for a folder of the user's sensor recordings."""

  BUILDER_CONFIGS = [TimeSeriesConfig(
      name='default', description=(
          'Windows of 256 samples of the recordings of data.path; '
          'make_builder (adapter.py) names each folder and option set.'))]
  _DATASET = 'time_series'
  _RECORDINGS = 'recordings'
  _FOLDER_OF = '.npy / .csv recordings'
  _EXTENSIONS = EXTENSIONS
  _CLIP = 'series'
  _DESCRIPTION = (
      'Windows of the sensor recordings of a folder, resampled to one '
      'rate, gaps filled or rejected; target from labels.csv (NaN when '
      'the file is unlabelled).')
  _SAMPLES, _RATE_UNIT = 'samples', 'Hz'
  _NO_WINDOW_ADVICE = (
      'Fix or add files, lower data.num_frames or data.channels, raise '
      'data.max_gap_s, or change data.split_seed / data.test_fraction.')
  _UNUSABLE = {**folder_builder.UNUSABLE_LISTS,
               'too_few_channels': 'too_few_channels_files'}

  def _features(self) -> tfds.features.FeaturesDict:
    c = self.builder_config
    series = tfds.features.Tensor(
        shape=(c.num_frames, 1, 1, c.channels), dtype=np.float32,
        encoding=_ENCODING, doc='Samples at fps in the file\'s '
        'units, [T, 1, 1, C] (a 1x1 image per sample).')
    return folder_builder.features(
        self._CLIP, series, first='time stamp', rate='Sampling rate',
        window_note=' (gaps leave holes)')

  def _find(self, root: str) -> list[str]:
    return find_recordings(root)

  def _resample_rate(self, root, files) -> float:
    c = self.builder_config
    fps = float(c.fps) or folders.most_common_rate(
        folder_rates(root, c.sample_rate).values())
    if not fps > 0:
      raise DataError(
          f'time_series: no rate to resample to: data.fps is 0 and none of '
          f'the {len(files)} files in {root} has a known rate (a "time" '
          'column, or data.sample_rate for the others). Set '
          '--config.data.sample_rate=HZ or --config.data.fps=HZ.')
    return fps

  def _new_report(self) -> common.BuildReport:
    return build_report()

  def _folder_facts(self) -> dict:
    c = self.builder_config
    return {'fps': self._fps, 'fps_from': 'data.fps' if c.fps else
            'the most common input rate', 'input_rates': {},
            'sample_rate': float(c.sample_rate), 'channels': int(c.channels),
            'hop': c.window_hop, 'max_gap_s': float(c.max_gap_s)}

  def _split_done(self, split: str) -> None:
    rates = collections.Counter(round(i['rate'], 2)
                                for i in self._files.values() if 'rate' in i)
    self.info.metadata['folder']['input_rates'] = {
        f'{r:g}': n for r, n in sorted(rates.items())}

  def _other_reasons(self, counts) -> str:
    return (f', {len(counts["too_few_channels_files"])} with fewer than '
            f'data.channels={self.builder_config.channels}, '
            f'{len(counts["no_clean_window_files"])} without a gap-free '
            'window')

  def _file_examples(self, split, rel) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    report, fps = self._report, self._fps
    try:
      rec = read_recording(os.path.join(c.path, rel), c.sample_rate)
      series = to_rate(rec, c.channels, fps, c.max_gap_s)
      x = rec.values[:, :c.channels]
      x = x[np.all(np.isfinite(x), axis=1)]
      if np.all(x.max(axis=0) == x.min(axis=0)):
        raise Unusable('constant', f'every kept channel is constant '
                       f'({x[0].tolist()}): no signal')
    except Unusable as e:
      self._unusable(split, rel, e)
      return
    for key, value in series.counts.items():
      report.add(split, key, value)
    kept, rejected = clean_windows(series.valid, c.num_frames, c.window_hop)
    n = len(series.values)
    report.add(split, 'windows_rejected_gap', rejected)
    report.add(split, 'rows_without_time', rec.rows_without_time)
    info = {'split': split, 'rate': round(rec.rate, 4), 'timed': rec.timed,
            'samples': len(rec.values), 'resampled': n,
            'windows': len(kept), **series.counts,
            'windows_rejected_gap': rejected}
    if rec.ignored:
      info['ignored_columns'] = list(rec.ignored)
    if rec.rows_without_time:
      info['rows_without_time'] = rec.rows_without_time
    self._files[rel] = info
    if n < c.num_frames:
      self._too_short(split, rel, info, n, n / fps)
      return
    if not kept:
      report.add(split, 'no_clean_window_files', rel)
      info['status'] = 'gaps'
      return
    yield from self._windows(
        split, rel, info, n, kept,
        lambda s: series.values[s:s + c.num_frames, None, None, :],
        name=rel.replace(os.sep, '/'), offset_s=series.offset_s)
