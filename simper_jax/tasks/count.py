"""A repetition count (Countix; RepNet's metrics, Dwibedi et al., 2020).

Each example spans exactly its repetitions, so the count is the number of
cycles in the series: frequency x duration (``L / fps`` seconds). Every
readout also gets RepNet's normalized MAE and off-by-one accuracy.
"""

from __future__ import annotations

import numpy as np

from simper_jax.evaluation import scores
from simper_jax.tasks import base


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
  p, t = scores.pairs(pred, true, 'count_metrics')
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


class Count(base.RateTask):
  """Repetitions per example: cycles of the feature over its duration."""

  name = 'count'
  unit = 'reps'
  quantity = 'repetition count'
  metrics = (*base.BASE_METRICS, 'mae_normalized', 'obo')

  def per_hz(self, length: int, fps: float) -> float:
    return length / fps

  def readout_scores(self, pred, true) -> dict[str, float]:
    c = count_metrics(pred, true)
    return {'mae_normalized': c['mae_normalized'], 'obo': c['obo']}


TASK = Count()
