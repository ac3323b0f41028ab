"""Reading a recording, its gaps and its windows (``time_series``).

* :func:`read_recording`: a ``.npy`` (``[T]`` or ``[T, C]``, at
  ``sample_rate``) or ``.csv`` (numeric columns, missing values as pandas
  reads them; a ``time`` or ``time_s`` column in seconds, or ``time_ms``,
  gives the time stamps, else ``sample_rate``) file ->
  :class:`Recording`; a file that cannot give a window raises
  :class:`Unusable` with the build-report list it belongs to and why.
* :func:`to_rate`: the first ``channels`` channels at the output rate,
  short gaps filled by linear interpolation, long ones marked invalid.
* :func:`clean_windows`: the windows that touch no invalid sample.
"""

from __future__ import annotations

import csv
import os
from typing import NamedTuple

import numpy as np

from tfds_builders import common
from tfds_builders import folders

DataError = common.DataError
EXTENSIONS = ('.npy', '.csv')
# A CSV's time column (name, lower case) -> seconds per unit.
TIME_COLUMNS = {'time': 1.0, 'time_s': 1.0, 'time_ms': 1e-3}
# Other names of time stamps: a numeric column so named is refused (it
# would be read as a channel), not guessed.
_TIMELIKE = ('t', 'ts', 'epoch', 'seconds', 'sec', 'secs', 'ms', 'elapsed')
# What pandas.read_csv reads as missing (its default na_values).
NA_STRINGS = frozenset({
    '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan',
    '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a',
    'nan', 'null'})
TABLES = folders.TABLES  # at the top of the folder: not recordings
GAP_FACTOR = 1.5  # an interval over 1.5x the median misses samples
GAP_COUNTS = ('filled_gaps', 'filled_samples', 'rejected_gaps',
              'windows_rejected_gap', 'trimmed_samples')

class Unusable(DataError):
  """A file that gives no window; ``kind`` names its build-report list."""

  def __init__(self, kind: str, reason: str):
    super().__init__(reason)
    self.kind = kind


class Recording(NamedTuple):
  """A file as read: ``times`` [N] s (increasing), ``values`` [N, C]
  float64 (NaN: missing), its nominal ``rate`` (Hz; 0 when unknown),
  whether the times came from the file, the CSV columns left out and the
  rows left out for an empty time stamp."""
  times: np.ndarray
  values: np.ndarray
  rate: float
  timed: bool = False
  ignored: tuple[str, ...] = ()
  rows_without_time: int = 0


def _column(cells) -> tuple[np.ndarray | None, int | None]:
  """A column's cells as float64 (``NA_STRINGS``: NaN), and the index of
  its first cell that is neither a number nor missing (None: none). The
  values are None when no cell is a number (a text or empty column)."""
  cells = ['nan' if c.strip() in NA_STRINGS else c.strip() for c in cells]
  try:
    x, bad = np.array(cells, dtype=np.float64), None
  except ValueError:
    x, bad = np.full(len(cells), np.nan), None
    for i, c in enumerate(cells):
      try:
        x[i] = float(c)
      except ValueError:
        bad = i if bad is None else bad
  return (None if np.all(np.isnan(x)) else x), bad


def _read_csv(path: str):
  """``(times or None, values [N, C], ignored column names, line of each
  row)``."""
  try:
    with open(path, newline='', encoding='utf-8-sig') as f:
      reader = csv.reader(f)
      rows = [(reader.line_num, r) for r in reader
              if any(c.strip() for c in r)]
  except (OSError, UnicodeDecodeError, csv.Error) as e:
    raise Unusable('unreadable',
                   f'not a readable CSV text file ({e})') from e
  if not rows:
    raise Unusable('empty', 'the file has no rows')
  head = [c.strip() for c in rows[0][1]]
  sep = [c for c in ';\t|' if c in ','.join(head)]
  hint = (f"; it looks separated by {sep[0]!r}: save it comma-separated "
          "with '.' decimals" if sep else '')
  has_header = any(_column([c])[1] is not None for c in head)
  names = head if has_header else [f'column {i + 1}' for i in
                                   range(len(head))]
  body = rows[1:] if has_header else rows
  if not body:
    raise Unusable('empty', 'the file has a header and no data rows')
  if 'file' in [n.lower() for n in names]:
    raise Unusable('unreadable', 'a table with a "file" column (labels?), '
                   'not a recording')
  lines = np.array([line for line, _ in body])
  for line, row in body:
    if len(row) > len(names) and any(c.strip() for c in row[len(names):]):
      raise Unusable('unreadable', f'line {line} has {len(row)} fields, the '
                     f'first row {len(names)}{hint}')
  cells = list(zip(*[r[:len(names)] + [''] * (len(names) - len(r))
                     for _, r in body]))
  times, values, ignored = None, [], []
  for name, col in zip(names, cells):
    x, bad = _column(col)
    what = f'its {name!r} column'
    if x is not None and bad is not None:
      raise Unusable('unreadable', f'line {lines[bad]}, column {name!r}: '
                     f'{col[bad].strip()!r} is not a number; fix it, or '
                     'leave the cell empty (a missing value)')
    low = name.lower()
    if low in TIME_COLUMNS:
      if times is not None:
        raise Unusable('unreadable', f'two time columns ({name!r} and an '
                       'earlier one); keep one')
      if x is None and bad is not None:
        raise Unusable('unreadable', f'{what} is not numbers (seconds; '
                       'time_ms: milliseconds)')
      times = (np.full(len(col), np.nan) if x is None else x
               ) * TIME_COLUMNS[low]
    elif x is not None and (low in _TIMELIKE or low.startswith(
        ('time', 'date'))):
      raise Unusable('unreadable', f'{what} looks like time stamps: rename '
                     'it time (in seconds) or time_ms (milliseconds), or '
                     'delete it')
    elif x is None:
      ignored.append(name)
    else:
      values.append(x)
  if not values:
    raise Unusable('unreadable', f'no numeric column (columns: {names})'
                   f'{hint}')
  return times, np.stack(values, axis=1), tuple(ignored), lines


def _read_npy(path: str) -> np.ndarray:
  try:
    with open(path, 'rb') as f:
      magic = f.read(6)
    if magic != b'\x93NUMPY':
      raise Unusable('unreadable' if magic else 'empty',
                     'not a .npy file (no NUMPY header)' if magic
                     else 'the file has 0 bytes')
    a = np.load(path, allow_pickle=False)
  except Unusable:
    raise
  except Exception as e:  # pylint: disable=broad-except  # numpy raises many
    raise Unusable('unreadable', f'not a readable .npy array '
                   f'({type(e).__name__}: {e})') from e
  if not isinstance(a, np.ndarray) or a.dtype.kind not in 'biuf':
    raise Unusable('unreadable', f'not a numeric array '
                   f'({getattr(a, "dtype", type(a).__name__)})')
  if a.ndim not in (1, 2):
    raise Unusable('unreadable', f'shape {a.shape}; expected [T] or [T, C]')
  if a.size == 0:
    raise Unusable('empty', f'shape {a.shape}: no samples')
  a = a.reshape(len(a), -1)
  if a.shape[1] > a.shape[0]:
    raise Unusable('unreadable', f'shape {a.shape} has more channels than '
                   'samples; expected [T, C] (if it is [C, T], save x.T)')
  return a.astype(np.float64)


def read_recording(path: str, sample_rate: float) -> Recording:
  """A ``.npy`` or ``.csv`` recording with its time stamps.

  Raises:
    Unusable: ``unreadable`` (with the reason, e.g. no rate) or ``empty``.
  """
  ignored, times = (), None
  if path.lower().endswith('.csv'):
    times, values, ignored, lines = _read_csv(path)
  else:
    values = _read_npy(path)
  if times is None:
    if not sample_rate > 0:
      raise Unusable('unreadable', 'no time column and no sampling rate: '
                     'set --config.data.sample_rate=HZ (the rate of the '
                     '.npy files and of CSVs without a "time" column)')
    return Recording(np.arange(len(values)) / sample_rate, values,
                     float(sample_rate), False, ignored)
  keep = np.isfinite(times)  # a row without a time stamp is missing
  if keep.sum() < 2:
    raise Unusable('empty', f'{int(keep.sum())} of its {len(times)} rows '
                   'have a time stamp; at least 2 are needed')
  times, values, lines = times[keep], values[keep], lines[keep]
  step = np.diff(times)
  if np.any(step <= 0):
    i = int(np.flatnonzero(step <= 0)[0])
    where = (f'line {lines[i + 1]}: {times[i + 1]:g} s after {times[i]:g} '
             f's on line {lines[i]}')
    raise Unusable('unreadable', (
        f'the time stamp {times[i]:g} s repeats ({where}); remove the '
        'duplicate rows') if step[i] == 0 else (
        f'the time column does not increase ({where}); sort the rows by '
        'time'))
  rate = 1.0 / float(np.median(step))
  return Recording(times, values, rate, True, ignored,
                   int(len(keep) - keep.sum()))


# ------------------------------------------------------- gaps, resampling


class Series(NamedTuple):
  """A recording at the output rate: ``values`` [T, C] float32, ``valid``
  [T] (False inside a gap too long to fill), ``offset_s`` (the first
  output sample's time after the file's first time stamp), and counts."""
  values: np.ndarray
  valid: np.ndarray
  offset_s: float
  counts: dict


def to_rate(rec: Recording, channels: int, fps: float,
            max_gap_s: float) -> Series:
  """The first ``channels`` channels of ``rec`` at ``fps``, gaps handled.

  Rows with a NaN in one of the channels are dropped; an interval between
  the remaining rows over ``GAP_FACTOR`` times the nominal one is a gap,
  its missing span ``interval - 1 / rate``. The rest is
  :func:`folders.resample` (linear interpolation, the grid from the first
  to the last valid row), so short gaps are bridged linearly; the output
  samples strictly inside a longer gap are marked invalid.
  """
  if rec.values.shape[1] < channels:
    raise Unusable('too_few_channels', f'{rec.values.shape[1]} channel(s), '
                   f'data.channels={channels}')
  x = rec.values[:, :channels]
  ok = np.all(np.isfinite(x), axis=1)
  if ok.sum() < 2:
    raise Unusable('empty', f'fewer than 2 rows with all {channels} '
                   'channel(s) numeric')
  first, last = int(np.argmax(ok)), len(ok) - 1 - int(np.argmax(ok[::-1]))
  t, x = rec.times[ok], x[ok]
  nominal = 1.0 / rec.rate
  out = folders.resample(t, x, fps)
  grid = t[0] + np.arange(len(out)) / fps
  valid = np.ones(len(out), bool)
  counts = dict.fromkeys(GAP_COUNTS, 0)
  counts['trimmed_samples'] = first + len(ok) - 1 - last
  tol = 1e-6 / fps
  for i in np.flatnonzero(np.diff(t) > GAP_FACTOR * nominal):
    lo = int(np.searchsorted(grid, t[i] + tol, side='right'))
    hi = int(np.searchsorted(grid, t[i + 1] - tol, side='left'))
    if t[i + 1] - t[i] - nominal <= max_gap_s + 1e-9:
      counts['filled_gaps'] += 1
      counts['filled_samples'] += hi - lo
    else:
      counts['rejected_gaps'] += 1
      valid[lo:hi] = False
  return Series(out.astype(np.float32), valid, float(t[0] - rec.times[0]),
                counts)


def clean_windows(valid: np.ndarray, num_frames: int, hop: int
                  ) -> tuple[list[tuple[int, int]], int]:
  """``([(window_index, start)] of the windows with no invalid sample,
  number rejected)`` over :func:`folders.window_starts`."""
  bad = np.concatenate([[0], np.cumsum(~valid)])
  kept, rejected = [], 0
  for i, s in enumerate(folders.window_starts(len(valid), num_frames, hop)):
    if bad[s + num_frames] - bad[s]:
      rejected += 1
    else:
      kept.append((i, s))
  return kept, rejected


def find_recordings(root: str) -> list[str]:
  """The ``.npy`` / ``.csv`` files below ``root`` (relative, sorted), less
  the tables at its top (``labels.csv``, ``truth.csv``)."""
  return [f for f in folders.find_files(root, EXTENSIONS)
          if f not in TABLES]


def folder_rates(root: str, sample_rate: float) -> dict[str, float]:
  """File -> input rate of the readable recordings below ``root``."""
  out = {}
  for rel in find_recordings(root):
    try:
      out[rel] = read_recording(os.path.join(root, rel), sample_rate).rate
    except Unusable:
      continue
  return out
