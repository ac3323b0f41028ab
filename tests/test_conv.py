"""The convolution formulations compute the same function and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from simper_jax.models import cnn3d
from simper_jax.models import conv
from tests import refs

IMPLS = ['native', 'taps2d', 'im2col', 'winograd']
CASES = [((2, 6, 5, 7, 3), (5, 3, 3, 3, 4)),
         ((1, 3, 8, 9, 9), (3, 3, 3, 9, 2)), ((1, 4, 6, 6, 1), (3, 1, 3, 1, 2)),
         ((2, 3, 4, 4, 2), (1, 1, 1, 2, 3)), ((1, 5, 4, 5, 2), (2, 2, 2, 2, 2))]


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('xs,ws', CASES)
def test_conv3d_matches_direct_reference(impl, xs, ws):
  rng = np.random.default_rng(0)
  x = rng.normal(size=xs).astype(np.float32)
  w = rng.normal(size=ws).astype(np.float32)
  got = jax.jit(lambda a, b: conv.conv3d(a, b, impl=impl))(x, w)
  np.testing.assert_allclose(np.asarray(got), refs.conv3d_same(x, w),
                             atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('impl', ['taps2d', 'im2col', 'winograd'])
@pytest.mark.parametrize('xs,ws', CASES[:3])
def test_conv3d_gradients_agree_across_impls(impl, xs, ws):
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.normal(size=xs), jnp.float32)
  w = jnp.asarray(rng.normal(size=ws), jnp.float32)
  cot = jnp.asarray(rng.normal(size=xs[:4] + ws[-1:]), jnp.float32)

  def f(impl):
    return jax.jit(jax.grad(lambda a, b: jnp.sum(
        jnp.tanh(conv.conv3d(a, b, impl=impl)) * cot), argnums=(0, 1)))

  for g_native, g_other in zip(f('native')(x, w), f(impl)(x, w)):
    np.testing.assert_allclose(np.asarray(g_other), np.asarray(g_native),
                               atol=1e-4, rtol=1e-4)


def test_encoder_is_the_same_function_for_every_impl():
  x = jnp.asarray(np.random.default_rng(2).uniform(size=(4, 8, 12, 12, 1)),
                  jnp.float32)
  outs, grads = [], []
  for impl in IMPLS:
    model = cnn3d.CNN3D(channels=(4, 6), conv_impl=impl, rngs=nnx.Rngs(0))
    model.train()
    out, g = nnx.value_and_grad(lambda m: jnp.sum(jnp.sin(m(x))))(model)
    outs.append(float(out))
    grads.append(jax.tree.leaves(nnx.state(g, nnx.Param)))
  for o, g in zip(outs[1:], grads[1:]):
    np.testing.assert_allclose(o, outs[0], rtol=1e-5)
    for a, b in zip(g, grads[0]):
      np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-4,
                                 rtol=1e-3)


def test_encoder_shapes_and_batchnorm_training():
  model = cnn3d.tiny_cnn3d(in_channels=3, rngs=nnx.Rngs(0))
  x = jnp.asarray(np.random.default_rng(3).uniform(size=(2, 7, 9, 9, 3)),
                  jnp.float32)
  model.train()
  before = np.asarray(model.norms[0].mean[...])
  y = model(x)
  assert y.shape == (2, 7)
  after = np.asarray(model.norms[0].mean[...])
  assert not np.allclose(before, after)  # running stats update in train mode
  model.eval()
  y1, y2 = model(x), model(x)
  np.testing.assert_array_equal(np.asarray(y1), np.asarray(y2))
  with pytest.raises(ValueError, match='CNN3D'):
    model(jnp.zeros((2, 7, 9, 9, 1)))
  with pytest.raises(ValueError, match='unknown conv impl'):
    cnn3d.CNN3D(conv_impl='fft', rngs=nnx.Rngs(0))


def test_auto_choice_per_layer_on_cpu():
  assert jax.default_backend() == 'cpu'
  assert conv.resolve_impl('auto', (5, 3, 3, 16, 32)) == 'winograd'
  assert conv.resolve_impl('auto', (5, 3, 3, 1, 16)) == 'winograd'
  assert conv.resolve_impl('auto', (5, 3, 3, 1, 64)) == 'im2col'
  assert conv.resolve_impl('auto', (5, 1, 3, 1, 16)) == 'im2col'
  assert conv.resolve_impl('winograd', (5, 1, 3, 8, 8)) == 'im2col'
