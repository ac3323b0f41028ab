"""simper_jax.losses against direct-loop references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simper_jax import losses
from tests import refs


@pytest.mark.parametrize('kernel', ['l1', 'l2', 'sqrt'])
@pytest.mark.parametrize('temperature', [0.1, 1.0])
def test_label_targets_match_reference(kernel, temperature):
  rng = np.random.default_rng(0)
  sa = rng.uniform(0.5, 3.0, size=(2, 3, 5)).astype(np.float32)
  sb = rng.uniform(0.5, 3.0, size=(2, 3, 4)).astype(np.float32)
  got = np.asarray(jax.jit(lambda a, b: losses.label_targets(
      a, b, kernel=kernel, temperature=temperature))(sa, sb))
  assert got.shape == (2, 3, 5, 4)
  for i in range(2):
    for j in range(3):
      np.testing.assert_allclose(
          got[i, j], refs.label_targets(sa[i, j], sb[i, j], kernel,
                                        temperature), atol=1e-5)
  np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize('shape', [(4, 4), (3, 5, 6), (2, 2, 3, 3)])
def test_generalized_infonce_matches_reference(shape):
  rng = np.random.default_rng(1)
  logits = rng.normal(size=shape).astype(np.float32) * 3
  targets = rng.uniform(size=shape).astype(np.float32)
  targets /= targets.sum(-1, keepdims=True)
  got = float(jax.jit(losses.generalized_infonce)(logits, targets))
  rows_l = logits.reshape(-1, shape[-1])
  rows_t = targets.reshape(-1, shape[-1])
  want = np.mean([refs.infonce_row(l, t) for l, t in zip(rows_l, rows_t)])
  np.testing.assert_allclose(got, want, rtol=1e-5)


def test_one_hot_targets_reduce_to_cross_entropy():
  logits = jnp.array([[2.0, 0.0, -1.0]])
  targets = jnp.array([[1.0, 0.0, 0.0]])
  want = -(2.0 - np.log(np.exp(2.0) + 1.0 + np.exp(-1.0)))
  np.testing.assert_allclose(float(losses.generalized_infonce(logits, targets)),
                             want, rtol=1e-6)


@pytest.mark.parametrize('similarity', ['mxcorr', 'npsd', 'cosine', 'l2'])
def test_simper_loss_matches_reference(similarity):
  rng = np.random.default_rng(2)
  b, m, t = 2, 4, 24
  fa = rng.normal(size=(b, m, t)).astype(np.float32)
  fb = rng.normal(size=(b, m, t)).astype(np.float32)
  speeds = np.sort(rng.uniform(0.5, 2.0, size=(b, m)), -1).astype(np.float32)
  fps, band, tau_f, tau_l = 30.0, (0.25, 15.0), 0.5, 0.1
  got = float(jax.jit(lambda x, y, s: losses.simper_loss(
      x, y, s, similarity=similarity, feature_temperature=tau_f,
      label_kernel='l1', label_temperature=tau_l, fps=fps, band=band))(
          fa, fb, speeds))
  ref_sim = {'mxcorr': refs.mxcorr, 'cosine': refs.cosine,
             'l2': refs.negative_l2,
             'npsd': lambda x, y: refs.npsd(x, y, fps, band)}[similarity]
  rows = []
  for i in range(b):
    logits = ref_sim(fa[i], fb[i]) / tau_f
    w = refs.label_targets(speeds[i], speeds[i], 'l1', tau_l)
    rows += [refs.infonce_row(logits[r], w[r]) for r in range(m)]
  np.testing.assert_allclose(got, np.mean(rows), rtol=1e-4)


def test_loss_prefers_speed_ordered_features():
  # Features whose frequency follows the speed score a lower loss than
  # features that ignore it.
  t = np.arange(60) / 30.0
  speeds = np.array([[0.6, 1.0, 1.5, 2.2, 3.0]], np.float32)
  good = np.sin(2 * np.pi * 1.2 * speeds[0, :, None] * t[None])[None]
  rng = np.random.default_rng(3)
  bad = np.sin(2 * np.pi * 1.2 * rng.permutation(speeds[0])[:, None] *
               t[None])[None]
  loss = lambda f: float(losses.simper_loss(
      jnp.asarray(f, jnp.float32), jnp.asarray(f, jnp.float32), speeds))
  assert loss(good) < loss(bad)


def test_grad_is_finite():
  rng = np.random.default_rng(4)
  f = jnp.asarray(rng.normal(size=(2, 2, 3, 16)), jnp.float32)
  s = jnp.asarray([[1.0, 1.5, 2.0], [0.7, 0.8, 2.5]])
  for sim in ('mxcorr', 'npsd', 'cosine', 'l2'):
    g = jax.grad(lambda x: losses.simper_loss(
        x[:, 0], x[:, 1], s, similarity=sim, fps=30.0, band=(0.25, 15.0)))(f)
    assert np.all(np.isfinite(np.asarray(g))) and float(jnp.abs(g).sum()) > 0


def test_bad_inputs_raise():
  with pytest.raises(ValueError, match='unknown kernel'):
    losses.label_targets(jnp.ones(3), jnp.ones(3), kernel='huber')
  with pytest.raises(ValueError, match='temperature'):
    losses.label_targets(jnp.ones(3), jnp.ones(3), temperature=0.0)
  with pytest.raises(ValueError, match='same shape'):
    losses.generalized_infonce(jnp.ones((3, 3)), jnp.ones((3, 4)))
  with pytest.raises(ValueError, match='speeds'):
    losses.simper_loss(jnp.ones((2, 3, 8)), jnp.ones((2, 3, 8)),
                       jnp.ones((2, 4)))
