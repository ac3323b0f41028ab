"""What the user-folder datasets (``video_folder``, ``time_series``) share.

A folder of recordings, any layout below it, with an optional
``labels.csv`` (columns ``file`` -- the path relative to the folder --,
``target`` -- empty for an unlabelled file -- and optionally ``split``:
``train`` or ``test``). Each recording is resampled to one rate and cut
into fixed windows; every window of a recording lands in the same split.
Problems (unreadable, empty, constant or too-short files; labels naming
files that are not there; unusable label cells and rows; files not read
for their name) are counted and listed in the build report, never dropped
silently; a ``labels.csv`` that cannot be read as a table at all stops
the build.

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
TRUTH_FILE = 'truth.csv'  # the synthetic folders' true rates
# At the top of a folder: tables, not recordings.
TABLES = (LABELS_FILE, TRUTH_FILE)
LABEL_COLUMNS = ('file', 'target', 'split')
SPLITS = ('train', 'test')


def _walk(root: str, extensions: Iterable[str], skip: Iterable[str] = ()
          ) -> tuple[list[str], list[str]]:
  """``(files, ignored)`` below ``root``: the paths (relative, sorted) with
  one of ``extensions`` (case-insensitive, with the dot), and one line per
  thing not read -- a hidden folder (not searched), a hidden file, a file
  with another extension -- less ``skip`` (tables at the top)."""
  if not os.path.isdir(root):
    raise common.DataError(
        f'data.path={root!r} is not a folder. Point --config.data.path at '
        'the folder holding your recordings.')
  exts = tuple(e.lower() for e in extensions)
  files, ignored = [], []
  for d, dirs, names in os.walk(root):
    rel = lambda x, d=d: os.path.relpath(os.path.join(d, x), root)
    ignored += [f'{rel(x)}/ (hidden folder, not searched)'
                for x in sorted(dirs) if x.startswith('.')]
    dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
    for f in sorted(names):
      if f.startswith('.'):
        ignored.append(f'{rel(f)} (hidden file)')
      elif f.lower().endswith(exts):
        files.append(rel(f))
      elif rel(f) not in skip:
        ignored.append(f'{rel(f)} (not {"/".join(exts)})')
  return sorted(files), sorted(ignored)


def find_files(root: str, extensions: Iterable[str]) -> list[str]:
  """Paths relative to ``root`` of the files with one of ``extensions``
  (case-insensitive, with the dot), in a deterministic (sorted) order;
  hidden files and folders are skipped."""
  return _walk(root, extensions)[0]


def ignored_files(root: str, extensions: Iterable[str],
                  skip: Iterable[str] = TABLES) -> list[str]:
  """What :func:`find_files` leaves out, one line each (the build report's
  ``ignored_files``): hidden folders and files, other extensions; the
  tables ``skip`` at the top are not listed."""
  return _walk(root, extensions, tuple(skip))[1]


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


def _label_rows(path: str) -> list[tuple[int, list[str]]]:
  """The non-blank rows of ``labels.csv`` with their line numbers."""
  try:
    with open(path, newline='', encoding='utf-8-sig') as f:
      reader = csv.reader(f)
      return [(reader.line_num, r) for r in reader
              if any(c.strip() for c in r)]
  except UnicodeDecodeError as e:
    raise common.DataError(
        f'{path}: not UTF-8 text ({e}). Save it as UTF-8 (Excel: "CSV '
        'UTF-8").') from e
  except csv.Error as e:
    raise common.DataError(f'{path}: not a readable CSV file ({e}).') from e


def _label_name(root: str, text: str) -> str:
  """A ``file`` cell as a path relative to ``root``: ``\\`` read as
  ``/``, an absolute path inside ``root`` made relative."""
  name = text.replace('\\', '/')
  top = os.path.abspath(root)
  if os.path.isabs(name) and os.path.abspath(name).startswith(top + os.sep):
    name = os.path.relpath(os.path.abspath(name), top)
  return os.path.normpath(name)


def read_labels(root: str
                ) -> tuple[dict[str, float], dict[str, str], list[str]]:
  """``root/labels.csv`` if present.

  Returns:
    ``(targets, splits, problems)``: file -> target (only labelled files),
    file -> ``train``/``test`` (only where a ``split`` column says so), and
    one line per cell or row that could not be used (the line and why).

  Raises:
    DataError: not UTF-8 CSV text, no header with ``file`` and ``target``,
      or one of those columns twice.
  """
  path = os.path.join(root, LABELS_FILE)
  targets, splits, problems = {}, {}, []
  if not os.path.exists(path):
    return targets, splits, problems
  rows = _label_rows(path)
  cols = [c.strip().lower() for c in rows[0][1]] if rows else []
  if 'file' not in cols or 'target' not in cols:
    sep = [c for c in ';\t|' if rows and c in ','.join(rows[0][1])]
    raise common.DataError(
        f'{path}: needs a header row with the columns file and target '
        f'(and optionally split); found {cols}. '
        + (f'It looks separated by {sep[0]!r}: save it comma-separated. '
           if sep else '') + 'Leave a target empty for an unlabelled file.')
  twice = sorted({c for c in cols if c in LABEL_COLUMNS
                  and cols.count(c) > 1})
  if twice:
    raise common.DataError(f'{path}: the column(s) {twice} appear twice in '
                           'the header; keep one of each.')
  other = [c for c in cols if c not in LABEL_COLUMNS]
  if other:
    problems.append(f'{LABELS_FILE}: columns {other} are not file, target '
                    'or split; ignored')
  seen = {}
  for line, row in rows[1:]:
    where = f'{LABELS_FILE} line {line}'
    if len(row) > len(cols) and any(c.strip() for c in row[len(cols):]):
      problems.append(f'{where}: {len(row)} fields, the header has '
                      f'{len(cols)} (quote a name with a comma); row not used')
      continue
    cell = {c: v.strip() for c, v in zip(cols, row)}
    if not cell.get('file'):
      problems.append(f'{where}: no file name; row not used')
      continue
    name = _label_name(root, cell['file'])
    if name in seen:
      problems.append(f'{where}: {name} is already on line {seen[name]}; '
                      'this row is not used')
      continue
    seen[name] = line
    text = cell.get('target', '')
    if text:
      try:
        value = float(text)
      except ValueError:
        value = float('nan')
      if math.isfinite(value) and value > 0:
        targets[name] = value
      else:
        problems.append(f'{where}: target {text!r} of {name} is not a '
                        'positive number (a rate in data.target_unit); the '
                        'file is left unlabelled')
    split = cell.get('split', '').lower()
    if split in SPLITS:
      splits[name] = split
    elif split:
      problems.append(f'{where}: split {split!r} of {name} is not one of '
                      f'{SPLITS}; its split is drawn')
  return targets, splits, problems


def no_files_error(dataset: str, root: str, what: str,
                   extensions: Sequence[str]) -> common.DataError:
  """The error for a folder without a file to read."""
  return common.DataError(
      f'{dataset}: no {what} ({", ".join(extensions)}) in {root} or its '
      f'sub-folders (hidden ones skipped). Point --config.data.path at your '
      f'{what} or use the :synthetic variant.')


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


_LISTS = ('unreadable_files', 'empty_files', 'constant_files',
          'too_short_files', 'labels_without_file', 'label_problems',
          'ignored_files')


def _summary(s) -> str:
  return (f'{s["files"]} files -> {s["windows"]} windows '
          f'({s["labelled_windows"]} labelled, from {s["labelled_files"]} '
          f'labelled files); not used: {len(s["unreadable_files"])} '
          f'unreadable {s["unreadable_files"][:5]}, {len(s["empty_files"])} '
          f'empty {s["empty_files"][:5]}, {len(s["constant_files"])} '
          f'constant {s["constant_files"][:5]}, {len(s["too_short_files"])} '
          f'shorter than one window {s["too_short_files"][:5]}; '
          f'{len(s["labels_without_file"])} labels naming no file '
          f'{s["labels_without_file"][:5]}, {len(s["label_problems"])} '
          f'label problems; {len(s["ignored_files"])} files ignored '
          f'{s["ignored_files"][:5]}; {s["tail_frames_dropped"]} '
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
