"""TS-CAN encoder: shapes, its building blocks against direct loops, temporal
locality, gradients and the ``models.create`` entry."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from flax import nnx

from simper_jax import models
from simper_jax.models import tscan


_apply = nnx.jit(lambda m, v: m(v))


def _frames(seed, shape):
  return jnp.asarray(np.random.default_rng(seed).uniform(0.05, 1.0, shape),
                     jnp.float32)


@pytest.mark.parametrize('t,h,w,depth,image_size', [
    (10, 10, 10, 10, None), (13, 12, 16, 5, None), (7, 11, 10, None, None),
    (2, 10, 10, 10, None), (6, 12, 14, 4, (12, 14))])
def test_output_shape_finite_and_jit(t, h, w, depth, image_size):
  model = tscan.tiny_tscan(frame_depth=depth, image_size=image_size,
                           rngs=nnx.Rngs(0))
  x = _frames(t, (2, t, h, w, 3))
  y = _apply(model, x)
  assert y.shape == (2, t) and y.dtype == jnp.float32
  assert np.all(np.isfinite(np.asarray(y)))
  assert float(jnp.std(y)) > 0  # not a constant


def test_eager_matches_jit():
  model = tscan.tiny_tscan(frame_depth=3, rngs=nnx.Rngs(0))
  x = _frames(0, (1, 5, 10, 10, 3))
  np.testing.assert_allclose(np.asarray(model(x)),
                             np.asarray(_apply(model, x)), atol=1e-5,
                             rtol=1e-5)


def test_bfloat16_compute_keeps_float32_params_and_output():
  model = tscan.tiny_tscan(dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
  params = nnx.state(model, nnx.Param)
  assert all(p.dtype == jnp.float32 for p in jax.tree.leaves(params))
  y = _apply(model, _frames(0, (1, 12, 10, 10, 3)))
  assert y.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(y)))


def test_invalid_inputs_raise():
  model = tscan.tiny_tscan(image_size=12, rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match='image_size'):
    model(_frames(0, (1, 4, 10, 10, 3)))
  with pytest.raises(ValueError, match='T >= 2'):
    tscan.tiny_tscan(rngs=nnx.Rngs(0))(_frames(0, (1, 1, 10, 10, 3)))
  with pytest.raises(ValueError, match='at least'):
    tscan.tiny_tscan(rngs=nnx.Rngs(0))(_frames(0, (1, 4, 9, 10, 3)))
  with pytest.raises(ValueError, match='frame_depth'):
    tscan.tiny_tscan(frame_depth=0, rngs=nnx.Rngs(0))


def _shift_loop(x, depth, fold_div=3):
  n, t, c = x.shape[0], x.shape[1], x.shape[-1]
  depth = depth or t
  fold = c // fold_div
  out = np.zeros_like(x)
  for i in range(n):
    for s in range(t):
      for ch in range(c):
        if ch < fold:
          src = s + 1
        elif ch < 2 * fold:
          src = s - 1
        else:
          src = s
        if 0 <= src < t and src // depth == s // depth:
          out[i, s, ..., ch] = x[i, src, ..., ch]
  return out


@pytest.mark.parametrize('depth', [4, 10, 1, None, 30])
@pytest.mark.parametrize('c', [7, 3, 2])
def test_temporal_shift_matches_loop(depth, c):
  x = np.random.default_rng(c).normal(size=(2, 10, 3, c)).astype(np.float32)
  got = jax.jit(lambda v: tscan.temporal_shift(v, depth))(x)
  np.testing.assert_array_equal(np.asarray(got), _shift_loop(x, depth))


def test_preprocess_matches_loop():
  x = np.asarray(_frames(1, (2, 6, 3, 4, 3)), np.float64)
  x[0, 2, 1, 1] = 0.0  # a zero pixel in two consecutive frames
  x[0, 3, 1, 1] = 0.0
  motion, appearance = jax.jit(tscan.preprocess)(jnp.asarray(x, jnp.float32))
  n, t = x.shape[:2]
  for i in range(n):
    d = np.zeros((t - 1,) + x.shape[2:])
    for s in range(t - 1):
      for idx in np.ndindex(*x.shape[2:]):
        a, b = x[(i, s + 1) + idx], x[(i, s) + idx]
        d[(s,) + idx] = (a - b) / (a + b + 1e-7)
    want_m = np.concatenate([d / d.std(), np.zeros((1,) + x.shape[2:])])
    want_a = (x[i] - x[i].mean()) / x[i].std()
    np.testing.assert_allclose(np.asarray(motion[i]), want_m, rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(appearance[i]), want_a, rtol=1e-4,
                               atol=1e-5)
  assert np.all(np.asarray(motion[:, -1]) == 0)  # the padded last frame
  # A constant (e.g. zero-padded) clip gives zeros, not NaNs.
  m0, a0 = tscan.preprocess(jnp.zeros((1, 4, 3, 3, 3)))
  assert np.all(np.asarray(m0) == 0) and np.all(np.asarray(a0) == 0)


def test_diff_normalize_is_local():
  x = _frames(2, (1, 9, 4, 4, 3))
  y = x.at[:, 4].add(0.01)
  changed = np.any(np.asarray(tscan.diff_normalize(x) !=
                              tscan.diff_normalize(y)), axis=(0, 2, 3, 4))
  assert np.flatnonzero(changed).tolist() == [3, 4]


def test_attention_norm_sums_to_half_area():
  rng = np.random.default_rng(3)
  m = jnp.asarray(rng.uniform(0.01, 1.0, (2, 4, 5, 6, 2)), jnp.float32)
  m = m.at[0, 0, 0, 0, 0].set(-0.5)  # |m| is what is normalized
  got = np.asarray(tscan.attention_norm(m), np.float64)
  np.testing.assert_allclose(np.abs(got).sum(axis=(2, 3)),
                             np.full((2, 4, 2), 5 * 6 / 2), rtol=1e-5)
  # Scale-invariant per frame and channel, proportional to the mask.
  np.testing.assert_allclose(
      np.asarray(tscan.attention_norm(m * 3.0)), got, rtol=1e-5)
  ratio = got / np.asarray(m)
  np.testing.assert_allclose(
      ratio, np.broadcast_to(ratio[:, :, :1, :1], ratio.shape), rtol=1e-5)


# Motion frame t0 reaches +-4 output frames (a shift of one before each of
# the four motion convolutions); appearance frame t0 reaches +-2 (its first
# mask gates the motion features before the last two shifts, its second
# after them), both only within t0's shift segment.
@pytest.mark.parametrize('t,depth,t0,motion_rf,app_rf', [
    (20, None, 10, range(6, 15), range(8, 13)),
    (20, None, 1, range(0, 6), range(0, 4)),       # clipped at the start
    (23, 10, 12, range(10, 17), range(10, 15)),    # cut at segment start 10
    (23, 10, 17, range(13, 20), range(15, 20)),    # cut at segment end 20
    (23, 10, 21, range(20, 23), range(20, 23)),    # short last segment
])
def test_receptive_field_is_bounded(t, depth, t0, motion_rf, app_rf):
  model = tscan.tiny_tscan(frame_depth=depth, rngs=nnx.Rngs(1))
  rng = np.random.default_rng(t0)
  motion = jnp.asarray(rng.normal(size=(1, t, 10, 10, 3)), jnp.float32)
  app = jnp.asarray(rng.normal(size=(1, t, 10, 10, 3)), jnp.float32)
  enc = nnx.jit(lambda m, a, b: m.encode(a, b))
  base = np.asarray(enc(model, motion, app))[0]
  bump = jnp.asarray(rng.normal(size=(10, 10, 3)), jnp.float32)
  moved = np.asarray(enc(model, motion.at[0, t0].add(bump), app))[0]
  assert np.flatnonzero(moved != base).tolist() == list(motion_rf)
  moved = np.asarray(enc(model, motion, app.at[0, t0].add(bump)))[0]
  assert np.flatnonzero(moved != base).tolist() == list(app_rf)


def test_gradients_finite_and_nonzero_for_every_param():
  model = tscan.tiny_tscan(frame_depth=4, rngs=nnx.Rngs(2))
  x = _frames(4, (2, 9, 12, 12, 3))
  target = jnp.asarray(np.random.default_rng(5).normal(size=(2, 9)))

  def loss(m):
    return jnp.mean((m(x) - target) ** 2)

  grads = nnx.jit(nnx.grad(loss))(model)
  leaves = jax.tree_util.tree_leaves_with_path(nnx.state(grads, nnx.Param))
  n_params = len(jax.tree.leaves(nnx.state(model, nnx.Param)))
  assert len(leaves) == n_params == 24  # 10 convs + 2 dense, with biases
  for path, g in leaves:
    g = np.asarray(g)
    assert np.all(np.isfinite(g)), path
    assert np.any(g != 0), path


def test_dropout_only_in_train_mode():
  model = tscan.tiny_tscan(dropout=0.5, rngs=nnx.Rngs(0, dropout=1))
  x = _frames(6, (1, 8, 10, 10, 3))
  model.eval()
  a, b = _apply(model, x), _apply(model, x)
  np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  model.train()
  c, d = _apply(model, x), _apply(model, x)
  assert np.all(np.isfinite(np.asarray(c)))
  assert not np.allclose(np.asarray(c), np.asarray(a))
  assert not np.allclose(np.asarray(c), np.asarray(d))  # fresh masks


def test_create_builds_tscan():
  cfg = ml_collections.ConfigDict(dict(
      name='tscan', channels=(4, 8), kernel_size=(5, 3, 3), conv_impl='auto',
      dtype='float32', bn_momentum=0.9, dense=8, frame_depth=5))
  model = models.create(cfg, in_channels=3, rngs=nnx.Rngs(0))
  assert isinstance(model, tscan.TSCAN)
  assert model.frame_depth == 5 and model.image_size is None
  assert model.dense1.kernel.shape == (8, 8)
  assert _apply(model, _frames(7, (2, 7, 10, 10, 3))).shape == (2, 7)
  # Only a name: the paper's widths, whole-config defaults.
  model = models.create(ml_collections.ConfigDict(dict(name='tscan')),
                        in_channels=3, rngs=nnx.Rngs(0))
  assert model.motion[0].kernel.shape == (3, 3, 3, 32)
  assert model.dense1.kernel.shape == (64, 128) and model.frame_depth == 10
  with pytest.raises(ValueError, match="'tscan'"):
    models.create(ml_collections.ConfigDict(dict(name='nope',
                                                 dtype='float32')),
                  in_channels=3, rngs=nnx.Rngs(0))
