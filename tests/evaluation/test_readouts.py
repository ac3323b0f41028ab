"""simper_jax.evaluation.readouts against brute-force and direct-loop
references and known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simper_jax import tasks
from simper_jax.evaluation import readouts
from simper_jax.evaluation import scores
from simper_jax.evaluation import spectra
from tests import refs
from tests.evaluation.series import FPS, L, no_warnings, sines


# ------------------------------------------------------- fft_peak_frequency


def test_peak_matches_brute_force_grid_argmax():
  # Reference: the Hann-windowed DTFT evaluated on a 1 mHz grid over the
  # band, computed directly (no FFT), and its argmax.
  rng = np.random.default_rng(1)
  f = rng.uniform(0.5, 6.0, size=6)
  x = sines(f, rng.uniform(0, 2 * np.pi, 6), noise=0.3, seed=2)
  x += 0.4 * sines(rng.uniform(6.0, 12.0, 6), np.zeros(6))
  got = spectra.fft_peak_frequency(x, FPS, band=(0.25, 15.0))
  grid = np.arange(0.25, 15.0 + 1e-9, 1e-3)
  w = np.array(refs.hann(L))
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
  clean = spectra.fft_peak_frequency(sines(f, phases), FPS)
  np.testing.assert_allclose(clean, f, atol=2e-3)
  # A bin is 0.2 Hz; the refinement must beat the plain bin grid by far.
  # Noise std 0.2 (per-sample SNR 12.5): estimator std ~0.002 Hz.
  noisy = spectra.fft_peak_frequency(sines(f, phases, noise=0.2, seed=4),
                                      FPS)
  np.testing.assert_allclose(noisy, f, atol=0.02)
  # Noise std 0.5 nears the Cramer-Rao bound (~0.006 Hz); check the mean.
  noisier = spectra.fft_peak_frequency(
      sines(f, phases, noise=0.5, seed=5), FPS)
  assert np.mean(np.abs(noisier - f)) < 0.01


def test_peak_respects_band_and_edges():
  # A strong 8 Hz and a weaker 2 Hz component: the band picks which wins.
  x = sines([8.0], [0.3]) + 0.3 * sines([2.0], [1.0])
  assert abs(spectra.fft_peak_frequency(x, FPS)[0] - 8.0) < 2e-3
  assert abs(spectra.fft_peak_frequency(x, FPS, band=(0.5, 5.0))[0] -
             2.0) < 2e-3
  # Nyquist: an alternating series peaks exactly at fps / 2.
  alt = np.where(np.arange(L) % 2 == 0, 1.0, -1.0)[None]
  np.testing.assert_allclose(spectra.fft_peak_frequency(alt, FPS), 15.0)
  # No peak inside the band (it lies on the 6 Hz main lobe's flank): the
  # highest in-band bin, a band edge.
  edge = spectra.fft_peak_frequency(sines([6.0], [0.0]), FPS,
                                     band=(5.7, 5.82))
  assert edge[0] == pytest.approx(5.8)


def test_peak_prefers_in_band_peak_over_drift_at_band_edge():
  # A strong linear drift dominates the lowest in-band bins, but it has no
  # peak inside the band; the 2 Hz oscillation does.
  x = sines([2.0], [0.5]) + np.linspace(-3.0, 3.0, L)[None]
  freqs, power = spectra.power_spectrum(x, FPS, n_fft=4 * L)
  in_band = freqs >= 0.25
  assert freqs[in_band][np.argmax(power[0, in_band])] == 0.25
  assert abs(spectra.fft_peak_frequency(x, FPS)[0] - 2.0) < 2e-3


def test_peak_of_constant_series_is_band_low_edge():
  x = np.stack([np.full(L, 3.3), sines([1.37], [0.0])[0], np.zeros(L)])
  got = no_warnings(spectra.fft_peak_frequency, x, FPS, band=(0.4, 10.0))
  assert got[0] == 0.4 and got[2] == 0.4
  assert abs(got[1] - 1.37) < 2e-3
  assert np.isfinite(got).all()


# ---------------------------------------------------------------- fit_scale


def test_fit_scale_undoes_harmonic_lock():
  rng = np.random.default_rng(5)
  y_tr, y_te = rng.uniform(0.5, 5.0, 300), rng.uniform(0.5, 5.0, 200)
  # The feature runs at 2f (harmonic lock); 2f <= 10 Hz < Nyquist.
  x_tr = sines(2 * y_tr, rng.uniform(0, 6.3, 300), noise=0.3, seed=6)
  x_te = sines(2 * y_te, rng.uniform(0, 6.3, 200), noise=0.3, seed=7)
  p_tr = spectra.fft_peak_frequency(x_tr, FPS)
  # Wrong peaks on a fifth of train (e.g. drift picked): far-off ratios.
  bad = rng.choice(300, 60, replace=False)
  p_tr[bad] = rng.uniform(0.25, 15.0, 60)
  scale = readouts.fit_scale(p_tr, y_tr)
  assert isinstance(scale, float)
  assert abs(scale - 0.5) < 0.005
  readout = scale * spectra.fft_peak_frequency(x_te, FPS)
  assert scores.regression_metrics(readout, y_te)['mae'] < 0.02


def test_fit_scale_is_median_of_usable_ratios():
  pred = np.array([2.0, 4.0, 0.0, -1.0, np.nan, 1.0, np.inf, 8.0])
  y = np.array([1.0, 3.0, 5.0, 5.0, 5.0, 1.0, 5.0, np.nan])
  # Usable: (2, 1), (4, 3), (1, 1) -> ratios 0.5, 0.75, 1.0.
  assert readouts.fit_scale(pred, y) == 0.75


def test_fit_scale_raises_when_nothing_usable():
  with pytest.raises(ValueError, match='none of the 3'):
    readouts.fit_scale([0.0, -1.0, np.nan], [1.0, 2.0, 3.0])
  with pytest.raises(ValueError, match=r'\(3,\) and \(2,\)'):
    readouts.fit_scale([1.0, 2.0, 3.0], [1.0, 2.0])


# -------------------------------------------------------------------- ridge


def _weights(probe):
  """The probe's ridge weights on standardized features, and its bias."""
  return probe.model[-1].coef_, float(probe.model[-1].intercept_)


def test_kfold_indices_partition_evenly_and_are_seeded():
  folds = readouts.kfold_indices(23, 4, 1)
  assert sorted(np.concatenate(folds).tolist()) == list(range(23))
  assert sorted(len(f) for f in folds) == [5, 6, 6, 6]
  again = readouts.kfold_indices(23, 4, 1)
  assert all(np.array_equal(a, b) for a, b in zip(folds, again))
  other = readouts.kfold_indices(23, 4, 2)
  assert not all(np.array_equal(a, b) for a, b in zip(folds, other))
  for folds_arg in (1, 24, 2.5):
    with pytest.raises(ValueError, match='folds'):
      readouts.kfold_indices(23, folds_arg, 0)


@pytest.mark.parametrize('alpha', [1e-3, 0.5, 20.0])
def test_ridge_matches_normal_equations(alpha):
  rng = np.random.default_rng(8)
  x = rng.normal(size=(40, 6)) * rng.uniform(0.1, 10, 6) + 3.0
  y = x @ rng.normal(size=6) + rng.normal(size=40)
  probe = readouts.fit_ridge_cv(x, y, alphas=[alpha], folds=4)
  w_ref, b_ref, ref_predict = refs.ridge(x.tolist(), y.tolist(), alpha)
  w, b = _weights(probe)
  assert probe.alpha == alpha
  np.testing.assert_allclose(w, w_ref, rtol=1e-8, atol=1e-10)
  assert b == pytest.approx(b_ref, rel=1e-10)
  x_new = rng.normal(size=(7, 6))
  np.testing.assert_allclose(probe.predict(x_new),
                             ref_predict(x_new.tolist()), rtol=1e-8)


@pytest.mark.parametrize('criterion', ['mse', 'mae'])
def test_ridge_cv_errors_match_per_fold_reference(criterion):
  rng = np.random.default_rng(9)
  x = rng.normal(size=(23, 4))
  y = x[:, 0] - 2 * x[:, 2] + 0.5 * rng.normal(size=23)
  alphas = [1e-3, 0.3, 30.0]
  probe = readouts.fit_ridge_cv(x, y, alphas=alphas, folds=3, seed=4,
                                criterion=criterion)
  assert probe.criterion == criterion
  np.testing.assert_array_equal(probe.alphas, alphas)
  folds = readouts.kfold_indices(23, 3, 4)
  assert sorted(np.concatenate(folds).tolist()) == list(range(23))
  for a, got in zip(alphas, probe.cv_errors):
    errs = []
    for val in folds:
      tr = [i for i in range(23) if i not in set(val.tolist())]
      _, _, pred = refs.ridge(x[tr].tolist(), y[tr].tolist(), a)
      errs += list(pred(x[val].tolist()) - y[val])
    want = (sum(e * e for e in errs) / 23 if criterion == 'mse'
            else sum(abs(e) for e in errs) / 23)
    assert got == pytest.approx(want, rel=1e-8)
  assert probe.alpha == alphas[int(np.argmin(probe.cv_errors))]


def test_ridge_cv_ties_go_to_the_larger_alpha():
  # Constant features: every alpha predicts the fold's mean, same errors.
  x = np.ones((12, 2))
  y = np.arange(12.0)
  probe = readouts.fit_ridge_cv(x, y, alphas=[0.1, 10.0, 1.0], folds=3)
  assert np.ptp(probe.cv_errors) == 0 and probe.alpha == 10.0


def test_ridge_recovers_linear_relation_and_cv_adapts_alpha():
  rng = np.random.default_rng(10)
  x = rng.normal(size=(300, 8)) * 2.0 + 1.0
  w_true = rng.normal(size=8)
  y = x @ w_true + 0.7 + 0.01 * rng.normal(size=300)
  clean = readouts.fit_ridge_cv(x, y)
  assert clean.alpha <= 1e-2
  w, _ = _weights(clean)
  np.testing.assert_allclose(w / clean.model[0].scale_, w_true, atol=5e-3)
  x_te = rng.normal(size=(50, 8))
  np.testing.assert_allclose(clean.predict(x_te), x_te @ w_true + 0.7,
                             atol=0.03)
  # Many noise features, a weak signal: CV must regularize much harder.
  xn = rng.normal(size=(80, 60))
  yn = 0.2 * xn[:, 0] + rng.normal(size=80)
  noisy = readouts.fit_ridge_cv(xn, yn)
  assert noisy.alpha >= 1.0 > clean.alpha * 100
  assert noisy.cv_errors.shape == (17,) and noisy.alphas.shape == (17,)


def test_ridge_ignores_constant_features():
  rng = np.random.default_rng(11)
  x = np.concatenate([rng.normal(size=(30, 2)), np.full((30, 1), 0.1)], 1)
  y = x[:, 0] + 0.1 * rng.normal(size=30)
  probe = no_warnings(readouts.fit_ridge_cv, x, y)
  w, _ = _weights(probe)
  assert w[2] == 0.0 and probe.model[0].scale_[2] == 1.0
  x_te = x[:5].copy()
  x_te[:, 2] = 99.0
  np.testing.assert_array_equal(probe.predict(x_te), probe.predict(x[:5]))


def test_probe_ridge_recovers_frequency_of_random_phase_sines():
  rng = np.random.default_rng(12)
  y_tr, y_te = rng.uniform(0.5, 5.0, 600), rng.uniform(0.5, 5.0, 300)
  x_tr = sines(y_tr, rng.uniform(0, 6.3, 600), noise=0.1, seed=13)
  x_te = sines(y_te, rng.uniform(0, 6.3, 300), noise=0.1, seed=14)
  probe = readouts.fit_ridge_cv(readouts.probe_features(x_tr, FPS), y_tr)
  pred = probe.predict(readouts.probe_features(x_te, FPS))
  assert scores.regression_metrics(pred, y_te)['mae'] < 0.05


def test_probe_features_layout():
  x = np.concatenate([sines([1.0, 2.3], [0.0, 1.0]) * 5 + 2,
                      np.full((1, L), 4.0)])
  feats = no_warnings(readouts.probe_features, x, FPS, band=(0.25, 15.0))
  k = sum(1 for j in range(L // 2 + 1) if 0.25 <= j * FPS / L <= 15.0)
  assert feats.shape == (3, L + k)
  np.testing.assert_allclose(feats[:2, :L].mean(1), 0.0, atol=1e-12)
  np.testing.assert_allclose(feats[:2, :L].std(1), 1.0)
  np.testing.assert_allclose(feats[:2, L:].sum(1), 1.0)
  assert np.all(feats[:2, L:] >= 0)
  assert np.all(feats[2] == 0.0)
  # The spectrum block ignores gain and offset.
  again = readouts.probe_features(x[:2] * 0.01 - 3, FPS)
  np.testing.assert_allclose(again, feats[:2], atol=1e-9)


# ------------------------------------------------------------- fit_readouts


def test_fit_readouts_fits_on_train_and_scores_every_split():
  # Frequency targets; the feature runs at 2f (harmonic lock): the raw FFT
  # readout is twice the target, the scaled one (fitted on train) is not.
  rng = np.random.default_rng(20)
  y = {'train': rng.uniform(0.5, 4.0, 60), 'test': rng.uniform(0.5, 4.0, 30)}
  feats = {s: sines(2 * v, rng.uniform(0, 6.3, v.size), noise=0.05, seed=i)
           for i, (s, v) in enumerate(y.items())}
  task = tasks.get('hz')
  metrics, fitted, preds = readouts.fit_readouts(
      feats, y, task, fps=FPS, band=(0.25, 15.0), train_split='train',
      folds=3, alphas=(1e-3, 1e-1, 10.0), seed=0)
  assert set(metrics) == {'train', 'test'}
  for s in ('train', 'test'):
    assert set(metrics[s]) == set(task.readouts)
    assert set(preds[s]) == set(task.readouts)
    for r in task.readouts:
      assert set(metrics[s][r]) == set(task.metrics)
      want = scores.regression_metrics(preds[s][r], y[s])
      assert metrics[s][r] == want
  np.testing.assert_allclose(preds['test']['fft'], 2 * y['test'], atol=0.02)
  assert fitted.scale == pytest.approx(0.5, abs=0.005)
  assert metrics['test']['fft_scaled']['mae'] < 0.01
  # The probe input with the lowest CV error on train is the one used.
  cv = fitted.probe_cv_mse
  assert set(cv) == {'series', 'spectrum', 'series+spectrum'}
  assert fitted.probe_input == min(cv, key=cv.get)
  assert fitted.probe.alpha in (1e-3, 1e-1, 10.0)
  assert fitted.num_labelled == 60


def test_few_labels_fit_what_they_can():
  """No label: the raw FFT only; one: also the scale; two or more: the
  probe too (folds capped at the number of labels)."""
  rng = np.random.default_rng(21)
  f = rng.uniform(0.5, 4.0, 5)
  feats = sines(2 * f, rng.uniform(0, 6.3, 5), noise=0.05, seed=3)
  task = tasks.get('hz')
  kw = dict(fps=FPS, band=(0.25, 15.0), folds=5, alphas=(1e-2, 1.0))
  none = readouts.fit(feats[:0], f[:0], task, length=L, **kw)
  assert none.readouts == ('fft',) and none.probe is None
  assert none.predict(feats, task)['fft'] == pytest.approx(2 * f, abs=0.02)
  one = readouts.fit(feats[:1], f[:1], task, **kw)
  assert one.readouts == ('fft', 'fft_scaled')
  assert one.scale == pytest.approx(0.5, abs=0.005)
  three = readouts.fit(feats[:3], f[:3], task, **kw)
  assert three.readouts == task.readouts and three.num_labelled == 3
  assert readouts.fit(feats[:0], f[:0], tasks.get('kelvin'), length=L,
                      **kw).readouts == ()


def test_fit_round_trips_through_json_as_a_linear_map():
  """readouts.json holds the probe as numbers: standardize, then a dot
  product; the same predictions as the fitted scikit-learn pipeline."""
  rng = np.random.default_rng(22)
  f = rng.uniform(0.5, 4.0, 40)
  feats = sines(f, rng.uniform(0, 6.3, 40), noise=0.05, seed=4)
  fitted = readouts.fit(feats, f, tasks.get('hz'), fps=FPS,
                        band=(0.25, 15.0), folds=4, alphas=(1e-2, 1.0))
  blob = json.loads(json.dumps(fitted.to_json()))
  p = blob['probe']
  x = readouts.probe_features(feats, FPS, (0.25, 15.0))
  x = {'series': x[:, :L], 'spectrum': x[:, L:],
       'series+spectrum': x}[p['input']]
  manual = ((x - np.array(p['mean'])) / np.array(p['scale'])) @ np.array(
      p['coef']) + p['intercept']
  np.testing.assert_allclose(manual, fitted.predict(
      feats, tasks.get('hz'))['linear_probe'], rtol=1e-10, atol=1e-10)
  assert blob['scale'] == fitted.scale and blob['length'] == L


def test_fit_readouts_needs_the_train_split():
  feats = {'test': sines([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])}
  with pytest.raises(ValueError, match="'train'.*\\['test'\\]"):
    readouts.fit_readouts(feats, {'test': np.ones(3)}, tasks.get('hz'),
                          fps=FPS, band=(0.25, 15.0), train_split='train',
                          folds=2, alphas=(1.0,))


# --------------------------------------------------------------- bad inputs


@pytest.mark.parametrize('call', [
    lambda: spectra.fft_peak_frequency(np.zeros((2, 3, L)), FPS),
    lambda: spectra.fft_peak_frequency(np.zeros((2, L)), FPS, band=(5, 1)),
    lambda: spectra.fft_peak_frequency(np.zeros((2, L)), FPS, band=(16, 20)),
    lambda: spectra.fft_peak_frequency(np.zeros((2, L)), FPS, pad_factor=0),
    lambda: spectra.fft_peak_frequency(np.full((2, L), np.nan), FPS),
    lambda: readouts.probe_features(np.zeros((0, L)), FPS),
    lambda: readouts.fit_scale(np.ones((2, 2)), np.ones((2, 2))),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(9)),
    lambda: readouts.fit_ridge_cv(np.ones(10), np.ones(10)),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10), folds=11),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10), alphas=[-1]),
    # alpha = 0 (plain least squares) is no longer a candidate.
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10), alphas=[0]),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10), alphas=[]),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10),
                                  criterion='r2'),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10)).predict(
        np.ones((3, 3))),
    lambda: readouts.fit_ridge_cv(np.ones((10, 2)), np.ones(10)).predict(
        np.full((3, 2), np.inf)),
])
def test_bad_arguments_raise_value_error(call):
  with pytest.raises(ValueError):
    call()


def test_grouped_folds_keep_each_source_whole():
  groups = np.array(['a', 'a', 'b', 'c', 'c', 'c', 'd', 'b'])
  folds = readouts.kfold_indices(8, 3, seed=0, groups=groups)
  assert sorted(np.concatenate(folds).tolist()) == list(range(8))
  for val in folds:
    inside = set(groups[val])
    assert not inside & set(np.delete(groups, val))
  with pytest.raises(ValueError, match='groups'):
    readouts.kfold_indices(8, 5, seed=0, groups=groups)


def test_grouped_cv_does_not_reward_memorizing_files():
  """Windows of one file are near copies with the file's label: plain
  K-fold puts copies on both sides and rates the least regularized probe
  best; folds by file see that it does not generalize and regularize
  more."""
  rng = np.random.default_rng(5)
  files = np.repeat(np.arange(6), 10)
  signature = rng.normal(size=(6, 40))  # what identifies a file, not its y
  x = signature[files] + 0.01 * rng.normal(size=(60, 40))
  y = rng.uniform(1, 3, 6)[files]
  alphas = (1e-4, 1e-2, 1.0, 100.0, 1e4)
  plain = readouts.fit_ridge_cv(x, y, alphas=alphas, folds=3, seed=0)
  grouped = readouts.fit_ridge_cv(x, y, alphas=alphas, folds=3, seed=0,
                                  groups=files)
  assert plain.alpha < grouped.alpha
  assert np.min(plain.cv_errors) < np.min(grouped.cv_errors)
