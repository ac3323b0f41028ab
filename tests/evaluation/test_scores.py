"""simper_jax.evaluation.scores against direct loops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax.evaluation import scores
from tests.evaluation.series import no_warnings


def test_regression_metrics_match_loops():
  rng = np.random.default_rng(15)
  true = rng.uniform(0.5, 5.0, 37)
  pred = true + rng.normal(size=37) * 0.3
  got = scores.regression_metrics(pred, true)
  assert set(got) == {'mae', 'mape', 'rmse', 'pearson'}
  assert all(type(v) is float for v in got.values())
  n = len(true)
  mae = sum(abs(p - t) for p, t in zip(pred, true)) / n
  mape = 100 * sum(abs(p - t) / abs(t) for p, t in zip(pred, true)) / n
  rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(pred, true)) / n)
  mp, mt = sum(pred) / n, sum(true) / n
  cov = sum((p - mp) * (t - mt) for p, t in zip(pred, true))
  vp = sum((p - mp) ** 2 for p in pred)
  vt = sum((t - mt) ** 2 for t in true)
  r = cov / math.sqrt(vp * vt)
  for key, want in [('mae', mae), ('mape', mape), ('rmse', rmse),
                    ('pearson', r)]:
    assert got[key] == pytest.approx(want, rel=1e-12), key
  assert scores.pearson(pred, true) == pytest.approx(r, rel=1e-12)


def test_regression_metrics_undefined_cases_are_nan():
  got = no_warnings(scores.regression_metrics, [2.0, 2.0, 2.0],
                    [1.0, 2.0, 3.0])
  assert math.isnan(got['pearson']) and got['mae'] == pytest.approx(2 / 3)
  got = no_warnings(scores.regression_metrics, [1.5], [1.0])
  assert math.isnan(got['pearson']) and got['mape'] == pytest.approx(50.0)
  got = no_warnings(scores.regression_metrics, [1.0, 2.0], [0.0, 2.0])
  assert math.isnan(got['mape']) and got['pearson'] == pytest.approx(1.0)


def test_pearson_is_clipped_and_exact_for_linear_pairs():
  a = np.linspace(-1.0, 1.0, 11)
  assert scores.pearson(a, 3 * a + 2) == pytest.approx(1.0, abs=1e-15)
  assert scores.pearson(a, -0.5 * a) == pytest.approx(-1.0, abs=1e-15)
  # Never past +-1, whatever the rounding.
  rng = np.random.default_rng(0)
  for _ in range(20):
    x = rng.normal(size=7)
    assert -1.0 <= scores.pearson(x, x * rng.uniform(0.1, 9)) <= 1.0
  assert math.isnan(no_warnings(scores.pearson, a, np.full(11, 0.3)))


def test_pairs_returns_float64_and_names_the_caller():
  p, t = scores.pairs([1, 2], np.array([3, 4], np.float32), 'caller')
  assert p.dtype == t.dtype == np.float64
  np.testing.assert_array_equal(t, [3.0, 4.0])
  with pytest.raises(ValueError, match=r'^caller: .*\(2,\) and \(3,\)'):
    scores.pairs([1, 2], [1, 2, 3], 'caller')
  with pytest.raises(ValueError, match=r'^caller: .*\(1, 2\)'):
    scores.pairs([[1, 2]], [[1, 2]], 'caller')


def test_regression_metrics_rejects_bad_inputs():
  with pytest.raises(ValueError, match=r'\(3,\) and \(2,\)'):
    scores.regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0])
  with pytest.raises(ValueError, match='empty'):
    scores.regression_metrics([], [])
  with pytest.raises(ValueError, match=r'pred: 2 non-finite.*\[\[1\], \[3\]\]'):
    scores.regression_metrics([1.0, np.nan, 2.0, np.inf], [1.0] * 4)
  with pytest.raises(ValueError, match='true: 1 non-finite'):
    scores.regression_metrics([1.0, 2.0], [1.0, np.nan])
