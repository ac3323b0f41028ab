"""TCN1D series encoder: shapes, per-example standardization, receptive
field (counted by hand from kernel and dilations), train/eval modes, dtype
and the ``models.create`` entry."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from flax import nnx

from simper_jax import models
from simper_jax.models import tcn1d

_apply = nnx.jit(lambda m, v: m(v))


def _series(seed, n, t, c):
  """``[n, t, 1, 1, c]``: a few sines plus noise, float32."""
  rng = np.random.default_rng(seed)
  k = np.arange(t)[None, :, None]
  x = (np.sin(2 * np.pi * rng.uniform(0.02, 0.2, (n, 1, c)) * k
              + rng.uniform(0, 6, (n, 1, c)))
       + 0.3 * rng.normal(size=(n, t, c)))
  return jnp.asarray(x[:, :, None, None, :], jnp.float32)


@pytest.mark.parametrize('n,t,c', [(2, 40, 3), (1, 7, 1), (3, 128, 2)])
def test_shapes_finite_and_jit(n, t, c):
  model = tcn1d.tiny_tcn1d(in_channels=c, rngs=nnx.Rngs(0))
  y = _apply(model, _series(0, n, t, c))
  assert y.shape == (n, t) and y.dtype == jnp.float32
  assert np.all(np.isfinite(np.asarray(y))) and float(jnp.std(y)) > 0


def test_spatial_mean_over_h_w():
  # A [T, 2, 1, C] clip reads as the series of its spatial means.
  model = tcn1d.tiny_tcn1d(in_channels=2, rngs=nnx.Rngs(0))
  model.eval()
  x = _series(1, 2, 30, 2)
  d = jnp.asarray(np.random.default_rng(0).normal(size=x.shape), jnp.float32)
  wide = jnp.concatenate([x + d, x - d], axis=2)
  np.testing.assert_allclose(np.asarray(model(wide)), np.asarray(model(x)),
                             atol=1e-4)


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_independent_of_offset_and_scale_per_example(mode):
  """Each example and channel is standardized over time first, so a
  per-example, per-channel gain and offset (drift level, sensor gain)
  changes nothing -- in train mode too (BatchNorm then sees the same
  standardized batch)."""
  model = tcn1d.tiny_tcn1d(in_channels=3, rngs=nnx.Rngs(0))
  getattr(model, mode)()
  x = _series(2, 4, 50, 3)
  rng = np.random.default_rng(3)
  gain = rng.uniform(0.01, 100.0, (4, 1, 1, 1, 3))
  offset = rng.uniform(-1000.0, 1000.0, (4, 1, 1, 1, 3))
  moved = jnp.asarray(np.asarray(x, np.float64) * gain + offset, jnp.float32)
  # Float32 rounding of an offset of up to 1000 against values of ~1:
  # agreement to ~1e-4 relative.
  np.testing.assert_allclose(np.asarray(model(moved)), np.asarray(model(x)),
                             atol=2e-3, rtol=2e-3)
  st = tcn1d.standardize(moved[:, :, 0, 0])
  np.testing.assert_allclose(np.asarray(st.mean(axis=1)), 0.0, atol=1e-3)
  np.testing.assert_allclose(np.asarray(st.std(axis=1)), 1.0, atol=1e-3)


@pytest.mark.parametrize('kernel,dilations,half', [
    (5, (1, 2, 4, 8), 30),   # 4 * (1 + 2 + 4 + 8) / 2
    (3, (1, 2), 3),          # 2 * (1 + 2) / 2
    (5, (1,), 2),
])
def test_receptive_field(kernel, dilations, half):
  """A change at sample t changes exactly the outputs t-half .. t+half of
  the convolution stack (eval mode; the per-example standardization, which
  uses the whole window, is bypassed)."""
  model = tcn1d.TCN1D(in_channels=2, channels=8, kernel_size=kernel,
                      dilations=dilations, rngs=nnx.Rngs(1))
  model.eval()
  assert model.receptive_field == 2 * half + 1
  t, at = 100, 47
  x = jax.random.normal(jax.random.key(0), (1, t, 2))
  bumped = x.at[0, at, :].add(5.0)
  diff = np.abs(np.asarray(model.temporal(bumped) - model.temporal(x)))[0]
  changed = np.flatnonzero(diff > 0)
  assert changed.min() == at - half and changed.max() == at + half, changed
  # Through the 1x1 head every sample inside depends on the change: allow
  # a few ReLU-dead positions but not a gap at the edges.
  assert len(changed) >= 2 * half + 1 - 2 * len(dilations)


def test_train_updates_batch_stats_and_eval_does_not():
  model = tcn1d.tiny_tcn1d(in_channels=1, rngs=nnx.Rngs(0))
  x = _series(4, 8, 40, 1)
  before = jax.tree.map(np.asarray, nnx.state(model, nnx.BatchStat))
  model.eval()
  y_eval = model(x)
  same = jax.tree.map(np.asarray, nnx.state(model, nnx.BatchStat))
  jax.tree.map(np.testing.assert_array_equal, before, same)
  model.train()
  y_train = model(x)
  after = jax.tree.map(np.asarray, nnx.state(model, nnx.BatchStat))
  assert any(not np.array_equal(a, b) for a, b in zip(
      jax.tree.leaves(before), jax.tree.leaves(after)))
  # Batch statistics and running statistics differ at initialization.
  assert not np.allclose(np.asarray(y_eval), np.asarray(y_train))
  # In train mode the output depends on the rest of the batch; in eval
  # mode it does not.
  model.eval()
  np.testing.assert_allclose(np.asarray(model(x[:1])),
                             np.asarray(model(x)[:1]), atol=1e-5)
  model.train()
  assert not np.allclose(np.asarray(model(x[:2])), np.asarray(model(x)[:2]))


def test_gradients_reach_every_parameter():
  model = tcn1d.tiny_tcn1d(in_channels=3, rngs=nnx.Rngs(0))
  x = _series(5, 2, 30, 3)
  grads = nnx.grad(lambda m: jnp.mean(m(x) ** 2))(model)
  for g in jax.tree.leaves(nnx.state(grads, nnx.Param)):
    assert np.all(np.isfinite(np.asarray(g))) and np.any(np.asarray(g) != 0)


def test_bfloat16_compute_keeps_float32_params_and_output():
  model = tcn1d.TCN1D(in_channels=3, channels=(8, 8), kernel_size=5,
                      dilations=(1, 2), dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
  params = nnx.state(model, nnx.Param)
  assert all(p.dtype == jnp.float32 for p in jax.tree.leaves(params))
  y = _apply(model, _series(0, 2, 32, 3))
  assert y.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(y)))


def test_invalid_inputs_raise():
  model = tcn1d.tiny_tcn1d(in_channels=3, rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match=r'\[N, T, H, W, 3\]'):
    model(jnp.zeros((2, 10, 3)))
  with pytest.raises(ValueError, match=r'\[N, T, H, W, 3\]'):
    model(jnp.zeros((2, 10, 1, 1, 2)))
  with pytest.raises(ValueError, match='odd kernel_size'):
    tcn1d.TCN1D(kernel_size=4, rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match='one per dilation'):
    tcn1d.TCN1D(channels=(4, 8, 8), dilations=(1, 2), rngs=nnx.Rngs(0))


def test_models_create():
  cfg = ml_collections.ConfigDict({
      'name': 'tcn1d', 'channels': (8, 16, 16), 'kernel_size': 3,
      'dilations': (1, 2, 4), 'dtype': 'float32', 'bn_momentum': 0.8})
  model = models.create(cfg, in_channels=3, rngs=nnx.Rngs(0))
  assert isinstance(model, tcn1d.TCN1D)
  assert model.receptive_field == 1 + 2 * 7
  assert model.norms[0].momentum == 0.8
  assert _apply(model, _series(0, 2, 20, 3)).shape == (2, 20)
  # Defaults for absent fields; a 3-D kernel (another encoder's) refused.
  default = models.create(ml_collections.ConfigDict({'name': 'tcn1d'}),
                          in_channels=1, rngs=nnx.Rngs(0))
  assert default.receptive_field == 61 and len(default.convs) == 4
  cnn3d_kernel = ml_collections.ConfigDict({'name': 'tcn1d',
                                            'kernel_size': (5, 3, 3)})
  with pytest.raises(ValueError, match='one odd integer'):
    models.create(cnn3d_kernel, in_channels=3, rngs=nnx.Rngs(0))
