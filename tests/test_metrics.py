"""simper_jax.metrics against direct-loop references and known answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from simper_jax import metrics

FPS = 30.0
L = 150


def _hann(n):
  return [0.5 - 0.5 * math.cos(2 * math.pi * i / n) for i in range(n)]


def _dft_power(x, n_fft, window):
  """Direct one-sided DFT power of one mean-removed, windowed series."""
  n = len(x)
  mean = sum(x) / n
  w = _hann(n) if window == 'hann' else [1.0] * n
  xc = [(v - mean) * w[i] for i, v in enumerate(x)]
  out = []
  for k in range(n_fft // 2 + 1):
    re = sum(xc[s] * math.cos(2 * math.pi * k * s / n_fft) for s in range(n))
    im = -sum(xc[s] * math.sin(2 * math.pi * k * s / n_fft) for s in range(n))
    out.append(re * re + im * im)
  return np.array(out)


def _sines(freqs, phases, noise=0.0, seed=0, length=L):
  t = np.arange(length) / FPS
  rng = np.random.default_rng(seed)
  x = np.sin(2 * np.pi * np.asarray(freqs)[:, None] * t[None] +
             np.asarray(phases)[:, None])
  return x + noise * rng.normal(size=x.shape)


def _no_warnings(fn, *args, **kwargs):
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    return fn(*args, **kwargs)


# ----------------------------------------------------------- power_spectrum


@pytest.mark.parametrize('window', ['hann', 'rect'])
@pytest.mark.parametrize('length,n_fft', [(24, None), (17, None), (16, 40),
                                          (9, 27)])
def test_power_spectrum_matches_direct_dft(window, length, n_fft):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(3, length)) + 2.0
  freqs, power = metrics.power_spectrum(x, FPS, window=window, n_fft=n_fft)
  m = length if n_fft is None else n_fft
  assert freqs.shape == (m // 2 + 1,) and power.shape == (3, m // 2 + 1)
  np.testing.assert_allclose(freqs, [k * FPS / m for k in range(m // 2 + 1)])
  for i in range(3):
    np.testing.assert_allclose(power[i], _dft_power(list(x[i]), m, window),
                               rtol=1e-9, atol=1e-9)


def test_power_spectrum_of_constant_series_is_exactly_zero():
  x = np.full((2, L), 0.1)
  x[1] = -7.3
  _, power = metrics.power_spectrum(x, FPS)
  assert np.all(power == 0.0)


# ------------------------------------------------------- fft_peak_frequency


def test_peak_matches_brute_force_grid_argmax():
  # Reference: the Hann-windowed DTFT evaluated on a 1 mHz grid over the
  # band, computed directly (no FFT), and its argmax.
  rng = np.random.default_rng(1)
  f = rng.uniform(0.5, 6.0, size=6)
  x = _sines(f, rng.uniform(0, 2 * np.pi, 6), noise=0.3, seed=2)
  x += 0.4 * _sines(rng.uniform(6.0, 12.0, 6), np.zeros(6))
  got = metrics.fft_peak_frequency(x, FPS, band=(0.25, 15.0))
  grid = np.arange(0.25, 15.0 + 1e-9, 1e-3)
  w = np.array(_hann(L))
  t = np.arange(L) / FPS
  for i in range(6):
    xc = (x[i] - x[i].mean()) * w
    best, arg = -1.0, None
    for g in grid[::50]:  # coarse pass, then a fine pass around the best
      p = abs(np.sum(xc * np.exp(-2j * np.pi * g * t))) ** 2
      if p > best:
        best, arg = p, g
    for g in grid[(grid > arg - 0.1) & (grid < arg + 0.1)]:
      p = abs(np.sum(xc * np.exp(-2j * np.pi * g * t))) ** 2
      if p > best:
        best, arg = p, g
    assert abs(got[i] - arg) < 2e-3, (i, got[i], arg)


def test_peak_recovers_off_bin_frequencies():
  rng = np.random.default_rng(3)
  f = np.concatenate([[1.37, 0.5, 4.99, 2.5 + 0.1], rng.uniform(0.5, 5, 40)])
  phases = rng.uniform(0, 2 * np.pi, f.size)
  clean = metrics.fft_peak_frequency(_sines(f, phases), FPS)
  np.testing.assert_allclose(clean, f, atol=2e-3)
  # A bin is 0.2 Hz; the refinement must beat the plain bin grid by far.
  # Noise std 0.2 (per-sample SNR 12.5): estimator std ~0.002 Hz.
  noisy = metrics.fft_peak_frequency(_sines(f, phases, noise=0.2, seed=4),
                                     FPS)
  np.testing.assert_allclose(noisy, f, atol=0.02)
  # Noise std 0.5 nears the Cramer-Rao bound (~0.006 Hz); check the mean.
  noisier = metrics.fft_peak_frequency(
      _sines(f, phases, noise=0.5, seed=5), FPS)
  assert np.mean(np.abs(noisier - f)) < 0.01


def test_peak_respects_band_and_edges():
  # A strong 8 Hz and a weaker 2 Hz component: the band picks which wins.
  x = _sines([8.0], [0.3]) + 0.3 * _sines([2.0], [1.0])
  assert abs(metrics.fft_peak_frequency(x, FPS)[0] - 8.0) < 2e-3
  assert abs(metrics.fft_peak_frequency(x, FPS, band=(0.5, 5.0))[0] -
             2.0) < 2e-3
  # Nyquist: an alternating series peaks exactly at fps / 2.
  alt = np.where(np.arange(L) % 2 == 0, 1.0, -1.0)[None]
  np.testing.assert_allclose(metrics.fft_peak_frequency(alt, FPS), 15.0)
  # No peak inside the band (it lies on the 6 Hz main lobe's flank): the
  # highest in-band bin, a band edge.
  edge = metrics.fft_peak_frequency(_sines([6.0], [0.0]), FPS,
                                    band=(5.7, 5.82))
  assert edge[0] == pytest.approx(5.8)


def test_peak_prefers_in_band_peak_over_drift_at_band_edge():
  # A strong linear drift dominates the lowest in-band bins, but it has no
  # peak inside the band; the 2 Hz oscillation does.
  x = _sines([2.0], [0.5]) + np.linspace(-3.0, 3.0, L)[None]
  freqs, power = metrics.power_spectrum(x, FPS, n_fft=4 * L)
  in_band = freqs >= 0.25
  assert freqs[in_band][np.argmax(power[0, in_band])] == 0.25
  assert abs(metrics.fft_peak_frequency(x, FPS)[0] - 2.0) < 2e-3


def test_peak_of_constant_series_is_band_low_edge():
  x = np.stack([np.full(L, 3.3), _sines([1.37], [0.0])[0], np.zeros(L)])
  got = _no_warnings(metrics.fft_peak_frequency, x, FPS, band=(0.4, 10.0))
  assert got[0] == 0.4 and got[2] == 0.4
  assert abs(got[1] - 1.37) < 2e-3
  assert np.isfinite(got).all()


# ---------------------------------------------------------------- fit_scale


def test_fit_scale_undoes_harmonic_lock():
  rng = np.random.default_rng(5)
  y_tr, y_te = rng.uniform(0.5, 5.0, 300), rng.uniform(0.5, 5.0, 200)
  # The feature runs at 2f (harmonic lock); 2f <= 10 Hz < Nyquist.
  x_tr = _sines(2 * y_tr, rng.uniform(0, 6.3, 300), noise=0.3, seed=6)
  x_te = _sines(2 * y_te, rng.uniform(0, 6.3, 200), noise=0.3, seed=7)
  p_tr = metrics.fft_peak_frequency(x_tr, FPS)
  # Wrong peaks on a fifth of train (e.g. drift picked): far-off ratios.
  bad = rng.choice(300, 60, replace=False)
  p_tr[bad] = rng.uniform(0.25, 15.0, 60)
  scale = metrics.fit_scale(p_tr, y_tr)
  assert isinstance(scale, float)
  assert abs(scale - 0.5) < 0.005
  readout = scale * metrics.fft_peak_frequency(x_te, FPS)
  assert metrics.regression_metrics(readout, y_te)['mae'] < 0.02


def test_fit_scale_is_median_of_usable_ratios():
  pred = np.array([2.0, 4.0, 0.0, -1.0, np.nan, 1.0, np.inf, 8.0])
  y = np.array([1.0, 3.0, 5.0, 5.0, 5.0, 1.0, 5.0, np.nan])
  # Usable: (2, 1), (4, 3), (1, 1) -> ratios 0.5, 0.75, 1.0.
  assert metrics.fit_scale(pred, y) == 0.75


def test_fit_scale_raises_when_nothing_usable():
  with pytest.raises(ValueError, match='none of the 3'):
    metrics.fit_scale([0.0, -1.0, np.nan], [1.0, 2.0, 3.0])
  with pytest.raises(ValueError, match=r'\(3,\) and \(2,\)'):
    metrics.fit_scale([1.0, 2.0, 3.0], [1.0, 2.0])


# -------------------------------------------------------------------- ridge


def _ridge_reference(x, y, alpha):
  """Ridge by explicit standardization and the augmented normal equations.

  Minimizes mean((y - b - xs w)^2) + alpha |w|^2, i.e. solves
  (A^T A + n alpha P) [w; b] = A^T y with A = [xs, 1], P = diag(1..1, 0).
  """
  n, d = len(x), len(x[0])
  mean = [sum(x[i][j] for i in range(n)) / n for j in range(d)]
  std = [math.sqrt(sum((x[i][j] - mean[j]) ** 2 for i in range(n)) / n)
         for j in range(d)]
  a = np.ones((n, d + 1))
  for i in range(n):
    for j in range(d):
      a[i, j] = (x[i][j] - mean[j]) / std[j]
  pen = np.eye(d + 1) * n * alpha
  pen[d, d] = 0.0
  sol = np.linalg.solve(a.T @ a + pen, a.T @ np.asarray(y))

  def predict(xn):
    return np.array([sum((row[j] - mean[j]) / std[j] * sol[j]
                         for j in range(d)) + sol[d] for row in xn])
  return sol[:d], sol[d], predict


@pytest.mark.parametrize('alpha', [1e-3, 0.5, 20.0])
def test_ridge_matches_normal_equations(alpha):
  rng = np.random.default_rng(8)
  x = rng.normal(size=(40, 6)) * rng.uniform(0.1, 10, 6) + 3.0
  y = x @ rng.normal(size=6) + rng.normal(size=40)
  model = metrics.fit_ridge_cv(x, y, alphas=[alpha], folds=4)
  w, b, ref_predict = _ridge_reference(x.tolist(), y.tolist(), alpha)
  assert model.alpha == alpha
  np.testing.assert_allclose(model.weights, w, rtol=1e-8, atol=1e-10)
  assert model.bias == pytest.approx(b, rel=1e-10)
  x_new = rng.normal(size=(7, 6))
  np.testing.assert_allclose(metrics.ridge_predict(model, x_new),
                             ref_predict(x_new.tolist()), rtol=1e-8)


@pytest.mark.parametrize('criterion', ['mse', 'mae'])
def test_ridge_cv_errors_match_per_fold_reference(criterion):
  rng = np.random.default_rng(9)
  x = rng.normal(size=(23, 4))
  y = x[:, 0] - 2 * x[:, 2] + 0.5 * rng.normal(size=23)
  alphas = [1e-3, 0.3, 30.0]
  model = metrics.fit_ridge_cv(x, y, alphas=alphas, folds=3, seed=4,
                               criterion=criterion)
  folds = metrics.kfold_indices(23, 3, 4)
  assert sorted(np.concatenate(folds).tolist()) == list(range(23))
  for a, got in zip(alphas, model.cv_errors):
    errs = []
    for val in folds:
      tr = [i for i in range(23) if i not in set(val.tolist())]
      _, _, pred = _ridge_reference(x[tr].tolist(), y[tr].tolist(), a)
      errs += list(pred(x[val].tolist()) - y[val])
    want = (sum(e * e for e in errs) / 23 if criterion == 'mse'
            else sum(abs(e) for e in errs) / 23)
    assert got == pytest.approx(want, rel=1e-8)
  assert model.alpha == alphas[int(np.argmin(model.cv_errors))]


def test_ridge_recovers_linear_relation_and_cv_adapts_alpha():
  rng = np.random.default_rng(10)
  x = rng.normal(size=(300, 8)) * 2.0 + 1.0
  w_true = rng.normal(size=8)
  y = x @ w_true + 0.7 + 0.01 * rng.normal(size=300)
  clean = metrics.fit_ridge_cv(x, y)
  assert clean.alpha <= 1e-2
  np.testing.assert_allclose(clean.weights / clean.scale, w_true, atol=5e-3)
  x_te = rng.normal(size=(50, 8))
  np.testing.assert_allclose(clean.predict(x_te), x_te @ w_true + 0.7,
                             atol=0.03)
  # Many noise features, a weak signal: CV must regularize much harder.
  xn = rng.normal(size=(80, 60))
  yn = 0.2 * xn[:, 0] + rng.normal(size=80)
  noisy = metrics.fit_ridge_cv(xn, yn)
  assert noisy.alpha >= 1.0 > clean.alpha * 100
  assert noisy.cv_errors.shape == (17,) and noisy.alphas.shape == (17,)


def test_ridge_ignores_constant_features():
  rng = np.random.default_rng(11)
  x = np.concatenate([rng.normal(size=(30, 2)), np.full((30, 1), 0.1)], 1)
  y = x[:, 0] + 0.1 * rng.normal(size=30)
  model = _no_warnings(metrics.fit_ridge_cv, x, y)
  assert model.weights[2] == 0.0 and model.scale[2] == 1.0
  x_te = x[:5].copy()
  x_te[:, 2] = 99.0
  np.testing.assert_array_equal(model.predict(x_te), model.predict(x[:5]))


def test_probe_ridge_recovers_frequency_of_random_phase_sines():
  rng = np.random.default_rng(12)
  y_tr, y_te = rng.uniform(0.5, 5.0, 600), rng.uniform(0.5, 5.0, 300)
  x_tr = _sines(y_tr, rng.uniform(0, 6.3, 600), noise=0.1, seed=13)
  x_te = _sines(y_te, rng.uniform(0, 6.3, 300), noise=0.1, seed=14)
  model = metrics.fit_ridge_cv(metrics.probe_features(x_tr, FPS), y_tr)
  pred = model.predict(metrics.probe_features(x_te, FPS))
  assert metrics.regression_metrics(pred, y_te)['mae'] < 0.05


def test_probe_features_layout():
  x = np.concatenate([_sines([1.0, 2.3], [0.0, 1.0]) * 5 + 2,
                      np.full((1, L), 4.0)])
  feats = _no_warnings(metrics.probe_features, x, FPS, band=(0.25, 15.0))
  k = sum(1 for j in range(L // 2 + 1) if 0.25 <= j * FPS / L <= 15.0)
  assert feats.shape == (3, L + k)
  np.testing.assert_allclose(feats[:2, :L].mean(1), 0.0, atol=1e-12)
  np.testing.assert_allclose(feats[:2, :L].std(1), 1.0)
  np.testing.assert_allclose(feats[:2, L:].sum(1), 1.0)
  assert np.all(feats[:2, L:] >= 0)
  assert np.all(feats[2] == 0.0)
  # The spectrum block ignores gain and offset.
  again = metrics.probe_features(x[:2] * 0.01 - 3, FPS)
  np.testing.assert_allclose(again, feats[:2], atol=1e-9)


# ------------------------------------------------------- regression_metrics


def test_regression_metrics_match_loops():
  rng = np.random.default_rng(15)
  true = rng.uniform(0.5, 5.0, 37)
  pred = true + rng.normal(size=37) * 0.3
  got = metrics.regression_metrics(pred, true)
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


def test_regression_metrics_undefined_cases_are_nan():
  got = _no_warnings(metrics.regression_metrics, [2.0, 2.0, 2.0],
                     [1.0, 2.0, 3.0])
  assert math.isnan(got['pearson']) and got['mae'] == pytest.approx(2 / 3)
  got = _no_warnings(metrics.regression_metrics, [1.5], [1.0])
  assert math.isnan(got['pearson']) and got['mape'] == pytest.approx(50.0)
  got = _no_warnings(metrics.regression_metrics, [1.0, 2.0], [0.0, 2.0])
  assert math.isnan(got['mape']) and got['pearson'] == pytest.approx(1.0)


def test_regression_metrics_rejects_bad_inputs():
  with pytest.raises(ValueError, match=r'\(3,\) and \(2,\)'):
    metrics.regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0])
  with pytest.raises(ValueError, match='empty'):
    metrics.regression_metrics([], [])
  with pytest.raises(ValueError, match=r'pred: 2 non-finite.*\[\[1\], \[3\]\]'):
    metrics.regression_metrics([1.0, np.nan, 2.0, np.inf], [1.0] * 4)
  with pytest.raises(ValueError, match='true: 1 non-finite'):
    metrics.regression_metrics([1.0, 2.0], [1.0, np.nan])


# ------------------------------------------------------------------- pca_2d


def test_pca_2d_matches_covariance_eigenvectors():
  rng = np.random.default_rng(16)
  x = rng.normal(size=(50, 5)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.1])
  x = x @ np.linalg.qr(rng.normal(size=(5, 5)))[0] + 4.0
  got = metrics.pca_2d(x)
  n, d = x.shape
  mean = [sum(x[i, j] for i in range(n)) / n for j in range(d)]
  cov = np.zeros((d, d))
  for a in range(d):
    for b in range(d):
      cov[a, b] = sum((x[i, a] - mean[a]) * (x[i, b] - mean[b])
                      for i in range(n))
  _, vecs = np.linalg.eigh(cov)
  for c, v in enumerate([vecs[:, -1], vecs[:, -2]]):
    v = v * np.sign(v[np.argmax(np.abs(v))])  # the documented sign rule
    np.testing.assert_allclose(got[:, c], (x - mean) @ v, atol=1e-9)
  # Sign-deterministic: the same data in another row order.
  perm = rng.permutation(n)
  np.testing.assert_allclose(metrics.pca_2d(x[perm]), got[perm], atol=1e-9)


def test_pca_2d_low_rank_pads_with_zeros():
  got = metrics.pca_2d(np.arange(6.0)[:, None])
  assert got.shape == (6, 2) and np.all(got[:, 1] == 0)
  np.testing.assert_allclose(np.abs(got[:, 0]), np.abs(np.arange(6) - 2.5))
  assert metrics.pca_2d(np.ones((1, 3))).shape == (1, 2)


# --------------------------------------------------------------- bad inputs


@pytest.mark.parametrize('call', [
    lambda: metrics.power_spectrum(np.zeros(L), FPS),
    lambda: metrics.power_spectrum(np.zeros((2, 1)), FPS),
    lambda: metrics.power_spectrum(np.zeros((2, L)), FPS, n_fft=L - 1),
    lambda: metrics.power_spectrum(np.zeros((2, L)), FPS, window='tukey'),
    lambda: metrics.power_spectrum(np.zeros((2, L)), 0.0),
    lambda: metrics.fft_peak_frequency(np.zeros((2, 3, L)), FPS),
    lambda: metrics.fft_peak_frequency(np.zeros((2, L)), FPS, band=(5, 1)),
    lambda: metrics.fft_peak_frequency(np.zeros((2, L)), FPS, band=(16, 20)),
    lambda: metrics.fft_peak_frequency(np.zeros((2, L)), FPS, pad_factor=0),
    lambda: metrics.fft_peak_frequency(np.full((2, L), np.nan), FPS),
    lambda: metrics.probe_features(np.zeros((0, L)), FPS),
    lambda: metrics.fit_scale(np.ones((2, 2)), np.ones((2, 2))),
    lambda: metrics.fit_ridge_cv(np.ones((10, 2)), np.ones(9)),
    lambda: metrics.fit_ridge_cv(np.ones(10), np.ones(10)),
    lambda: metrics.fit_ridge_cv(np.ones((10, 2)), np.ones(10), folds=11),
    lambda: metrics.fit_ridge_cv(np.ones((10, 2)), np.ones(10), alphas=[-1]),
    lambda: metrics.fit_ridge_cv(np.ones((10, 2)), np.ones(10),
                                 criterion='r2'),
    lambda: metrics.fit_ridge_cv(np.ones((10, 2)), np.ones(10)).predict(
        np.ones((3, 3))),
    lambda: metrics.pca_2d(np.ones(5)),
    lambda: metrics.pca_2d(np.zeros((0, 3))),
])
def test_bad_arguments_raise_value_error(call):
  with pytest.raises(ValueError):
    call()
