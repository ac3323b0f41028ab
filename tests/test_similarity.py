"""simper_jax.similarity against direct-loop references and identities."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simper_jax import similarity
from tests import refs

SHAPES = [(3, 4, 8), (2, 5, 31), (1, 1, 64), (4, 2, 1)]
DTYPES = [(jnp.float32, 1e-5), (jnp.bfloat16, 3e-2), (jnp.float16, 5e-3)]


def _data(seed, m, n, t, dtype):
  rng = np.random.default_rng(seed)
  a = rng.normal(size=(m, t)).astype(np.float32)
  b = rng.normal(size=(n, t)).astype(np.float32)
  # References see exactly the values the code sees after the dtype cast.
  a = np.asarray(jnp.asarray(a, dtype).astype(jnp.float32))
  b = np.asarray(jnp.asarray(b, dtype).astype(jnp.float32))
  return a, b


@pytest.mark.parametrize('m,n,t', SHAPES)
@pytest.mark.parametrize('dtype,tol', DTYPES)
def test_mxcorr_matches_loop_reference(m, n, t, dtype, tol):
  a, b = _data(0, m, n, t, dtype)
  got = jax.jit(similarity.max_cross_correlation)(
      jnp.asarray(a, dtype), jnp.asarray(b, dtype))
  assert got.shape == (m, n)
  np.testing.assert_allclose(np.asarray(got), refs.mxcorr(a, b), atol=tol)


@pytest.mark.parametrize('m,n,t', [(3, 4, 8), (2, 5, 31), (1, 2, 64)])
@pytest.mark.parametrize('dtype,tol', DTYPES)
def test_npsd_matches_loop_reference(m, n, t, dtype, tol):
  a, b = _data(1, m, n, t, dtype)
  fps, band = 30.0, (2.0, 12.0)
  fn = jax.jit(lambda x, y: similarity.normalized_psd(x, y, fps=fps,
                                                      band=band))
  got = fn(jnp.asarray(a, dtype), jnp.asarray(b, dtype))
  assert got.shape == (m, n)
  np.testing.assert_allclose(np.asarray(got), refs.npsd(a, b, fps, band),
                             atol=tol)


@pytest.mark.parametrize('m,n,t', SHAPES)
@pytest.mark.parametrize('dtype,tol', DTYPES)
def test_cosine_and_l2_match_loop_reference(m, n, t, dtype, tol):
  a, b = _data(2, m, n, t, dtype)
  ja, jb = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
  np.testing.assert_allclose(np.asarray(jax.jit(similarity.cosine)(ja, jb)),
                             refs.cosine(a, b), atol=tol)
  scale = max(1.0, float(np.abs(refs.negative_l2(a, b)).max()))
  np.testing.assert_allclose(
      np.asarray(jax.jit(similarity.negative_l2)(ja, jb)),
      refs.negative_l2(a, b), atol=tol * scale)


def test_self_similarity_is_one():
  rng = np.random.default_rng(3)
  a = jnp.asarray(rng.normal(size=(6, 50)), jnp.float32)
  for fn in (similarity.max_cross_correlation, similarity.cosine,
             lambda x, y: similarity.normalized_psd(x, y, fps=30.0,
                                                    band=(0.25, 15.0))):
    np.testing.assert_allclose(np.diag(np.asarray(fn(a, a))), 1.0,
                               atol=1e-6)
  np.testing.assert_allclose(np.diag(np.asarray(similarity.negative_l2(a, a))),
                             0.0, atol=1e-6)


def test_constant_series_scores_zero_with_finite_grads():
  a = jnp.stack([jnp.full((20,), 3.0), jnp.sin(jnp.arange(20.0))])
  s = similarity.max_cross_correlation(a, a)
  assert float(s[0, 0]) == 0.0 and float(s[0, 1]) == 0.0
  p = similarity.normalized_psd(a, a, fps=30.0, band=(0.0, 15.0))
  assert float(p[0, 0]) == 0.0
  for fn in (similarity.max_cross_correlation, similarity.cosine,
             similarity.negative_l2,
             lambda x, y: similarity.normalized_psd(x, y, fps=30.0,
                                                    band=(0.0, 15.0))):
    g = jax.grad(lambda x: jnp.sum(fn(x, x)))(a)
    assert np.all(np.isfinite(np.asarray(g)))


def test_mxcorr_is_shift_invariant_for_periodic_series():
  t = np.arange(128)
  period = 16
  base = np.sin(2 * np.pi * t / period)
  for shift in (3, 8, 13):  # 8 = half a period: cosine says opposite.
    shifted = np.sin(2 * np.pi * (t + shift) / period)
    a = jnp.asarray(base[None], jnp.float32)
    b = jnp.asarray(shifted[None], jnp.float32)
    mx = float(similarity.max_cross_correlation(a, b)[0, 0])
    # Best lag is within half a period, so at most period/2 samples of
    # overlap are lost: score >= (T - period/2) / T.
    assert mx >= (128 - period / 2) / 128 - 1e-5
    np.testing.assert_allclose(mx, refs.mxcorr(base[None], shifted[None])[0, 0],
                               atol=1e-5)
  half = np.sin(2 * np.pi * (t + 8) / period)
  assert float(similarity.cosine(jnp.asarray(base[None]),
                                 jnp.asarray(half[None]))[0, 0]) < -0.99


def test_npsd_separates_frequencies():
  fps, t = 30.0, np.arange(90) / 30.0
  a = np.stack([np.sin(2 * np.pi * 1.0 * t), np.sin(2 * np.pi * 1.0 * t + 1.0)])
  b = np.stack([np.sin(2 * np.pi * 4.0 * t), np.sin(2 * np.pi * 1.0 * t + 2.0)])
  s = np.asarray(similarity.normalized_psd(
      jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32), fps=fps,
      band=(0.25, 15.0)))
  assert s[0, 0] < 0.01 and s[1, 0] < 0.01  # 1 Hz vs 4 Hz
  assert s[0, 1] > 0.99 and s[1, 1] > 0.99  # 1 Hz vs 1 Hz, other phase


def test_vmap_and_grad():
  rng = np.random.default_rng(4)
  a = jnp.asarray(rng.normal(size=(3, 2, 16)), jnp.float32)
  b = jnp.asarray(rng.normal(size=(3, 5, 16)), jnp.float32)
  batched = jax.vmap(similarity.max_cross_correlation)(a, b)
  for i in range(3):
    np.testing.assert_allclose(np.asarray(batched[i]), refs.mxcorr(a[i], b[i]),
                               atol=1e-5)
  # Gradient against central finite differences (float64 reference).
  a0, b0 = np.asarray(a[0], np.float64), np.asarray(b[0], np.float64)
  g = np.asarray(jax.grad(lambda x: jnp.sum(
      similarity.max_cross_correlation(x, b[0])))(a[0]))
  eps, idx = 1e-3, (1, 7)
  up, down = a0.copy(), a0.copy()
  up[idx] += eps
  down[idx] -= eps
  fd = (refs.mxcorr(up, b0).sum() - refs.mxcorr(down, b0).sum()) / (2 * eps)
  np.testing.assert_allclose(g[idx], fd, rtol=2e-2, atol=2e-3)


def test_bad_shapes_raise():
  with pytest.raises(ValueError, match='lengths differ'):
    similarity.max_cross_correlation(jnp.ones((2, 5)), jnp.ones((2, 6)))
  with pytest.raises(ValueError, match=r'\[M, T\]'):
    similarity.cosine(jnp.ones((5,)), jnp.ones((2, 5)))
  with pytest.raises(ValueError, match='no frequency bin'):
    similarity.normalized_psd(jnp.ones((2, 8)), jnp.ones((2, 8)), fps=30.0,
                              band=(16.0, 20.0))
  with pytest.raises(ValueError, match='unknown similarity'):
    similarity.get('dot')
