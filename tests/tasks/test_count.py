"""The count kind: RepNet's metrics against values computed by hand in the
comments, and the FFT readout as cycles per segment."""

from __future__ import annotations

import numpy as np
import pytest

from simper_jax import tasks
from simper_jax.evaluation import readouts
from simper_jax.tasks import count


def test_count_metrics_docstring_example():
  # |e| = [0.4, 1.6, 2.0]: mae = 4.0 / 3.
  # |e| / true = [0.4 / 2, 1.6 / 4, 2 / 12] = [0.2, 0.4, 1/6]:
  #   mae_normalized = (0.2 + 0.4 + 0.1666...) / 3 = 0.2555...
  # rint(pred) = [2, 6, 10]; off by [0, 2, 2]: obo = 1/3.
  m = count.count_metrics([2.4, 5.6, 10.0], [2, 4, 12])
  assert m['n'] == 3
  assert m['mae'] == pytest.approx(4.0 / 3)
  assert m['mae_normalized'] == pytest.approx((0.2 + 0.4 + 1 / 6) / 3)
  assert m['obo'] == pytest.approx(1 / 3)


def test_obo_rounds_the_prediction_first():
  # Unrounded, 6.4 is 1.4 from 5 (not within one); rounded it is 6: within.
  # 3.6 -> 4, 1 from 5: within. 7.5 -> 8 (half to even), 3 from 5: out.
  # 2.5 -> 2 (half to even), 2 from 4: out (3 would be within one).
  m = count.count_metrics([6.4, 3.6, 7.5, 2.5], [5, 5, 5, 4])
  assert m['obo'] == pytest.approx(0.5)
  # mae on the unrounded predictions: (1.4 + 1.4 + 2.5 + 1.5) / 4 = 1.7.
  assert m['mae'] == pytest.approx(1.7)
  # mae_normalized: (1.4/5 + 1.4/5 + 2.5/5 + 1.5/4) / 4
  #   = (0.28 + 0.28 + 0.5 + 0.375) / 4 = 0.35875.
  assert m['mae_normalized'] == pytest.approx(0.35875)


def test_count_metrics_perfect_and_negative_predictions():
  m = count.count_metrics(np.array([3.0, 7.0]), np.array([3.0, 7.0]))
  assert m == {'mae': 0.0, 'mae_normalized': 0.0, 'obo': 1.0, 'n': 2}
  # A negative prediction is just far off: |-1 - 2| = 3, 3 / 2 = 1.5.
  m = count.count_metrics([-1.0], [2.0])
  assert (m['mae'], m['mae_normalized'], m['obo']) == (3.0, 1.5, 0.0)


@pytest.mark.parametrize('pred,true,match', [
    ([1.0, 2.0], [1.0], r'count_metrics: .*shapes \(2,\) and \(1,\)'),
    ([[1.0]], [[1.0]], r'must both be \[N\].*\(1, 1\)'),
    ([], [], 'empty'),
    ([1.0, 2.0], [1.0, 0.0], r'true counts must be > 0.*index \[1\]'),
    ([1.0, 2.0], [1.0, -3.0], 'must be > 0'),
    ([1.0, np.nan], [1.0, 2.0], r'pred: 1 non-finite.*index \[\[1\]\]'),
    ([1.0, 2.0], [np.inf, 2.0], r'true: 1 non-finite.*index \[\[0\]\]'),
])
def test_count_metrics_errors(pred, true, match):
  with pytest.raises(ValueError, match=match):
    count.count_metrics(pred, true)


def test_count_task_adds_normalized_mae_and_obo_to_every_readout():
  task = tasks.get('count')
  assert task is count.TASK and task.unit == 'reps'
  assert task.metrics[-2:] == ('mae_normalized', 'obo')
  got = task.readout_scores([2.4, 5.6, 10.0], [2, 4, 12])
  full = count.count_metrics([2.4, 5.6, 10.0], [2, 4, 12])
  assert got == {'mae_normalized': full['mae_normalized'],
                 'obo': full['obo']}
  # Cycles = frequency x duration: 48 frames at 16 fps are 3 s.
  assert task.per_hz(48, 16.0) == 3.0
  assert task.metric_unit('mae') == 'reps' and task.metric_unit('obo') == ''


def test_count_readout_is_cycles_per_segment():
  # Feature series with exactly k cycles over the 48 frames: the FFT
  # readout counts k whatever the nominal fps, and off-by-one is 1.
  rng = np.random.default_rng(0)
  t = np.arange(48)
  ks = rng.integers(2, 9, 40).astype(float)
  feats = np.stack([np.sin(2 * np.pi * k * t / 48 + rng.uniform(0, 6))
                    for k in ks])
  for fps in (16.0, 30.0):
    metrics, fitted, preds = readouts.fit_readouts(
        {'train': feats, 'test': feats}, {'train': ks, 'test': ks},
        tasks.get('count'), fps=fps, band=(fps / 48, fps / 2),
        train_split='train', folds=2, alphas=(1.0,))
    # (the peak is refined between bins, hence not exactly integer)
    np.testing.assert_allclose(preds['test']['fft'], ks, atol=0.02)
    assert metrics['test']['fft']['mae'] < 0.02
    assert metrics['test']['fft']['obo'] == 1.0
    assert metrics['test']['fft']['mae_normalized'] < 0.01
    for r in tasks.get('count').readouts:
      assert {'obo', 'mae_normalized'} <= set(metrics['test'][r])
