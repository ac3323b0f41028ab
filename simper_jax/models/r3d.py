"""R3D-18: a 3-D ResNet-18 encoder with one scalar per frame.

Tran, Wang, Torresani, Ray, LeCun and Paluri, "A Closer Look at
Spatiotemporal Convolutions for Action Recognition", CVPR 2018 (the "R3D"
network; torchvision's ``r3d_18`` is the usual reference). Written from the
paper and torchvision's public description; no code is copied.

``[N, T, H, W, C]`` views -> ``[N, T]`` per-frame feature series, like
:class:`simper_jax.models.cnn3d.CNN3D`:

* **Stem**: Conv3D ``stem_kernel`` (default 3x7x7), 64 channels, stride
  ``(1, 2, 2)``, zero padding ``k // 2`` on each side, no bias -> BatchNorm
  -> ReLU (no max pool, as in torchvision's R3D stem).
* **Four stages** of ``blocks_per_stage`` (default 2) BasicBlocks of widths
  ``widths`` (default 64/128/256/512): ``conv3x3x3 -> BN -> ReLU ->
  conv3x3x3 -> BN``, plus the shortcut, then ReLU. The first block of stages
  2-4 has spatial stride 2 in its first convolution; the shortcut is the
  identity where shape and width are unchanged, else a 1x1x1 convolution with
  the same stride followed by BatchNorm (torchvision's "type B" shortcut).
* **Head**: a spatial global average pool -> ``[N, T, widths[-1]]`` and a
  per-frame linear layer (with bias) to one value -> ``[N, T]``.

Deviations from torchvision's ``r3d_18``, both to emit one value per frame:

1. **No temporal striding anywhere.** torchvision strides time by 2 at
   stages 2-4 (``T -> T / 8``); here all strides are ``(1, 2, 2)``, so the
   temporal resolution of the input is kept. The parameters are the same;
   the compute grows (stages 2, 3, 4 see 2x, 4x, 8x more frames).
2. **Per-frame head instead of a clip classifier.** torchvision pools over
   ``T, H, W`` and applies a 400-way ``fc``; here only ``H, W`` are pooled and
   a ``widths[-1] -> 1`` linear map is applied per frame. The head is plain
   linear (no BatchNorm + ReLU as in ``cnn3d``'s last layer): SimPer's
   similarities and the FFT read-out only need a series; a final ReLU would
   rectify it (adding harmonics to a periodic signal) and can leave the
   series identically zero (a dead unit gives no gradient); BatchNorm of one
   channel would only rescale it. As the pool and the head are linear their
   order does not matter; pooling first is cheaper. Pool and head run in
   float32 whatever ``dtype`` is.

Parameters with the default config: 33,166,272 in the backbone (exactly
torchvision ``r3d_18``'s 33,371,472 minus its ``fc`` of 512 * 400 + 400) plus
513 in the head = 33,166,785 (``tests/test_r3d.py`` writes the arithmetic out).

Initialization follows torchvision: He-normal (fan-out) convolution kernels,
BatchNorm scale 1 and bias 0; the head uses Flax's default LeCun-normal
kernel (a scalar regression output rather than 400 logits) and zero bias.

**Temporal receptive field.** With running statistics (``model.eval()``)
BatchNorm is a per-channel affine map and ReLU, pooling and the head act
within one frame, so output frame ``t`` depends only on input frames
``t - r .. t + r`` with ``r = (stem_kernel[0] - 1) // 2 + 2 *
sum(blocks_per_stage)`` (each 3x3x3 convolution adds 1, the 1x1x1
projections 0): ``r = 17`` for the default R3D-18. In ``model.train()`` mode
BatchNorm uses the statistics of the whole batch, which couples all frames.
Under ``jit`` over a data-sharded mesh those are the global batch's.

Stride-1 3x3x3 convolutions go through :func:`simper_jax.models.conv.conv3d`
(``conv_impl``; ``auto`` is XLA's native convolution on GPU/TPU and a faster
formulation on CPU); strided and stem convolutions use
``lax.conv_general_dilated`` with explicit symmetric padding (as torchvision;
XLA's 'SAME' would pad unevenly at stride 2); 1x1x1 projections subsample
then take a matrix product.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax.models import conv as conv_lib

Array = jax.Array

DEFAULT_WIDTHS = (64, 128, 256, 512)
DEFAULT_BLOCKS = (2, 2, 2, 2)

# torchvision's kaiming_normal_(mode='fan_out', nonlinearity='relu').
_he_fan_out = jax.nn.initializers.variance_scaling(
    2.0, 'fan_out', 'normal')  # untruncated


class Conv3D(nnx.Module):
  """Bias-free 3-D convolution, stride ``(1, s, s)``, padding ``k // 2``.

  Kernels must have odd sizes, so the output has ``T`` frames and
  ``ceil(H / s) x ceil(W / s)`` pixels.
  """

  def __init__(self, in_features: int, out_features: int,
               kernel_size: Sequence[int], *, stride: int = 1,
               impl: str = 'auto', dtype=None, rngs: nnx.Rngs):
    kernel_size = tuple(kernel_size)
    if len(kernel_size) != 3 or any(k < 1 or k % 2 == 0 for k in kernel_size):
      raise ValueError(f'R3D: kernel sizes must be 3 odd numbers, got '
                       f'{kernel_size}.')
    conv_lib.resolve_impl(impl)  # Validate early.
    shape = (*kernel_size, in_features, out_features)
    self.kernel = nnx.Param(_he_fan_out(rngs.params(), shape, jnp.float32))
    self.stride = stride
    self.impl = impl
    self.dtype = dtype

  def __call__(self, x: Array) -> Array:
    dtype = self.dtype or x.dtype
    x = x.astype(dtype)
    kernel = self.kernel[...].astype(dtype)
    kt, kh, kw = kernel.shape[:3]
    s = self.stride
    if s == 1:
      # 'SAME' at stride 1 with odd kernels is the symmetric k // 2 padding.
      return conv_lib.conv3d(x, kernel, impl=self.impl)
    if (kt, kh, kw) == (1, 1, 1):
      return jnp.einsum('nthwc,co->nthwo', x[:, :, ::s, ::s],
                        kernel[0, 0, 0])
    return jax.lax.conv_general_dilated(
        x, kernel, (1, s, s), [(k // 2, k // 2) for k in (kt, kh, kw)],
        dimension_numbers=('NDHWC', 'DHWIO', 'NDHWC'))


class BasicBlock(nnx.Module):
  """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.

  ``conv1`` is 3x3x3 with stride ``(1, stride, stride)``, ``conv2`` 3x3x3
  with stride 1. ``shortcut`` is the identity when ``stride == 1`` and
  ``in_features == out_features``, else ``bn(conv1x1x1(x))`` with the same
  stride.
  """

  def __init__(self, in_features: int, out_features: int, *,
               stride: int = 1, conv_impl: str = 'auto', dtype=None,
               bn_momentum: float = 0.9, rngs: nnx.Rngs):
    def conv(cin, k, s):
      return Conv3D(cin, out_features, (k, k, k), stride=s, impl=conv_impl,
                    dtype=dtype, rngs=rngs)

    def norm():
      return nnx.BatchNorm(out_features, momentum=bn_momentum, dtype=dtype,
                           rngs=rngs)

    self.conv1, self.bn1 = conv(in_features, 3, stride), norm()
    self.conv2, self.bn2 = conv(out_features, 3, 1), norm()
    if stride != 1 or in_features != out_features:
      self.proj, self.proj_bn = conv(in_features, 1, stride), norm()
    else:
      self.proj, self.proj_bn = None, None

  def __call__(self, x: Array) -> Array:
    y = jax.nn.relu(self.bn1(self.conv1(x)))
    y = self.bn2(self.conv2(y))
    shortcut = x if self.proj is None else self.proj_bn(self.proj(x))
    return jax.nn.relu(y + shortcut.astype(y.dtype))


class R3D18(nnx.Module):
  """3-D ResNet encoder: ``[N, T, H, W, C]`` views -> ``[N, T]`` series.

  Args:
    in_channels: channels of the input frames.
    widths: widths of the four (or any number of) stages; the stem has
      ``widths[0]`` channels (R3D-18: (64, 128, 256, 512)).
    blocks_per_stage: BasicBlocks per stage (R3D-18: (2, 2, 2, 2)).
    stem_kernel: ``(kt, kh, kw)`` of the stem convolution, odd sizes
      (R3D-18: (3, 7, 7)).
    conv_impl: formulation of the stride-1 convolutions (see
      ``simper_jax.models.conv``).
    dtype: compute dtype (e.g. ``jnp.bfloat16`` on TPU/GPU); parameters and
      BatchNorm statistics stay float32, the output is float32.
    bn_momentum: BatchNorm running-average momentum (Flax convention: 0.9
      here is PyTorch's 0.1).
    rngs: ``nnx.Rngs`` for initialization.
  """

  def __init__(self, *, in_channels: int = 3,
               widths: Sequence[int] = DEFAULT_WIDTHS,
               blocks_per_stage: Sequence[int] = DEFAULT_BLOCKS,
               stem_kernel: Sequence[int] = (3, 7, 7),
               conv_impl: str = 'auto', dtype=None, bn_momentum: float = 0.9,
               rngs: nnx.Rngs):
    widths, blocks_per_stage = tuple(widths), tuple(blocks_per_stage)
    if (not widths or len(widths) != len(blocks_per_stage)
        or min(widths) < 1 or min(blocks_per_stage) < 1 or in_channels < 1):
      raise ValueError(
          f'R3D: need as many widths as blocks_per_stage, all >= 1, got '
          f'widths={widths}, blocks_per_stage={blocks_per_stage}, '
          f'in_channels={in_channels}.')
    self.stem = Conv3D(in_channels, widths[0], stem_kernel, stride=2,
                       impl=conv_impl, dtype=dtype, rngs=rngs)
    self.stem_bn = nnx.BatchNorm(widths[0], momentum=bn_momentum,
                                 dtype=dtype, rngs=rngs)
    blocks = []
    cin = widths[0]
    for stage, (width, num) in enumerate(zip(widths, blocks_per_stage)):
      for i in range(num):
        stride = 2 if stage > 0 and i == 0 else 1
        blocks.append(BasicBlock(cin, width, stride=stride,
                                 conv_impl=conv_impl, dtype=dtype,
                                 bn_momentum=bn_momentum, rngs=rngs))
        cin = width
    self.blocks = nnx.List(blocks)
    self.head = nnx.Linear(widths[-1], 1, rngs=rngs)
    self.in_channels = in_channels
    self.receptive_field = (tuple(stem_kernel)[0] - 1) // 2 + 2 * sum(
        blocks_per_stage)

  def __call__(self, x: Array) -> Array:
    if x.ndim != 5 or x.shape[-1] != self.in_channels:
      raise ValueError(f'R3D: expected [N, T, H, W, {self.in_channels}] '
                       f'views, got {x.shape}.')
    x = jax.nn.relu(self.stem_bn(self.stem(x)))
    for block in self.blocks:
      x = block(x)
    x = jnp.mean(x.astype(jnp.float32), axis=(2, 3))  # [N, T, widths[-1]]
    return self.head(x)[..., 0]


def tiny_r3d(*, in_channels: int = 3, conv_impl: str = 'auto', dtype=None,
             rngs: nnx.Rngs, **kwargs) -> R3D18:
  """A 4/8/8/8-wide, one-block-per-stage variant for tests."""
  kwargs.setdefault('widths', (4, 8, 8, 8))
  kwargs.setdefault('blocks_per_stage', (1, 1, 1, 1))
  return R3D18(in_channels=in_channels, conv_impl=conv_impl, dtype=dtype,
               rngs=rngs, **kwargs)
