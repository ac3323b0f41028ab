"""The builder the user-folder datasets derive from (``FolderBuilder``).

A folder dataset (``video_folder``, ``time_series``) reads its own files
and names its clip feature; everything else is here: checking the folder,
the labels and the file -> split plan (:mod:`tfds_builders.folders`), the
build report and per-file facts in ``info.metadata``, the features every
window carries besides its clip (``target``, ``labelled``, ``file``,
``start_s``, ``window_index``, ``fps``) and the errors when a split would
get no file or no window.
"""

from __future__ import annotations

import abc
import math
import os
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import common
from tfds_builders import folders

DataError = common.DataError
# Unusable.kind -> the build report's list (others: unreadable_files).
UNUSABLE_LISTS = {'unreadable': 'unreadable_files', 'empty': 'empty_files',
                  'constant': 'constant_files'}
# The lists of files a split did not use, named in its no-window error.
_NOT_USED = ('unreadable_files', 'empty_files', 'constant_files',
             'too_short_files')


class FolderConfig:
  """What a folder dataset's ``BuilderConfig`` dataclass adds to its fields
  (``path``, ``fps``, ``num_frames``, ``hop``, ``test_fraction``,
  ``split_seed``, ...): their checks and the hop in use."""

  def check(self, dataset: str, ints: Sequence[tuple[str, int]],
            non_negative: Sequence[str] = ()) -> None:
    """Raises ``ValueError`` unless each of ``ints`` (``(field, lowest)``)
    is an integer >= lowest, each of ``non_negative`` a finite number >= 0
    and ``test_fraction`` in [0, 1); ``dataset`` names it in messages."""
    for key, low in ints:
      value = getattr(self, key)
      if int(value) != value or value < low:
        raise ValueError(f'{dataset}: data.{key} must be an integer >= '
                         f'{low}, got {value!r}.')
    for key in non_negative:
      value = getattr(self, key)
      if not (math.isfinite(value) and value >= 0):
        raise ValueError(f'{dataset}: data.{key} must be a number >= 0, '
                         f'got {value!r}.')
    if not 0 <= self.test_fraction < 1:
      raise ValueError(f'{dataset}: data.test_fraction must be in [0, 1),'
                       f' got {self.test_fraction!r}.')

  @property
  def window_hop(self) -> int:
    """Samples between window starts (``hop``; 0: half a window)."""
    return int(self.hop) or max(1, int(self.num_frames) // 2)


def features(clip_key: str, clip: tfds.features.FeatureConnector, *,
             first: str, rate: str, window_note: str = ''
             ) -> tfds.features.FeaturesDict:
  """A window's features: ``clip_key`` (``clip``) and the ones every folder
  dataset has; ``first`` (``frame``), ``rate`` (``Frame rate``) and
  ``window_note`` word their docs."""
  return tfds.features.FeaturesDict({
      clip_key: clip,
      'target': tfds.features.Scalar(
          dtype=np.float32, doc='The file\'s labels.csv target (in '
          'data.target_unit); NaN when unlabelled.'),
      'labelled': tfds.features.Scalar(
          dtype=np.bool_, doc='Whether the file has a target.'),
      'file': tfds.features.Text(doc='Path relative to the folder.'),
      'start_s': tfds.features.Scalar(
          dtype=np.float32, doc='Window start, seconds from the '
          f'file\'s first {first}.'),
      'window_index': tfds.features.Scalar(
          dtype=np.int32, doc=f'Window number within the file{window_note}.'),
      'fps': tfds.features.Scalar(
          dtype=np.float32, doc=f'{rate} of the window.'),
  })


class FolderBuilder(array_record.ArrayRecordBuilder, skip_registration=True):
  """A folder of the user's recordings, cut into windows.

  A dataset sets the class attributes below and implements
  :meth:`_features` and :meth:`_file_examples` (reading one file, then
  :meth:`_unusable`, :meth:`_too_short` or :meth:`_windows`); it may
  override the hooks :meth:`_check_options`, :meth:`_resample_rate`,
  :meth:`_find`, :meth:`_new_report`, :meth:`_folder_facts`,
  :meth:`_split_done` and :meth:`_other_reasons`.
  """

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  DEFAULT_BUILDER_CONFIG_NAME = 'default'
  _DATASET = ''  # the name in messages: 'video_folder'
  _RECORDINGS = ''  # the files, plural: 'videos' (also '<it>_found')
  _FOLDER_OF = ''  # what data.path holds, in its error: 'videos'
  _EXTENSIONS: tuple[str, ...] = ()
  _CLIP = ''  # the clip feature
  _DESCRIPTION = ''
  _SAMPLES = 'frames'  # what num_frames counts
  _RATE_UNIT = 'fps'
  _NO_WINDOW_ADVICE = ''  # what to do when a split gets no window
  _UNUSABLE = UNUSABLE_LISTS  # Unusable.kind -> its list in the report

  @abc.abstractmethod
  def _features(self) -> tfds.features.FeaturesDict:
    """The features of a window (:func:`features`)."""

  @abc.abstractmethod
  def _file_examples(self, split: str, rel: str
                     ) -> Iterator[tuple[str, dict]]:
    """The windows of the file ``rel`` (relative to the folder)."""

  def _check_options(self, root: str) -> None:
    """Checks before the folder is listed (default: none)."""

  def _resample_rate(self, root: str, files: Sequence[str]) -> float:
    """The rate every file is resampled to (default: ``data.fps``)."""
    del root, files
    return float(self.builder_config.fps)

  def _find(self, root: str) -> list[str]:
    """The files of the folder, relative and sorted."""
    return folders.find_files(root, self._EXTENSIONS)

  def _new_report(self) -> common.BuildReport:
    """An empty build report (:func:`folders.build_report`)."""
    return folders.build_report()

  def _folder_facts(self) -> dict[str, Any]:
    """``info.metadata['folder']`` after the path and the file counts."""
    return {'fps': self._fps, 'hop': self.builder_config.window_hop}

  def _split_done(self, split: str) -> None:
    """Called after the last file of ``split`` (default: nothing)."""

  def _other_reasons(self, counts: dict[str, Any]) -> str:
    """More reasons, after the shared ones, in the no-window error."""
    del counts
    return ''

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self, description=self._DESCRIPTION,
        features=self._features(), supervised_keys=(self._CLIP, 'target'),
        metadata=tfds.core.MetadataDict())

  def needs_manual_dir(self) -> bool:
    """The folder is ``config.path``, not a manual download."""
    return False

  def _split_generators(self, dl_manager):
    del dl_manager
    c = self.builder_config
    root, what = c.path, self._RECORDINGS
    if not root or not os.path.isdir(root):
      raise DataError(
          f'{self._DATASET}: data.path={root!r} is not a folder. Set '
          f'--config.data.path=DIR (a folder of {self._FOLDER_OF}) or use '
          'the :synthetic variant.')
    self._check_options(root)
    files = self._find(root)
    if not files:
      raise folders.no_files_error(self._DATASET, root, what,
                                   self._EXTENSIONS)
    self._fps = self._resample_rate(root, files)
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
            f'{self._DATASET}: the {split} split would be empty: '
            f'{len(files)} {what} in {root}, data.test_fraction='
            f'{c.test_fraction}, {len(fixed)} rows of {folders.LABELS_FILE} '
            'with a split. Add files, set --config.data.test_fraction (e.g. '
            f'0.2) or change the split column of {folders.LABELS_FILE}.')
    self._report = self._new_report()
    self._targets = targets
    self._files = {}
    # Folder-wide problems (labels.csv rows) are listed under train.
    for name in sorted(set(targets) | set(fixed)):
      if name not in found:
        self._report.add('train', 'labels_without_file', name)
    for text in problems:
      self._report.add('train', 'label_problems', text)
    for text in folders.ignored_files(root, self._EXTENSIONS):
      self._report.add('train', 'ignored_files', text)
    self.info.metadata['folder'] = {
        'path': root, f'{what}_found': len(files),
        'labelled_in_csv': sum(f in targets for f in files),
        **self._folder_facts()}
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
    self._split_done(split)
    s = report.split(split)
    if not s['windows']:
      first = [x for k in _NOT_USED for x in s[k]][:3]
      raise DataError(
          f'{self._DATASET}: no {split} window: none of its {len(files)} '
          f'files gave one ({len(s["unreadable_files"])} unreadable, '
          f'{len(s["empty_files"])} empty, {len(s["constant_files"])} '
          f'constant, {len(s["too_short_files"])} shorter than '
          f'data.num_frames={c.num_frames} {self._SAMPLES} at '
          f'{self._fps:g} {self._RATE_UNIT}{self._other_reasons(s)}'
          f'{"; e.g. " + "; ".join(first) if first else ""}). '
          f'{self._NO_WINDOW_ADVICE}')

  def _unusable(self, split: str, rel: str, error: Exception) -> None:
    """Reports a file that gives no samples (``error.kind``: why)."""
    key = self._UNUSABLE.get(error.kind, 'unreadable_files')
    self._report.add(split, key, f'{rel}: {error}')
    self._files[rel] = {'split': split, 'status': error.kind,
                        'reason': str(error)}

  def _too_short(self, split: str, rel: str, info: dict, n: int,
                 seconds: float) -> None:
    """Reports a file of ``n`` resampled samples (``seconds`` long), fewer
    than a window."""
    self._report.add(split, 'too_short_files', (
        f'{rel}: {n} {self._SAMPLES} at {self._fps:g} {self._RATE_UNIT} '
        f'({seconds:.2f} s), fewer than data.num_frames='
        f'{self.builder_config.num_frames}'))
    info['status'] = 'too_short'

  def _windows(self, split: str, rel: str, info: dict, n: int,
               windows: Sequence[tuple[int, int]],
               clip: Callable[[int], np.ndarray], name: str | None = None,
               offset_s: float = 0.0) -> Iterator[tuple[str, dict]]:
    """The examples of a used file.

    Args:
      split: its split.
      rel: its path relative to the folder (its ``labels.csv`` name).
      info: its facts (``info.metadata['files']``), completed here.
      n: its samples after resampling.
      windows: ``(window index, first sample)`` of the windows kept.
      clip: first sample -> the window's clip.
      name: the ``file`` feature and key prefix (default ``rel``).
      offset_s: the time (s) of sample 0 after the file's first one.
    """
    c = self.builder_config
    report, fps = self._report, self._fps
    name = rel if name is None else name
    info['status'] = 'used'
    target = self._targets.get(rel)
    labelled = target is not None
    last = folders.window_starts(n, c.num_frames, c.window_hop)[-1]
    report.add(split, 'files')
    report.add(split, 'windows', len(windows))
    report.add(split, 'tail_frames_dropped', n - last - c.num_frames)
    if labelled:
      info['target'] = target
      report.add(split, 'labelled_files')
      report.add(split, 'labelled_windows', len(windows))
    for i, s in windows:
      yield f'{name}/{i:05d}', {
          self._CLIP: clip(s),
          'target': np.float32(target if labelled else np.nan),
          'labelled': labelled,
          'file': name,
          'start_s': np.float32(offset_s + s / fps),
          'window_index': np.int32(i),
          'fps': np.float32(fps),
      }
