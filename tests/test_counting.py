"""simper_jax.counting against values computed by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax import counting


def test_count_metrics_docstring_example():
  # |e| = [0.4, 1.6, 2.0]: mae = 4.0 / 3.
  # |e| / true = [0.4 / 2, 1.6 / 4, 2 / 12] = [0.2, 0.4, 1/6]:
  #   mae_normalized = (0.2 + 0.4 + 0.1666...) / 3 = 0.2555...
  # rint(pred) = [2, 6, 10]; off by [0, 2, 2]: obo = 1/3.
  m = counting.count_metrics([2.4, 5.6, 10.0], [2, 4, 12])
  assert m['n'] == 3
  assert m['mae'] == pytest.approx(4.0 / 3)
  assert m['mae_normalized'] == pytest.approx((0.2 + 0.4 + 1 / 6) / 3)
  assert m['obo'] == pytest.approx(1 / 3)


def test_obo_rounds_the_prediction_first():
  # Unrounded, 6.4 is 1.4 from 5 (not within one); rounded it is 6: within.
  # 3.6 -> 4, 1 from 5: within. 7.5 -> 8 (half to even), 3 from 5: out.
  # 2.5 -> 2 (half to even), 2 from 4: out (3 would be within one).
  m = counting.count_metrics([6.4, 3.6, 7.5, 2.5], [5, 5, 5, 4])
  assert m['obo'] == pytest.approx(0.5)
  # mae on the unrounded predictions: (1.4 + 1.4 + 2.5 + 1.5) / 4 = 1.7.
  assert m['mae'] == pytest.approx(1.7)
  # mae_normalized: (1.4/5 + 1.4/5 + 2.5/5 + 1.5/4) / 4
  #   = (0.28 + 0.28 + 0.5 + 0.375) / 4 = 0.35875.
  assert m['mae_normalized'] == pytest.approx(0.35875)


def test_count_metrics_perfect_and_negative_predictions():
  m = counting.count_metrics(np.array([3.0, 7.0]), np.array([3.0, 7.0]))
  assert m == {'mae': 0.0, 'mae_normalized': 0.0, 'obo': 1.0, 'n': 2}
  # A negative prediction is just far off: |-1 - 2| = 3, 3 / 2 = 1.5.
  m = counting.count_metrics([-1.0], [2.0])
  assert (m['mae'], m['mae_normalized'], m['obo']) == (3.0, 1.5, 0.0)


@pytest.mark.parametrize('pred,true,match', [
    ([1.0, 2.0], [1.0], 'pred has 2 values but true has 1'),
    ([[1.0]], [[1.0]], '1-D'),
    ([], [], 'empty'),
    ([1.0, 2.0], [1.0, 0.0], r'true counts must be > 0.*index \[1\]'),
    ([1.0, 2.0], [1.0, -3.0], 'must be > 0'),
    ([1.0, np.nan], [1.0, 2.0], r'non-finite.*pred.*index \[1\]'),
    ([1.0, 2.0], [np.inf, 2.0], r'non-finite.*true.*index \[0\]'),
])
def test_count_metrics_errors(pred, true, match):
  with pytest.raises(ValueError, match=match):
    counting.count_metrics(pred, true)


def test_counts_from_frequency():
  assert counting.counts_from_frequency(0.5, 8.0) == 4.0  # 0.5 Hz x 8 s
  assert isinstance(counting.counts_from_frequency(0.5, 8.0), float)
  # Broadcast: [0.25, 1.5] Hz over 4 s -> [1, 6]; 0 Hz -> 0 repetitions.
  np.testing.assert_allclose(
      counting.counts_from_frequency([0.25, 1.5, 0.0], 4.0), [1.0, 6.0, 0])
  np.testing.assert_allclose(
      counting.counts_from_frequency(2.0, [0.5, 3.0]), [1.0, 6.0])


@pytest.mark.parametrize('freq,duration,match', [
    (1.0, 0.0, r'duration_s must be finite and > 0.*0\.0'),
    (1.0, [2.0, -1.0], r'duration_s.*index \(1,\)'),
    (-0.5, 2.0, 'freq_hz must be finite and >= 0'),
    (np.nan, 2.0, 'freq_hz'),
    ([1.0, 2.0], [1.0, 2.0, 3.0], 'do not broadcast'),
])
def test_counts_from_frequency_errors(freq, duration, match):
  with pytest.raises(ValueError, match=match):
    counting.counts_from_frequency(freq, duration)


def test_nowcast_metrics_hand_computed():
  # e = pred - true = [1, -1, 2, 0]: mae = 4/4 = 1, bias = 2/4 = 0.5,
  # rmse = sqrt((1 + 1 + 4 + 0) / 4) = sqrt(1.5).
  # Pearson: pred = [301, 299, 304, 303] (mean 301.75), true = [300, 300,
  # 302, 303] (mean 301.25); a = [-0.75, -2.75, 2.25, 1.25],
  # b = [-1.25, -1.25, 0.75, 1.75];
  # sum ab = 0.9375 + 3.4375 + 1.6875 + 2.1875 = 8.25,
  # sum a^2 = 0.5625 + 7.5625 + 5.0625 + 1.5625 = 14.75,
  # sum b^2 = 1.5625 + 1.5625 + 0.5625 + 3.0625 = 6.75,
  # r = 8.25 / sqrt(99.5625) = 8.25 / 9.978101... = 0.826810...
  m = counting.nowcast_metrics([301.0, 299.0, 304.0, 303.0],
                               [300.0, 300.0, 302.0, 303.0])
  assert m['n'] == 4
  assert m['mae'] == pytest.approx(1.0)
  assert m['bias'] == pytest.approx(0.5)
  assert m['rmse'] == pytest.approx(math.sqrt(1.5))
  assert m['pearson'] == pytest.approx(8.25 / math.sqrt(14.75 * 6.75))
  assert m['pearson'] == pytest.approx(0.826810, abs=1e-6)


def test_nowcast_metrics_constant_input_has_undefined_pearson():
  m = counting.nowcast_metrics([290.0, 290.0], [289.0, 292.0])
  assert math.isnan(m['pearson'])
  assert m['mae'] == pytest.approx(1.5)  # (|1| + |-2|) / 2
  with pytest.raises(ValueError, match='pred has 1 values but true has 2'):
    counting.nowcast_metrics([1.0], [1.0, 2.0])
  with pytest.raises(ValueError, match='non-finite'):
    counting.nowcast_metrics([np.nan], [1.0])
