"""Scores of predictions against targets: MAE, MAPE, RMSE, Pearson r."""

from __future__ import annotations

import numpy as np

from tfds_builders import signals


def pairs(pred, true, name: str) -> tuple[np.ndarray, np.ndarray]:
  """Validates two finite, non-empty ``[N]`` arrays; returns them float64."""
  p = np.asarray(pred, dtype=np.float64)
  t = np.asarray(true, dtype=np.float64)
  if p.ndim != 1 or p.shape != t.shape:
    raise ValueError(f'{name}: pred and true must both be [N], got shapes '
                     f'{p.shape} and {t.shape}.')
  if p.size == 0:
    raise ValueError(f'{name}: empty inputs, shape (0,).')
  signals.check_finite(p, f'{name} pred')
  signals.check_finite(t, f'{name} true')
  return p, t


def pearson(a: np.ndarray, b: np.ndarray) -> float:
  """Pearson r of two ``[N]`` float arrays, clipped to [-1, 1].

  ``r = sum_i a'_i b'_i / sqrt(sum_i a'_i^2 sum_i b'_i^2)`` with ``a' = a -
  mean(a)``, ``b' = b - mean(b)``. NaN when either is constant (zero
  variance, e.g. a single pair): the correlation is undefined, not 0.
  """
  a = np.asarray(a, dtype=np.float64)
  b = np.asarray(b, dtype=np.float64)
  # ptp == 0 tests constancy exactly (a - mean(a) of a constant can be
  # rounding noise).
  if np.ptp(a) == 0 or np.ptp(b) == 0:
    return float('nan')
  da, db = a - a.mean(), b - b.mean()
  r = np.sum(da * db) / np.sqrt(np.sum(da ** 2) * np.sum(db ** 2))
  return float(np.clip(r, -1.0, 1.0))


def regression_metrics(pred, true) -> dict[str, float]:
  """MAE, MAPE (percent), RMSE and Pearson r of ``pred`` against ``true``.

  ``mape`` is ``100 * mean(|pred - true| / |true|)``; it is NaN when any
  ``true`` is 0 (undefined). ``pearson`` is NaN when either input is
  constant; callers writing JSON map NaN to null.

  Args:
    pred: ``[N]`` finite predictions.
    true: ``[N]`` finite targets.

  Returns:
    ``{'mae', 'mape', 'rmse', 'pearson'}`` as Python floats.

  Raises:
    ValueError: on shape mismatch, empty or non-finite inputs.
  """
  p, t = pairs(pred, true, 'regression_metrics')
  err = p - t
  mape = (float('nan') if (t == 0).any()
          else float(100.0 * np.mean(np.abs(err) / np.abs(t))))
  return {'mae': float(np.mean(np.abs(err))),
          'mape': mape,
          'rmse': float(np.sqrt(np.mean(err ** 2))),
          'pearson': pearson(p, t)}
