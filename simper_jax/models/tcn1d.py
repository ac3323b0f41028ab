"""A 1-D temporal CNN for sensor series: one value per sample.

Series datasets (``time_series``) store a window as a clip ``[T, 1, 1, C]``
(a 1x1 "image" per sample) so that the video pipeline applies unchanged.
This encoder takes the clips ``[N, T, H, W, C]``, averages over ``H, W``
(the identity for 1x1 images) and then works on ``[N, T, C]``:

    standardize each example per channel over time
    -> [dilated Conv1D (kernel k, 'SAME') -> BatchNorm -> ReLU] per dilation
    -> 1x1 Conv1D to one channel  ->  [N, T]

It keeps the time axis (no striding, no pooling), so the feature of a view
is a series as long as the view, like the other encoders. With the default
kernel 5 and dilations (1, 2, 4, 8) each output sample sees
``1 + 4 * (1 + 2 + 4 + 8) = 61`` input samples (30 on either side).

BatchNorm trains (``model.train()``) during pretraining; parameters and
BatchNorm statistics stay float32 whatever the compute dtype.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
from flax import nnx

Array = jax.Array

# Added to the variance before dividing: 0/0 guard for an exactly constant
# channel (it becomes zeros), far below any real signal's variance.
_EPS = 1e-12


def standardize(x: Array) -> Array:
  """``[N, T, C]`` -> zero mean, unit variance per example and channel.

  Why here and not in the data: a recording's offset (gravity on an
  accelerometer axis, a PPG's DC level), its slow drift and its gain differ
  between files, sensors and even between windows of one file, and none of
  them says anything about a periodic target. Standardizing each window
  makes the features independent of them (and of the views' amplitude
  augmentation); without it BatchNorm's batch statistics would be
  dominated by the offsets of whichever files share a batch.
  """
  x = x.astype(jnp.float32)
  centred = x - jnp.mean(x, axis=1, keepdims=True)
  var = jnp.mean(jnp.square(centred), axis=1, keepdims=True)
  return centred * jax.lax.rsqrt(var + _EPS)


def _widths(channels: int | Sequence[int], n: int) -> tuple[int, ...]:
  if isinstance(channels, int):
    return (channels,) * n
  channels = tuple(int(c) for c in channels)
  if len(channels) == 1:
    return channels * n
  if len(channels) != n:
    raise ValueError(f'TCN1D: channels {channels} must be one width or one '
                     f'per dilation ({n}).')
  return channels


class TCN1D(nnx.Module):
  """Temporal CNN: ``[N, T, H, W, C]`` clips -> ``[N, T]`` feature series.

  Args:
    in_channels: channels of the series (``C``).
    channels: width of each dilated block: one int for all, or one per
      dilation.
    kernel_size: odd kernel length of the dilated convolutions.
    dilations: one block per dilation.
    dtype: compute dtype (e.g. ``jnp.bfloat16`` on TPU/GPU); parameters,
      BatchNorm statistics, the standardization and the output stay
      float32.
    bn_momentum: BatchNorm running-average momentum.
    rngs: ``nnx.Rngs`` for initialization.
  """

  def __init__(self, *, in_channels: int = 1,
               channels: int | Sequence[int] = 32, kernel_size: int = 5,
               dilations: Sequence[int] = (1, 2, 4, 8), dtype=None,
               bn_momentum: float = 0.9, rngs: nnx.Rngs):
    dilations = tuple(int(d) for d in dilations)
    if (not dilations or min(dilations) < 1 or kernel_size < 1
        or kernel_size % 2 == 0 or in_channels < 1):
      raise ValueError(f'TCN1D: need an odd kernel_size, dilations >= 1 and '
                       f'in_channels >= 1, got kernel_size={kernel_size}, '
                       f'dilations={dilations}, in_channels={in_channels}.')
    widths = _widths(channels, len(dilations))
    if min(widths) < 1:
      raise ValueError(f'TCN1D: channels must be >= 1, got {widths}.')
    ins = (in_channels, *widths[:-1])
    self.convs = nnx.List([
        nnx.Conv(cin, cout, kernel_size=(kernel_size,), kernel_dilation=(d,),
                 padding='SAME', use_bias=False, dtype=dtype, rngs=rngs)
        for cin, cout, d in zip(ins, widths, dilations)])
    self.norms = nnx.List([
        nnx.BatchNorm(cout, momentum=bn_momentum, rngs=rngs)
        for cout in widths])
    self.head = nnx.Conv(widths[-1], 1, kernel_size=(1,), dtype=dtype,
                         rngs=rngs)
    self.in_channels = in_channels
    self.kernel_size = kernel_size
    self.dilations = dilations
    self.dtype = dtype

  @property
  def receptive_field(self) -> int:
    """Input samples each output sample depends on (centred on it)."""
    return 1 + (self.kernel_size - 1) * sum(self.dilations)

  def temporal(self, x: Array) -> Array:
    """The convolution stack on ``[N, T, C]`` (already standardized)."""
    dtype = self.dtype or jnp.float32
    h = x
    for conv, norm in zip(self.convs, self.norms):
      h = conv(h.astype(dtype))
      h = jax.nn.relu(norm(h.astype(jnp.float32)))
    return self.head(h.astype(dtype))[..., 0].astype(jnp.float32)

  def __call__(self, x: Array) -> Array:
    if x.ndim != 5 or x.shape[-1] != self.in_channels:
      raise ValueError(f'TCN1D: expected [N, T, H, W, {self.in_channels}] '
                       f'clips (series are [N, T, 1, 1, C]), got {x.shape}.')
    return self.temporal(standardize(jnp.mean(x.astype(jnp.float32),
                                              axis=(2, 3))))


def from_config(cfg, in_channels: int, dtype, rngs: nnx.Rngs) -> TCN1D:
  """``models.MODELS['tcn1d']``: fields absent from ``cfg`` take the
  defaults (32 channels per block, kernel 5, dilations 1, 2, 4, 8)."""
  kernel = cfg.get('kernel_size', 5)
  if not isinstance(kernel, int):
    kernel = tuple(kernel)
    if len(kernel) != 1:
      raise ValueError(f'model.kernel_size={kernel!r}: tcn1d takes one '
                       'odd integer (a 1-D kernel), e.g. 5.')
    kernel = int(kernel[0])
  channels = cfg.get('channels', 32)
  return TCN1D(in_channels=in_channels,
               channels=channels if isinstance(channels, int)
               else tuple(channels),
               kernel_size=kernel,
               dilations=tuple(cfg.get('dilations', (1, 2, 4, 8))),
               dtype=dtype, bn_momentum=cfg.get('bn_momentum', 0.9),
               rngs=rngs)


def tiny_tcn1d(*, in_channels: int = 1, rngs: nnx.Rngs) -> TCN1D:
  """A 4-channel, kernel-3, dilations (1, 2) variant for tests (receptive
  field 7)."""
  return TCN1D(in_channels=in_channels, channels=4, kernel_size=3,
               dilations=(1, 2), rngs=rngs)
