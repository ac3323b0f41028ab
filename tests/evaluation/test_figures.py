"""simper_jax.evaluation.figures: the PCA embedding against a direct
covariance eigendecomposition, and the figure of each task kind."""

from __future__ import annotations

import numpy as np
import pytest

from simper_jax import tasks
from simper_jax.evaluation import figures
from tests.evaluation.series import FPS, no_warnings, sines


def test_pca_2d_matches_covariance_eigenvectors():
  rng = np.random.default_rng(16)
  x = rng.normal(size=(50, 5)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.1])
  x = x @ np.linalg.qr(rng.normal(size=(5, 5)))[0] + 4.0
  got = figures.pca_2d(x)
  n, d = x.shape
  mean = [sum(x[i, j] for i in range(n)) / n for j in range(d)]
  cov = np.zeros((d, d))
  for a in range(d):
    for b in range(d):
      cov[a, b] = sum((x[i, a] - mean[a]) * (x[i, b] - mean[b])
                      for i in range(n))
  _, vecs = np.linalg.eigh(cov)
  for c, v in enumerate([vecs[:, -1], vecs[:, -2]]):
    # The sign rule: each loading's largest-magnitude entry is positive.
    v = v * np.sign(v[np.argmax(np.abs(v))])
    np.testing.assert_allclose(got[:, c], (x - mean) @ v, atol=1e-9)
  # Sign-deterministic: the same data in another row order.
  perm = rng.permutation(n)
  np.testing.assert_allclose(figures.pca_2d(x[perm]), got[perm], atol=1e-9)


def test_pca_2d_low_rank_pads_with_zeros():
  got = figures.pca_2d(np.arange(6.0)[:, None])
  assert got.shape == (6, 2) and np.all(got[:, 1] == 0)
  np.testing.assert_allclose(np.abs(got[:, 0]), np.abs(np.arange(6) - 2.5))
  assert figures.pca_2d(np.ones((1, 3))).shape == (1, 2)
  assert np.all(figures.pca_2d(np.ones((1, 3))) == 0)
  # Constant data (e.g. flat features): zeros, and no warning.
  flat = no_warnings(figures.pca_2d, np.full((4, 3), 0.25))
  assert flat.shape == (4, 2) and np.all(flat == 0)


@pytest.mark.parametrize('bad', [np.ones(5), np.zeros((0, 3)),
                                 np.zeros((3, 0)), np.full((3, 2), np.nan)])
def test_pca_2d_rejects_bad_input(bad):
  with pytest.raises(ValueError):
    figures.pca_2d(bad)


@pytest.mark.parametrize('unit', ['hz', 'kelvin'])
def test_plot_writes_a_png_for_rate_and_plain_targets(tmp_path, unit):
  rng = np.random.default_rng(0)
  y = rng.uniform(0.5, 4.0, 12)
  feats = sines(y, rng.uniform(0, 6.3, 12), noise=0.1)
  task = tasks.get(unit)
  preds = {'linear_probe': y + 0.1}
  if task.per_hz(feats.shape[1], FPS):
    preds['fft_scaled'] = y - 0.1
  path = tmp_path / 'figure.png'
  figures.plot(str(path), feats, y, preds, task, fps=FPS, band=(0.25, 15.0),
               num_spectra=4, title='t')
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
