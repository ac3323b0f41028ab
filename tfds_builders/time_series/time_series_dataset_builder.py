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

Time: a CSV column named ``time`` (or ``time_s``), in seconds, gives each
row's time stamp: irregular sampling is honoured and missing rows are seen
as gaps; the file's rate is ``1 / median interval``. ``.npy`` files and
CSVs without such a column are at ``sample_rate`` Hz (0: reported as
unreadable, with the advice to set ``--config.data.sample_rate``).

Gaps: a row with a NaN (or empty) value in one of the channels is missing;
so is every time stamp absent from a ``time`` column (an interval over 1.5x
the median). A gap of at most ``max_gap_s`` seconds (its missing span) is
filled by linear interpolation (``filled_gaps``, ``filled_samples``: the
output samples inside it); windows touching a longer gap are rejected
(``windows_rejected_gap``). Missing rows at either end are trimmed
(``trimmed_samples``).

Splits, labels and the build report are those of every folder dataset
(``tfds_builders.folders``; the same as ``video_folder``): ``labels.csv``
(``file,target[,split]``), a seeded ``test_fraction`` of the files in
``test``, every window of a file in one split, every problem counted and
listed (``info.metadata['build_report']``, per-file facts in
``info.metadata['files']``). ``labels.csv`` and ``truth.csv`` at the top of
the folder are tables, not recordings. Memory: one recording at a time.
Reading, gaps and windows are in ``reading.py``.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import os
from typing import Iterator

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import common
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
class TimeSeriesConfig(tfds.core.BuilderConfig):
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
    for key, low in (('channels', 1), ('num_frames', 2), ('hop', 0)):
      value = getattr(self, key)
      if int(value) != value or value < low:
        raise ValueError(f'time_series: data.{key} must be an integer >= '
                         f'{low}, got {value!r}.')
    for key in ('sample_rate', 'fps', 'max_gap_s'):
      if not (math.isfinite(getattr(self, key)) and getattr(self, key) >= 0):
        raise ValueError(f'time_series: data.{key} must be a number >= 0, '
                         f'got {getattr(self, key)!r}.')
    if not 0 <= self.test_fraction < 1:
      raise ValueError(f'time_series: data.test_fraction must be in [0, 1),'
                       f' got {self.test_fraction!r}.')

  @property
  def window_hop(self) -> int:
    return int(self.hop) or max(1, int(self.num_frames) // 2)


def build_report() -> common.BuildReport:
  """:func:`folders.build_report`'s counts plus the gaps and channels."""
  base = folders.build_report()

  def summary(s) -> str:
    return (f'{base.summary(s)}; gaps: {s["filled_gaps"]} filled '
            f'({s["filled_samples"]} samples), {s["rejected_gaps"]} too '
            f'long -> {s["windows_rejected_gap"]} windows rejected, '
            f'{s["trimmed_samples"]} samples trimmed at the ends; '
            f'{len(s["too_few_channels_files"])} files with too few '
            f'channels {s["too_few_channels_files"][:5]}, '
            f'{len(s["no_clean_window_files"])} without a gap-free window')
  return common.BuildReport(counters=base.counters + GAP_COUNTS,
                            lists=base.lists + _GAP_LISTS, summary=summary)


# ---------------------------------------------------------------- builder


class Builder(array_record.ArrayRecordBuilder):
  """DatasetBuilder for a folder of the user's sensor recordings."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [TimeSeriesConfig(
      name='default', description=(
          'Windows of 256 samples of the recordings of data.path; '
          'make_builder (adapter.py) names each folder and option set.'))]
  DEFAULT_BUILDER_CONFIG_NAME = 'default'

  def _info(self) -> tfds.core.DatasetInfo:
    c = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=(
            'Windows of the sensor recordings of a folder, resampled to one '
            'rate, gaps filled or rejected; target from labels.csv (NaN when '
            'the file is unlabelled).'),
        features=tfds.features.FeaturesDict({
            'series': tfds.features.Tensor(
                shape=(c.num_frames, 1, 1, c.channels), dtype=np.float32,
                encoding=_ENCODING, doc='Samples at fps in the file\'s '
                'units, [T, 1, 1, C] (a 1x1 image per sample).'),
            'target': tfds.features.Scalar(
                dtype=np.float32, doc='The file\'s labels.csv target (in '
                'data.target_unit); NaN when unlabelled.'),
            'labelled': tfds.features.Scalar(
                dtype=np.bool_, doc='Whether the file has a target.'),
            'file': tfds.features.Text(doc='Path relative to the folder.'),
            'start_s': tfds.features.Scalar(
                dtype=np.float32, doc='Window start, seconds from the '
                'file\'s first time stamp.'),
            'window_index': tfds.features.Scalar(
                dtype=np.int32, doc='Window number within the file (gaps '
                'leave holes).'),
            'fps': tfds.features.Scalar(
                dtype=np.float32, doc='Sampling rate of the window.'),
        }),
        supervised_keys=('series', 'target'),
        metadata=tfds.core.MetadataDict(),
    )

  def needs_manual_dir(self) -> bool:
    """The folder is ``config.path``, not a manual download."""
    return False

  def _split_generators(self, dl_manager):
    del dl_manager
    c = self.builder_config
    root = c.path
    if not root or not os.path.isdir(root):
      raise DataError(
          f'time_series: data.path={root!r} is not a folder. Set '
          '--config.data.path=DIR (a folder of .npy / .csv recordings) or '
          'use the :synthetic variant.')
    files = find_recordings(root)
    if not files:
      raise DataError(
          f'time_series: no recordings ({", ".join(EXTENSIONS)}) in {root} '
          'or its sub-folders. Point --config.data.path at your recordings '
          'or use the :synthetic variant.')
    self._fps = float(c.fps) or folders.most_common_rate(
        folder_rates(root, c.sample_rate).values())
    if not self._fps > 0:
      raise DataError(
          f'time_series: no rate to resample to: data.fps is 0 and none of '
          f'the {len(files)} files in {root} has a known rate (a "time" '
          'column, or data.sample_rate for the others). Set '
          '--config.data.sample_rate=HZ or --config.data.fps=HZ.')
    targets, fixed, problems = folders.read_labels(root)
    found = set(files)
    split_of = folders.assign_splits(
        files, c.test_fraction, c.split_seed,
        {f: s for f, s in fixed.items() if f in found})
    plan = {s: [f for f in files if split_of[f] == s]
            for s in folders.SPLITS}
    for split, items in plan.items():
      if not items:
        raise DataError(
            f'time_series: the {split} split would be empty: {len(files)} '
            f'recordings in {root}, data.test_fraction={c.test_fraction}, '
            f'{len(fixed)} rows of {folders.LABELS_FILE} with a split. Add '
            'files, set --config.data.test_fraction (e.g. 0.2) or change '
            f'the split column of {folders.LABELS_FILE}.')
    self._report = build_report()
    self._targets = targets
    self._files = {}
    # Folder-wide problems (labels.csv rows) are listed under train.
    for name in sorted(set(targets) | set(fixed)):
      if name not in found:
        self._report.add('train', 'labels_without_file', name)
    for text in problems:
      self._report.add('train', 'label_problems', text)
    self.info.metadata['folder'] = {
        'path': root, 'recordings_found': len(files),
        'labelled_in_csv': sum(f in targets for f in files),
        'fps': self._fps, 'fps_from': 'data.fps' if c.fps else
        'the most common input rate', 'input_rates': {},
        'sample_rate': float(c.sample_rate), 'channels': int(c.channels),
        'hop': c.window_hop, 'max_gap_s': float(c.max_gap_s)}
    return {split: self._generate_examples(split, items)
            for split, items in plan.items()}

  def _generate_examples(self, split, files) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    report = self._report
    report.split(split)
    for rel in files:
      yield from self._file_examples(split, rel)
    report.print(self.name, split)
    self.info.metadata['build_report'] = dict(report.splits)
    self.info.metadata['files'] = dict(self._files)
    rates = collections.Counter(round(i['rate'], 2)
                                for i in self._files.values() if 'rate' in i)
    self.info.metadata['folder']['input_rates'] = {
        f'{r:g}': n for r, n in sorted(rates.items())}
    if not report.split(split)['windows']:
      s = report.split(split)
      raise DataError(
          f'time_series: no {split} window: none of its {len(files)} files '
          f'gave one ({len(s["unreadable_files"])} unreadable, '
          f'{len(s["empty_files"])} empty, {len(s["too_short_files"])} '
          f'shorter than data.num_frames={c.num_frames} samples at '
          f'{self._fps:g} Hz, {len(s["too_few_channels_files"])} with fewer '
          f'than data.channels={c.channels}, '
          f'{len(s["no_clean_window_files"])} without a gap-free window). '
          'Fix or add files, lower data.num_frames or data.channels, raise '
          'data.max_gap_s, or change data.split_seed / data.test_fraction.')

  def _file_examples(self, split, rel) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    report, fps = self._report, self._fps
    lists = {'unreadable': 'unreadable_files', 'empty': 'empty_files',
             'too_few_channels': 'too_few_channels_files'}
    try:
      rec = read_recording(os.path.join(c.path, rel), c.sample_rate)
      series = to_rate(rec, c.channels, fps, c.max_gap_s)
    except Unusable as e:
      report.add(split, lists[e.kind], f'{rel}: {e}')
      self._files[rel] = {'split': split, 'status': e.kind, 'reason': str(e)}
      return
    for key, value in series.counts.items():
      report.add(split, key, value)
    kept, rejected = clean_windows(series.valid, c.num_frames, c.window_hop)
    n = len(series.values)
    report.add(split, 'windows_rejected_gap', rejected)
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
      report.add(split, 'too_short_files', (
          f'{rel}: {n} samples at {fps:g} Hz ({n / fps:.2f} s), fewer than '
          f'data.num_frames={c.num_frames}'))
      info['status'] = 'too_short'
      return
    if not kept:
      report.add(split, 'no_clean_window_files', rel)
      info['status'] = 'gaps'
      return
    info['status'] = 'used'
    target = self._targets.get(rel)
    labelled = target is not None
    last = folders.window_starts(n, c.num_frames, c.window_hop)[-1]
    report.add(split, 'files')
    report.add(split, 'windows', len(kept))
    report.add(split, 'tail_frames_dropped', n - last - c.num_frames)
    if labelled:
      info['target'] = target
      report.add(split, 'labelled_files')
      report.add(split, 'labelled_windows', len(kept))
    name = rel.replace(os.sep, '/')
    for i, s in kept:
      yield f'{name}/{i:05d}', {
          'series': series.values[s:s + c.num_frames, None, None, :],
          'target': np.float32(target if labelled else np.nan),
          'labelled': labelled,
          'file': name,
          'start_s': np.float32(series.offset_s + s / fps),
          'window_index': np.int32(i),
          'fps': np.float32(fps),
      }

