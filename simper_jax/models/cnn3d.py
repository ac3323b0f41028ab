"""The reference SimPer encoder: a small 3-D CNN with one scalar per frame.

The paper's reference encoder: Conv3D (5,3,3) -> BatchNorm -> ReLU -> 2x2 spatial max
pool, repeated per width; then a 1x1x1 convolution to one channel,
BatchNorm, ReLU and a spatial mean, so the feature of a view is a 1-D series
``[T]`` whose spectrum can be read directly.

BatchNorm trains (``model.train()``) during pretraining. The original code
called its Keras featurizer without ``training=True``, so its BatchNorm never
updated; we do not copy that. Under ``jit`` over a data-sharded mesh the
batch statistics are those of the global batch.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax.models import conv as conv_lib

Array = jax.Array


class Conv3D(nnx.Module):
  """Stride-1 'SAME' 3-D convolution whose formulation is chosen per backend."""

  def __init__(self, in_features: int, out_features: int,
               kernel_size: Sequence[int], *, use_bias: bool = False,
               impl: str = 'auto', dtype=None, rngs: nnx.Rngs):
    conv_lib.resolve_impl(impl)  # Validate early.
    shape = (*kernel_size, in_features, out_features)
    init = jax.nn.initializers.lecun_normal()
    self.kernel = nnx.Param(init(rngs.params(), shape, jnp.float32))
    self.bias = (nnx.Param(jnp.zeros((out_features,), jnp.float32))
                 if use_bias else None)
    self.impl = impl
    self.dtype = dtype

  def __call__(self, x: Array) -> Array:
    dtype = self.dtype or x.dtype
    y = conv_lib.conv3d(x.astype(dtype), self.kernel[...].astype(dtype),
                        impl=self.impl)
    if self.bias is not None:
      y = y + self.bias[...].astype(dtype)
    return y


def max_pool_2x2(x: Array) -> Array:
  """2x2 spatial max pool of ``[N, T, H, W, C]`` (odd edges are dropped)."""
  n, t, h, w, c = x.shape
  x = x[:, :, :h // 2 * 2, :w // 2 * 2]
  return x.reshape(n, t, h // 2, 2, w // 2, 2, c).max(axis=(3, 5))


class CNN3D(nnx.Module):
  """3-D CNN encoder: ``[N, T, H, W, C]`` views -> ``[N, T]`` feature series.

  Args:
    in_channels: channels of the input frames.
    channels: width of each Conv3D-BN-ReLU-pool block (reference: (64, 128)).
    kernel_size: ``(kt, kh, kw)`` of the block convolutions.
    conv_impl: convolution formulation (see ``simper_jax.models.conv``).
    dtype: compute dtype (e.g. ``jnp.bfloat16`` on TPU/GPU); parameters and
      BatchNorm statistics stay float32.
    bn_momentum: BatchNorm running-average momentum.
    rngs: ``nnx.Rngs`` for initialization.
  """

  def __init__(self, *, in_channels: int = 1,
               channels: Sequence[int] = (64, 128),
               kernel_size: Sequence[int] = (5, 3, 3),
               conv_impl: str = 'auto', dtype=None, bn_momentum: float = 0.9,
               rngs: nnx.Rngs):
    if not channels or min(channels) < 1 or len(kernel_size) != 3:
      raise ValueError(f'CNN3D: need channels >= 1 and a 3-D kernel, got '
                       f'channels={channels}, kernel_size={kernel_size}.')
    widths = (in_channels, *channels)
    self.convs = nnx.List([
        Conv3D(cin, cout, kernel_size, impl=conv_impl, dtype=dtype, rngs=rngs)
        for cin, cout in zip(widths[:-1], widths[1:])])
    self.norms = nnx.List([
        nnx.BatchNorm(cout, momentum=bn_momentum, rngs=rngs)
        for cout in channels])
    self.head = Conv3D(channels[-1], 1, (1, 1, 1), impl=conv_impl,
                       dtype=dtype, rngs=rngs)
    self.head_norm = nnx.BatchNorm(1, momentum=bn_momentum, rngs=rngs)
    self.in_channels = in_channels

  def __call__(self, x: Array) -> Array:
    if x.ndim != 5 or x.shape[-1] != self.in_channels:
      raise ValueError(f'CNN3D: expected [N, T, H, W, {self.in_channels}] '
                       f'views, got {x.shape}.')
    for conv, norm in zip(self.convs, self.norms):
      x = max_pool_2x2(jax.nn.relu(norm(conv(x)).astype(x.dtype)))
    x = jax.nn.relu(self.head_norm(self.head(x)))
    return jnp.mean(x[..., 0].astype(jnp.float32), axis=(2, 3))


def tiny_cnn3d(*, in_channels: int = 1, conv_impl: str = 'auto',
               rngs: nnx.Rngs) -> CNN3D:
  """A 4/8-channel variant for tests."""
  return CNN3D(in_channels=in_channels, channels=(4, 8), conv_impl=conv_impl,
               rngs=rngs)
