"""R3D-18 encoder: shapes, modes, temporal receptive field, parameter count,
a BasicBlock against direct loops, gradients and the ``models.create``
entry."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from flax import nnx

from simper_jax import models
from simper_jax.models import r3d


_apply = nnx.jit(lambda m, v: m(v))


def _frames(seed, shape):
  return jnp.asarray(np.random.default_rng(seed).normal(size=shape),
                     jnp.float32)


def _num_params(module) -> int:
  return sum(int(np.prod(p.shape))
             for p in jax.tree.leaves(nnx.state(module, nnx.Param)))


@pytest.mark.parametrize('t,h,w', [(6, 16, 16), (7, 9, 7), (1, 3, 5)])
def test_output_shape_finite_and_jit(t, h, w):
  model = r3d.tiny_r3d(rngs=nnx.Rngs(0))
  model.eval()
  y = _apply(model, _frames(t, (2, t, h, w, 3)))
  assert y.shape == (2, t) and y.dtype == jnp.float32
  assert np.all(np.isfinite(np.asarray(y)))
  assert float(jnp.std(y)) > 0  # not a constant


def test_train_and_eval_modes():
  model = r3d.tiny_r3d(rngs=nnx.Rngs(0))
  x = _frames(0, (2, 5, 8, 8, 3))
  other = x.at[1].multiply(3.0)  # sample 0 unchanged, sample 1 rescaled
  mean0 = np.asarray(model.stem_bn.mean[...])

  model.eval()
  y_eval = _apply(model, x)
  np.testing.assert_array_equal(model.stem_bn.mean[...], mean0)
  # Running statistics: each sample is processed independently.
  np.testing.assert_allclose(_apply(model, other)[0], y_eval[0], atol=1e-6)

  model.train()
  y_train = _apply(model, x)
  assert y_train.shape == (2, 5) and np.all(np.isfinite(y_train))
  # Batch statistics: the running mean moved, and sample 0 now depends on
  # sample 1.
  assert not np.allclose(model.stem_bn.mean[...], mean0)
  assert not np.allclose(_apply(model, other)[0], y_train[0], atol=1e-4)
  assert not np.allclose(y_train, y_eval, atol=1e-4)


@pytest.mark.parametrize('blocks,stem_kernel', [
    ((1, 1, 1, 1), (3, 7, 7)), ((1, 2, 1, 1), (5, 3, 3))])
def test_temporal_receptive_field(blocks, stem_kernel):
  # In eval mode BatchNorm is a per-channel affine map; ReLU, the spatial
  # pool and the head act within a frame. The stem conv reaches
  # (kt - 1) // 2 frames each way, every 3x3x3 conv (two per block) one
  # more, the 1x1x1 projections none.
  r = (stem_kernel[0] - 1) // 2 + 2 * sum(blocks)
  assert r == {(1, 1, 1, 1): 9, (1, 2, 1, 1): 12}[blocks]
  model = r3d.tiny_r3d(blocks_per_stage=blocks, stem_kernel=stem_kernel,
                       rngs=nnx.Rngs(1))
  assert model.receptive_field == r
  model.eval()
  t, t0 = 2 * r + 7, r + 3
  dist = np.abs(np.arange(t) - t0)
  assert np.all(dist[:3] > r) and np.all(dist[-3:] > r)  # both sides
  x = _frames(2, (1, t, 8, 8, 3))
  # Both clips in one batch (independent in eval mode): one compilation.
  y = np.asarray(_apply(model, jnp.concatenate([x, x.at[:, t0].add(5.0)])))
  diff = np.abs(y[1] - y[0])
  # Outside the field: unchanged (up to float32 rounding of the batched
  # matrix products, ~1e-8); near t0: changed.
  np.testing.assert_allclose(diff[dist > r], 0.0, atol=1e-6)
  assert diff[t0] > 1e-3 and diff[dist <= 2].max() > 1e-2, diff
  # The bound is tight: the derivative of output frame t0 with respect to
  # the input is non-zero exactly on frames t0 - r .. t0 + r (the edge
  # paths are too weak, ~1e-6, to check with a finite change).
  grad = nnx.jit(lambda m, v: jax.grad(lambda v: m(v)[0, t0])(v))(model, x)
  per_frame = np.abs(np.asarray(grad)).sum(axis=(0, 2, 3, 4))
  np.testing.assert_array_equal(per_frame[dist > r], 0.0)
  assert np.all(per_frame[dist <= r] > 0), per_frame


def test_full_size_parameter_count():
  # R3D-18 by hand (convs have no bias; BatchNorm has scale + bias; the
  # projection shortcut is a 1x1x1 conv + BN in the first block of stages
  # 2-4).
  def conv(k, cin, cout):
    return k * cin * cout

  def bn(c):
    return 2 * c

  def block(cin, cout):
    n = conv(27, cin, cout) + bn(cout) + conv(27, cout, cout) + bn(cout)
    if cin != cout:
      n += conv(1, cin, cout) + bn(cout)
    return n

  stem = conv(3 * 7 * 7, 3, 64) + bn(64)  # 28,224 + 128
  stages = [block(64, 64) + block(64, 64),  # 442,880
            block(64, 128) + block(128, 128),  # 1,557,760
            block(128, 256) + block(256, 256),  # 6,228,480
            block(256, 512) + block(512, 512)]  # 24,908,800
  assert stages == [442_880, 1_557_760, 6_228_480, 24_908_800]
  backbone = stem + sum(stages)
  # torchvision's r3d_18 has 33,371,472 parameters, of which its 400-way
  # fc is 512 * 400 + 400 = 205,200; the backbones match exactly (temporal
  # strides do not change the parameters).
  assert backbone == 33_371_472 - (512 * 400 + 400) == 33_166_272
  head = 512 * 1 + 1  # per-frame linear 512 -> 1 with bias
  expected = backbone + head
  assert expected == 33_166_785

  model = nnx.eval_shape(lambda: r3d.R3D18(rngs=nnx.Rngs(0)))
  assert _num_params(model) == expected
  assert _num_params(model.head) == head
  # BatchNorm running statistics are not parameters: 2 per BN channel.
  stats = sum(int(np.prod(s.shape)) for s in
              jax.tree.leaves(nnx.state(model, nnx.BatchStat)))
  bn_channels = 64 + 4 * 64 + 128 * 5 + 256 * 5 + 512 * 5
  assert stats == 2 * bn_channels


def _np_conv(x, k, stride):
  """Zero-padded (k // 2) 3-D cross-correlation by explicit loops.

  x: [N, T, H, W, C]; k: [kt, kh, kw, C, O]; stride (1, s, s).
  """
  kt, kh, kw, _, o = k.shape
  n, t, h, w, _ = x.shape
  xp = np.pad(x, ((0, 0), (kt // 2,) * 2, (kh // 2,) * 2, (kw // 2,) * 2,
                  (0, 0)))
  ho, wo = -(-h // stride), -(-w // stride)
  y = np.zeros((n, t, ho, wo, o))
  for b in range(n):
    for ti in range(t):
      for i in range(ho):
        for j in range(wo):
          for a in range(kt):
            for p in range(kh):
              for q in range(kw):
                y[b, ti, i, j] += (xp[b, ti + a, i * stride + p,
                                      j * stride + q] @ k[a, p, q])
  return y


def _np_bn(x, bn, train):
  if train:
    mean, var = x.mean(axis=(0, 1, 2, 3)), x.var(axis=(0, 1, 2, 3))
  else:
    mean, var = np.asarray(bn.mean[...]), np.asarray(bn.var[...])
  return ((x - mean) / np.sqrt(var + bn.epsilon) * np.asarray(bn.scale[...])
          + np.asarray(bn.bias[...]))


@pytest.mark.parametrize('cin,cout,stride,shape,train', [
    (1, 1, 1, (1, 2, 3, 3), False),  # identity shortcut
    (1, 1, 1, (2, 2, 3, 3), True),
    (2, 3, 2, (2, 3, 5, 4), False),  # projection: width and stride
    (2, 2, 2, (1, 2, 3, 3), False),  # projection: stride only
    (2, 3, 1, (2, 2, 3, 3), True)])  # projection: width only
def test_basic_block_matches_loops(cin, cout, stride, shape, train):
  block = r3d.BasicBlock(cin, cout, stride=stride, rngs=nnx.Rngs(3))
  assert (block.proj is None) == (stride == 1 and cin == cout)
  rng = np.random.default_rng(4)
  bns = [block.bn1, block.bn2] + ([block.proj_bn] if block.proj else [])
  for bn in bns:  # make BatchNorm non-trivial
    bn.mean[...] = jnp.asarray(rng.normal(size=cout), jnp.float32)
    bn.var[...] = jnp.asarray(rng.uniform(0.5, 2.0, cout), jnp.float32)
    bn.scale[...] = jnp.asarray(rng.uniform(0.5, 1.5, cout), jnp.float32)
    bn.bias[...] = jnp.asarray(rng.normal(size=cout) * 0.3, jnp.float32)
  block.train() if train else block.eval()
  x = rng.normal(size=(*shape, cin)).astype(np.float32)

  k1, k2 = (np.asarray(c.kernel[...], np.float64)
            for c in (block.conv1, block.conv2))
  y = np.maximum(_np_bn(_np_conv(x, k1, stride), block.bn1, train), 0)
  y = _np_bn(_np_conv(y, k2, 1), block.bn2, train)
  if block.proj is None:
    shortcut = x
  else:
    kp = np.asarray(block.proj.kernel[...], np.float64)
    assert kp.shape == (1, 1, 1, cin, cout)
    shortcut = _np_bn(_np_conv(x, kp, stride), block.proj_bn, train)
  expected = np.maximum(y + shortcut, 0)

  got = np.asarray(_apply(block, jnp.asarray(x)))
  assert got.shape == expected.shape == (
      shape[0], shape[1], -(-shape[2] // stride), -(-shape[3] // stride),
      cout)
  np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_gradients_finite_and_nonzero():
  model = r3d.tiny_r3d(rngs=nnx.Rngs(0))
  model.train()
  x = _frames(5, (2, 6, 8, 8, 3))
  weights = _frames(6, (2, 6))

  @nnx.jit
  def grads(m, v):
    return nnx.grad(lambda m: jnp.sum(m(v) * weights))(m)

  g = nnx.state(grads(model, x), nnx.Param)
  flat = jax.tree_util.tree_leaves_with_path(g)
  assert len(flat) == len(jax.tree.leaves(nnx.state(model, nnx.Param)))
  for path, leaf in flat:
    leaf = np.asarray(leaf)
    name = jax.tree_util.keystr(path)
    assert np.all(np.isfinite(leaf)), name
    assert np.any(leaf != 0), name


def test_bfloat16_compute_keeps_float32_params_and_output():
  model = r3d.tiny_r3d(dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
  params = nnx.state(model, nnx.Param)
  assert all(p.dtype == jnp.float32 for p in jax.tree.leaves(params))
  model.eval()
  y = _apply(model, _frames(0, (1, 4, 8, 8, 3)))
  assert y.shape == (1, 4) and y.dtype == jnp.float32
  assert np.all(np.isfinite(np.asarray(y)))


def test_invalid_arguments_raise():
  with pytest.raises(ValueError, match='widths'):
    r3d.R3D18(widths=(4, 8), blocks_per_stage=(1,), rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match='odd'):
    r3d.tiny_r3d(stem_kernel=(2, 7, 7), rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match='expected'):
    r3d.tiny_r3d(rngs=nnx.Rngs(0))(jnp.zeros((1, 4, 8, 8, 1)))


def test_create():
  cfg = ml_collections.ConfigDict(dict(
      name='r3d18', widths=(4, 8, 8, 8), blocks_per_stage=(1, 1, 1, 1),
      dtype='float32', bn_momentum=0.9))
  model = models.create(cfg, in_channels=3, rngs=nnx.Rngs(0))
  assert isinstance(model, r3d.R3D18)
  assert [b.conv2.kernel.shape[-1] for b in model.blocks] == [4, 8, 8, 8]
  assert model.stem_bn.momentum == 0.9
  # Same architecture as tiny_r3d: same parameter count.
  assert _num_params(model) == _num_params(r3d.tiny_r3d(rngs=nnx.Rngs(0)))
  model.eval()
  assert _apply(model, _frames(0, (1, 6, 16, 16, 3))).shape == (1, 6)

  # Only the name: the R3D-18 defaults (countix.py's config also carries
  # cnn3d's fields, which r3d18 ignores except conv_impl).
  full = nnx.eval_shape(lambda: models.create(
      ml_collections.ConfigDict(dict(name='r3d18', channels=(64, 128),
                                     kernel_size=(5, 3, 3))),
      in_channels=3, rngs=nnx.Rngs(0)))
  assert _num_params(full) == 33_166_785
  with pytest.raises(ValueError, match='r3d18'):
    models.create(ml_collections.ConfigDict(dict(name='nope')),
                  in_channels=3, rngs=nnx.Rngs(0))
