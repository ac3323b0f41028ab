"""What the user-folder datasets (``video_folder``, ``time_series``) share.

A folder of recordings, any layout below it, with an optional
``labels.csv`` (columns ``file`` -- the path relative to the folder --,
``target`` -- empty for an unlabelled file -- and optionally ``split``:
``train`` or ``test``). Each recording is resampled to one rate and cut
into fixed windows; every window of a recording lands in the same split.
Problems (unreadable, empty or too-short files; labels naming files that
are not there; unparseable label rows) are counted and listed in the build
report, never dropped silently.

The builder both derive from is :mod:`tfds_builders.folder_builder`; the
second half here serves their plug-ins (``adapter.py``): ``data.path``, the
folder of ``data.synthetic``, the prepared dataset's config name.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import math
import os
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from tfds_builders import common

LABELS_FILE = 'labels.csv'
SPLITS = ('train', 'test')


def find_files(root: str, extensions: Iterable[str]) -> list[str]:
  """Paths relative to ``root`` of the files with one of ``extensions``
  (case-insensitive, with the dot), in a deterministic (sorted) order."""
  if not os.path.isdir(root):
    raise common.DataError(
        f'data.path={root!r} is not a folder. Point --config.data.path at '
        'the folder holding your recordings.')
  exts = tuple(e.lower() for e in extensions)
  out = []
  for d, dirs, files in os.walk(root):
    dirs.sort()
    for f in sorted(files):
      if f.lower().endswith(exts) and not f.startswith('.'):
        out.append(os.path.relpath(os.path.join(d, f), root))
  return sorted(out)


def fingerprint(root: str, files: Sequence[str]) -> str:
  """A short hash of what a build reads: each file's path, size and
  modification time, and the labels file. A changed folder gets a new
  prepared dataset instead of silently reusing the old one."""
  h = hashlib.sha1(os.path.abspath(root).encode())
  for rel in list(files) + [LABELS_FILE]:
    path = os.path.join(root, rel)
    if os.path.exists(path):
      st = os.stat(path)
      h.update(f'{rel}\0{st.st_size}\0{st.st_mtime_ns}\0'.encode())
  return h.hexdigest()[:10]


def read_labels(root: str
                ) -> tuple[dict[str, float], dict[str, str], list[str]]:
  """``root/labels.csv`` if present.

  Returns:
    ``(targets, splits, problems)``: file -> target (only labelled files),
    file -> ``train``/``test`` (only where a ``split`` column says so), and
    one line per row that could not be used (the row number and why).
  """
  path = os.path.join(root, LABELS_FILE)
  targets, splits, problems = {}, {}, []
  if not os.path.exists(path):
    return targets, splits, problems
  with open(path, newline='', encoding='utf-8-sig') as f:
    reader = csv.DictReader(f)
    cols = [c.strip() for c in (reader.fieldnames or [])]
    if 'file' not in cols:
      raise common.DataError(
          f'{path}: needs a header with the columns file,target[,split]; '
          f'found {cols}.')
    for line, row in enumerate(reader, start=2):
      row = {(k or '').strip(): (v or '').strip() for k, v in row.items()}
      name = os.path.normpath(row.get('file', ''))
      if not row.get('file'):
        problems.append(f'{LABELS_FILE} line {line}: no file name')
        continue
      text = row.get('target', '')
      if text:
        try:
          value = float(text)
        except ValueError:
          value = float('nan')
        if not math.isfinite(value):
          problems.append(f'{LABELS_FILE} line {line}: target {text!r} of '
                          f'{name} is not a finite number')
          continue
        targets[name] = value
      split = row.get('split', '').lower()
      if split:
        if split not in SPLITS:
          problems.append(f'{LABELS_FILE} line {line}: split {split!r} of '
                          f'{name} is not one of {SPLITS}')
          continue
        splits[name] = split
  return targets, splits, problems


def assign_splits(files: Sequence[str], test_fraction: float, seed: int,
                  fixed: dict[str, str]) -> dict[str, str]:
  """File -> split: ``fixed`` where given, the rest a seeded random
  ``test_fraction`` of them to ``test`` (at least one when there are two
  or more files and the fraction is positive), the others to ``train``."""
  if not 0 <= test_fraction < 1:
    raise ValueError(f'data.test_fraction must be in [0, 1), got '
                     f'{test_fraction}.')
  free = sorted(f for f in files if f not in fixed)
  order = np.random.default_rng(seed).permutation(len(free))
  n_test = int(round(test_fraction * len(free)))
  if test_fraction > 0 and len(free) >= 2:
    n_test = max(1, min(n_test, len(free) - 1))
  out = {f: fixed[f] for f in files if f in fixed}
  for rank, i in enumerate(order):
    out[free[i]] = 'test' if rank < n_test else 'train'
  return out


def window_starts(length: int, num_frames: int, hop: int) -> list[int]:
  """Starts of the whole windows of ``num_frames`` every ``hop`` frames."""
  if num_frames < 2 or hop < 1:
    raise ValueError(f'need num_frames >= 2 and hop >= 1, got {num_frames}, '
                     f'{hop}.')
  return list(range(0, length - num_frames + 1, hop))


def resample(times: np.ndarray, values: np.ndarray, rate: float
             ) -> np.ndarray:
  """``values`` ``[N, ...]`` sampled at ``times`` (s, increasing) on the
  uniform grid ``times[0] + k / rate`` up to ``times[-1]``, by linear
  interpolation between the neighbouring samples (frames)."""
  times = np.asarray(times, np.float64)
  if times.ndim != 1 or len(times) != len(values) or len(times) < 2:
    raise ValueError(f'resample: need >= 2 time stamps, one per sample; got '
                     f'{times.shape} for {len(values)} samples.')
  if not np.all(np.diff(times) > 0):
    raise ValueError('resample: time stamps must increase strictly.')
  n = int(math.floor((times[-1] - times[0]) * rate + 1e-9)) + 1
  grid = times[0] + np.arange(n) / rate
  pos = np.interp(grid, times, np.arange(len(times)))
  lo = np.minimum(np.floor(pos).astype(int), len(times) - 2)
  w = (pos - lo).reshape((-1,) + (1,) * (np.ndim(values) - 1))
  v = np.asarray(values)
  out = (1 - w) * v[lo].astype(np.float64) + w * v[lo + 1].astype(np.float64)
  return out


def most_common_rate(rates: Iterable[float]) -> float:
  """The most frequent of ``rates`` (rounded to 0.01 Hz; ties: the
  highest), or 0 when there is none."""
  counts = collections.Counter(round(float(r), 2) for r in rates
                               if r and math.isfinite(r) and r > 0)
  if not counts:
    return 0.0
  return max(counts, key=lambda r: (counts[r], r))


_LISTS = ('unreadable_files', 'empty_files', 'too_short_files',
          'labels_without_file', 'label_problems')


def _summary(s) -> str:
  return (f'{s["files"]} files -> {s["windows"]} windows '
          f'({s["labelled_windows"]} labelled, from {s["labelled_files"]} '
          f'labelled files); not used: {len(s["unreadable_files"])} '
          f'unreadable {s["unreadable_files"][:5]}, {len(s["empty_files"])} '
          f'empty {s["empty_files"][:5]}, {len(s["too_short_files"])} '
          f'shorter than one window {s["too_short_files"][:5]}; '
          f'{len(s["labels_without_file"])} labels naming no file '
          f'{s["labels_without_file"][:5]}; {s["tail_frames_dropped"]} '
          'samples after the last whole window')


def build_report() -> common.BuildReport:
  """The counts a folder build reports per split (every problem listed)."""
  return common.BuildReport(
      counters=('files', 'labelled_files', 'windows', 'labelled_windows',
                'tail_frames_dropped'),
      lists=_LISTS, summary=_summary)


# ------------------------------------------------- the plug-ins (adapter.py)


def data_path(cfg) -> str:
  """``data.path`` with ``~`` expanded (empty when unset)."""
  return os.path.expanduser(str(common.option(cfg, 'path', '') or ''))


def synthetic_path(cfg, folder: str) -> str:
  """Where ``data.synthetic`` generates the folder named ``folder``
  (unless ``data.path``): ``DATA_DIR/downloads/manual/folder``."""
  data_dir = common.option(cfg, 'data_dir', '') or ''
  top = os.path.expanduser(data_dir or '~/tensorflow_datasets')
  return os.path.join(top, 'downloads', 'manual', folder)


def resolve_path(cfg, folder: str, ensure: Callable[[str], object]
                 ) -> tuple[str, dict]:
  """``(path, resolved)``: ``data.path``; with ``data.synthetic`` the
  folder is generated there by ``ensure(path)`` (once), or, when
  ``data.path`` is unset, at :func:`synthetic_path` (then ``resolved``
  holds that ``path``)."""
  out = {}
  path = data_path(cfg)
  if common.option(cfg, 'synthetic', False):
    if not path:
      path = out['path'] = synthetic_path(cfg, folder)
    ensure(path)
  return path, out


def path_error(dataset: str, path: str, what: str) -> common.DataError:
  """The error for a ``data.path`` that is unset, missing or no folder;
  ``what`` says what the folder holds."""
  state = ('is not set' if not path else
           f'= {path!r} does not exist' if not os.path.exists(path) else
           f'= {path!r} is not a folder')
  return common.DataError(
      f'{dataset}: data.path {state}. Set --config.data.path=DIR (a folder '
      f'of {what}, with an optional labels.csv) or use the :synthetic '
      f'variant (--config=experiments/{dataset}.py:synthetic).')


def plugin_options(cfg, short: Mapping[str, str], defaults, resolve,
                   what: str, dataset: str) -> tuple[str, dict]:
  """``(folder, values)`` for ``make_builder``: the absolute ``data.path``
  and the ``data`` options named in ``short`` (``defaults``' where unset),
  with the fields ``resolve(cfg)`` fills resolved when still unset (the
  folder of ``data.synthetic``, ``fps = 0``).

  Raises:
    DataError: no folder (:func:`path_error`).
  """
  values = {**{k: common.option(cfg, k, getattr(defaults, k))
               for k in short}, 'path': data_path(cfg)}
  if (not values['path'] and common.option(cfg, 'synthetic', False)) or (
      not values['fps']):
    values.update(resolve(cfg))
  path = values.pop('path')
  if not path or not os.path.isdir(path):
    raise path_error(dataset, path, what)
  return os.path.abspath(path), values


def _tag(value) -> str:
  if isinstance(value, float) and value == int(value):
    value = int(value)
  return str(value).replace('.', 'p').replace('-', 'm')


def config_name(root: str, files: Sequence[str], options: Mapping[str, object],
                short: Mapping[str, str]) -> str:
  """The prepared dataset's config name: ``f`` + the folder's
  :func:`fingerprint`, then ``_`` + each option's tag in ``short`` and its
  value (``.`` -> ``p``, ``-`` -> ``m``; whole floats as integers)."""
  return f'f{fingerprint(root, files)}' + ''.join(
      f'_{short[k]}{_tag(v)}' for k, v in options.items())


def read_rate(cfg, path: str) -> float:
  """``data.fps`` for reading the file ``path`` as a clip (``read``)."""
  fps = float(common.option(cfg, 'fps', 0.0) or 0.0)
  if not fps > 0:
    raise common.DataError(f'{path}: data.fps must be > 0 to resample it, '
                           f'got {fps!r}.')
  return fps


def plugin(name: str, clip: str, short: Mapping[str, str], **fields
           ) -> common.Dataset:
  """A folder dataset's plug-in: target ``target``, files grouped by
  ``file``, options ``path``, ``synthetic`` and those of ``short``;
  ``fields``: ``make_builder``, ``resolve``, ``read``, ``extensions``."""
  return common.Dataset(name=name, clip=clip, target='target', group='file',
                        options=('path', 'synthetic', *short), **fields)
