"""Reading a recording, its gaps and its windows (``time_series``).

* :func:`read_recording`: a ``.npy`` (``[T]`` or ``[T, C]``, at
  ``sample_rate``) or ``.csv`` (numeric columns; a ``time`` or ``time_s``
  column in seconds gives the time stamps, else ``sample_rate``) file ->
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
from tfds_builders import folder_synthetic
from tfds_builders import folders

DataError = common.DataError
EXTENSIONS = ('.npy', '.csv')
TIME_COLUMNS = ('time', 'time_s')
# At the top of the folder: tables, not recordings.
TABLES = (folders.LABELS_FILE, folder_synthetic.TRUTH_FILE)
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


def _floats(cells) -> np.ndarray | None:
  """A column's cells as float64 (empty: NaN), or None if one is text."""
  try:
    return np.array([c.strip() or 'nan' for c in cells], dtype=np.float64)
  except ValueError:
    return None


def _read_csv(path: str):
  """``(times or None, values [N, C], ignored column names)``."""
  try:
    with open(path, newline='', encoding='utf-8-sig') as f:
      rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
  except (OSError, UnicodeDecodeError, csv.Error) as e:
    raise Unusable('unreadable',
                   f'not a readable CSV text file ({e})') from e
  if not rows:
    raise Unusable('empty', 'the file has no rows')
  head = [c.strip() for c in rows[0]]
  has_header = _floats(head) is None
  names = head if has_header else [f'column {i + 1}' for i in
                                   range(len(head))]
  body = rows[1:] if has_header else rows
  if not body:
    raise Unusable('empty', 'the file has a header and no data rows')
  if 'file' in [n.lower() for n in names]:
    raise Unusable('unreadable', 'a table with a "file" column (labels?), '
                   'not a recording')
  for i, row in enumerate(body):
    if len(row) > len(names):
      raise Unusable('unreadable', f'data row {i + 1} has {len(row)} fields,'
                     f' the first row {len(names)}')
  cells = list(zip(*[r + [''] * (len(names) - len(r)) for r in body]))
  times, values, ignored = None, [], []
  for name, col in zip(names, cells):
    x = _floats(col)
    if name.lower() in TIME_COLUMNS and times is None:
      if x is None:
        raise Unusable('unreadable', f'its {name!r} column is not numbers '
                       '(seconds)')
      times = x
    elif x is None:
      ignored.append(name)
    else:
      values.append(x)
  if not values:
    raise Unusable('unreadable', f'no numeric column (columns: {names})')
  return times, np.stack(values, axis=1), tuple(ignored)


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
    times, values, ignored = _read_csv(path)
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
  times, values = times[keep], values[keep]
  step = np.diff(times)
  if np.any(step <= 0):
    i = int(np.flatnonzero(step <= 0)[0])
    raise Unusable('unreadable', f'the time column does not increase (data '
                   f'row {i + 2}: {times[i + 1]:g} s after {times[i]:g} s); '
                   'sort the rows by time')
  rate = 1.0 / float(np.median(step)) if len(step) else 0.0
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
