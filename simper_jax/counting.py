"""Host-side metrics for repetition counting and for nowcasting, in NumPy.

Repetition counting (Countix, RepNet's conventions; Dwibedi et al., 2020):

* ``count_metrics``: MAE, normalized MAE and off-by-one accuracy (OBO);
* ``counts_from_frequency``: a count from a frequency and a duration.

Nowcasting a scalar (e.g. land-surface temperature in kelvin, the ``lst``
builder): ``nowcast_metrics``, MAE, RMSE, bias and Pearson r.

Everything is float64 on the host; bad arguments raise ``ValueError``
saying what is wrong, where, and what is expected.
"""

from __future__ import annotations

import numpy as np


def _pair(pred, true, name: str) -> tuple[np.ndarray, np.ndarray]:
  """``pred`` and ``true`` as finite float64 ``[N]`` arrays, ``N >= 1``."""
  p = np.asarray(pred, dtype=np.float64)
  t = np.asarray(true, dtype=np.float64)
  if p.ndim != 1 or t.ndim != 1:
    raise ValueError(f'{name}: pred and true must be 1-D [N], got shapes '
                     f'{p.shape} and {t.shape}.')
  if p.shape != t.shape:
    raise ValueError(f'{name}: pred has {p.shape[0]} values but true has '
                     f'{t.shape[0]}; they must pair up one to one.')
  if p.size == 0:
    raise ValueError(f'{name}: empty inputs; need at least one pair.')
  for label, x in (('pred', p), ('true', t)):
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
      raise ValueError(f'{name}: {bad.size} non-finite value(s) in {label} '
                       f'(NaN or infinity); first at index '
                       f'{bad[:5].tolist()}: {x[bad[:5]].tolist()}.')
  return p, t


def count_metrics(pred, true) -> dict[str, float]:
  """Repetition-count metrics of ``pred`` against ``true`` (RepNet's).

  With ``e_i = pred_i - true_i`` over the ``n`` pairs:

  * ``mae = (1/n) sum_i |e_i|``, in counts, on ``pred`` as given (not
    rounded; pass ``np.rint(pred)`` for the MAE of integer counts);
  * ``mae_normalized = (1/n) sum_i |e_i| / true_i``, RepNet's "MAE"
    (the error relative to the true count), on ``pred`` as given;
  * ``obo = (1/n) #{i : |rint(pred_i) - true_i| <= 1}``, off-by-one
    accuracy: the share of examples whose count, rounded to the nearest
    integer first as RepNet does (``np.rint``: halves go to the even
    integer, as Python's ``round``), is within one of the true count. The
    true count is used as given (Countix counts are integers);
  * ``n``: the number of pairs.

  Example: ``pred = [2.4, 5.6, 10]``, ``true = [2, 4, 12]``: ``|e| = [0.4,
  1.6, 2]``, ``mae = 4 / 3``, ``mae_normalized = (0.2 + 0.4 + 1/6) / 3``;
  rounded ``[2, 6, 10]`` are off by ``[0, 2, 2]``, ``obo = 1/3``.

  Args:
    pred: ``[N]`` finite predicted counts (any real value; a negative
      prediction is simply far off).
    true: ``[N]`` finite true counts, all ``> 0``.

  Returns:
    ``{'mae', 'mae_normalized', 'obo'}`` as Python floats and ``'n'`` as
    an int.

  Raises:
    ValueError: on shapes that differ or are not 1-D, empty, non-finite
      inputs, or a true count ``<= 0`` (normalized MAE undefined).
  """
  p, t = _pair(pred, true, 'count_metrics')
  bad = np.flatnonzero(t <= 0)
  if bad.size:
    raise ValueError(
        f'count_metrics: true counts must be > 0 (normalized MAE divides by '
        f'them); {bad.size} are not, first at index {bad[:5].tolist()}: '
        f'{t[bad[:5]].tolist()}. Drop examples without repetitions.')
  err = np.abs(p - t)
  return {'mae': float(np.mean(err)),
          'mae_normalized': float(np.mean(err / t)),
          'obo': float(np.mean(np.abs(np.rint(p) - t) <= 1)),
          'n': int(p.size)}


def counts_from_frequency(freq_hz, duration_s):
  """Repetitions in a segment: ``count = freq_hz * duration_s``.

  A periodic motion at ``f`` Hz repeats ``f * d`` times in ``d`` seconds
  (e.g. 0.5 Hz for 8 s: 4 repetitions). Inputs broadcast against each
  other (NumPy rules).

  Args:
    freq_hz: frequencies, finite and ``>= 0`` (scalar or array).
    duration_s: durations in seconds, finite and ``> 0``.

  Returns:
    A Python float when both inputs are scalars, else a float64 array of
    the broadcast shape.

  Raises:
    ValueError: on non-finite or negative frequencies, non-finite or
      non-positive durations, or shapes that do not broadcast.
  """
  f = np.asarray(freq_hz, dtype=np.float64)
  d = np.asarray(duration_s, dtype=np.float64)
  try:
    f, d = np.broadcast_arrays(f, d)
  except ValueError as e:
    raise ValueError(f'counts_from_frequency: freq_hz {f.shape} and '
                     f'duration_s {d.shape} do not broadcast.') from e
  for label, x, ok, want in (
      ('freq_hz', f, np.isfinite(f) & (f >= 0), 'finite and >= 0'),
      ('duration_s', d, np.isfinite(d) & (d > 0), 'finite and > 0')):
    if not ok.all():
      first = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
      raise ValueError(f'counts_from_frequency: {label} must be {want}; '
                       f'{int((~ok).sum())} value(s) are not, first at '
                       f'index {first}: {float(x[first])!r}.')
  out = f * d
  return float(out) if out.ndim == 0 else out


def nowcast_metrics(pred, true) -> dict[str, float]:
  """Errors of a nowcast (e.g. land-surface temperature, kelvin).

  With ``e_i = pred_i - true_i`` over the ``n`` pairs:

  * ``mae = (1/n) sum_i |e_i|`` (kelvin for LST);
  * ``rmse = sqrt((1/n) sum_i e_i^2)``;
  * ``bias = (1/n) sum_i e_i`` (positive: the nowcast runs warm);
  * ``pearson = sum_i a_i b_i / sqrt(sum_i a_i^2 sum_i b_i^2)`` with
    ``a = pred - mean(pred)``, ``b = true - mean(true)``; NaN when either
    is constant (zero variance, e.g. one pair): undefined, not 0;
  * ``n``: the number of pairs.

  Args:
    pred: ``[N]`` finite predictions.
    true: ``[N]`` finite targets.

  Returns:
    ``{'mae', 'rmse', 'bias', 'pearson'}`` as Python floats, ``'n'`` int.

  Raises:
    ValueError: on shapes that differ or are not 1-D, empty or non-finite
      inputs.
  """
  p, t = _pair(pred, true, 'nowcast_metrics')
  err = p - t
  # ptp == 0 tests constancy exactly (p - mean(p) of a constant can be
  # rounding noise).
  if np.ptp(p) == 0 or np.ptp(t) == 0:
    pearson = float('nan')
  else:
    a, b = p - p.mean(), t - t.mean()
    r = np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b))
    pearson = float(np.clip(r, -1.0, 1.0))
  return {'mae': float(np.mean(np.abs(err))),
          'rmse': float(np.sqrt(np.mean(err ** 2))),
          'bias': float(np.mean(err)),
          'pearson': pearson,
          'n': int(p.size)}
