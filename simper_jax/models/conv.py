"""3-D convolution in several formulations that compute the same function.

XLA's native 3-D convolution is the right choice on GPU and TPU, but on CPU
it leaves much of the machine idle (README.md, "Performance"). The same
stride-1, 'SAME'-padded convolution can be written as:

- ``native``: ``lax.conv_general_dilated`` on ``NDHWC``.
- ``taps2d``: the ``kt`` temporal taps of each frame are stacked into the
  channel axis and one 2-D convolution runs over all frames (``kt`` times
  the input memory, one big 2-D convolution).
- ``im2col``: every ``kt*kh*kw`` tap is stacked into channels and the
  convolution becomes one matrix product.
- ``winograd`` (3x3 spatial kernels): Winograd's minimal filtering
  F(4x4, 3x3) in the two spatial axes (Lavin & Gray, "Fast algorithms for
  convolutional neural networks", CVPR 2016), with the temporal taps stacked
  into the contraction. 36 products per 4x4 output tile instead of 144: the
  matrix products do 4x fewer FLOPs (a little less where the frame is not a
  multiple of 4) at the cost of transforms and ~1e-5 relative error in
  float32. Other kernel sizes fall back to ``im2col``.

``auto`` picks per backend and layer at trace time: ``native`` on GPU and
TPU; on CPU ``winograd`` for 3x3 spatial kernels with at least 8 input
channels or at most 16 output channels, else ``im2col`` (see benchmarks/
and the README for the measurements behind this choice: XLA's CPU
kernel-gradient of a native convolution is slow, and so is materializing
large im2col buffers).
``tests/test_conv.py`` checks that all formulations give the same values
and gradients; ``benchmarks/conv.py`` measures them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array

IMPLS = ('auto', 'native', 'taps2d', 'im2col', 'winograd')


def resolve_impl(impl: str, kernel_shape: tuple[int, ...] | None = None
                 ) -> str:
  """The concrete formulation for ``impl`` on the default backend.

  Args:
    impl: one of ``IMPLS``.
    kernel_shape: ``[kt, kh, kw, C, O]`` when known, to choose per layer.
  """
  if impl not in IMPLS:
    raise ValueError(f'unknown conv impl {impl!r}; choose one of {IMPLS}.')
  if impl == 'auto':
    if jax.default_backend() != 'cpu':
      return 'native'
    # Winograd's transformed product is 2.25x the output; with one input
    # channel and a wide output that buffer costs more than it saves
    # (measured: 1->16 faster with Winograd, 1->64 slower; README).
    if kernel_shape is not None and _winograd_ok(kernel_shape) and (
        kernel_shape[3] >= 8 or kernel_shape[4] <= 16):
      return 'winograd'
    return 'im2col'
  if impl == 'winograd' and kernel_shape is not None and not _winograd_ok(
      kernel_shape):
    return 'im2col'
  return impl


def _winograd_ok(kernel_shape) -> bool:
  return tuple(kernel_shape[1:3]) == (3, 3)


# Winograd F(4, 3) for correlation, interpolation points 0, +-1, +-2, inf
# (Lavin & Gray 2016): y = A^T [(G g) * (B^T d)] for 6-sample input tiles d,
# 3-tap filters g and 4 outputs y.
_WINO_M = 4
_WINO_BT = np.array([[4, 0, -5, 0, 1, 0],
                     [0, -4, -4, 1, 1, 0],
                     [0, 4, -4, -1, 1, 0],
                     [0, -2, -1, 2, 1, 0],
                     [0, 2, -1, -2, 1, 0],
                     [0, 4, 0, -5, 0, 1]], np.float32)
_WINO_G = np.array([[1 / 4, 0, 0],
                    [-1 / 6, -1 / 6, -1 / 6],
                    [-1 / 6, 1 / 6, -1 / 6],
                    [1 / 24, 1 / 12, 1 / 6],
                    [1 / 24, -1 / 12, 1 / 6],
                    [0, 0, 1]], np.float32)
_WINO_AT = np.array([[1, 1, 1, 1, 1, 0],
                     [0, 1, -1, 2, -2, 0],
                     [0, 1, 1, 4, 4, 0],
                     [0, 1, -1, 8, -8, 1]], np.float32)


def _winograd(x: Array, kernel: Array, precision) -> Array:
  n, t, h, w, c = x.shape
  kt, _, _, _, o = kernel.shape
  m, a = _WINO_M, _WINO_BT.shape[0]
  th, tw = -(-h // m), -(-w // m)  # output tiles per axis
  # 'SAME' padding (1 before) plus enough after to fill the last tile.
  xp = jnp.pad(x, ((0, 0), _same_pad(kt), (1, th * m + 1 - h),
                   (1, tw * m + 1 - w), (0, 0)))
  # The a*a elements of every 6x6 input tile (tiles overlap by 2): strided
  # slices, no gathers. [a*a, n, T', th, tw, c].
  tiles = jnp.stack([
      xp[:, :, i:i + m * (th - 1) + 1:m, j:j + m * (tw - 1) + 1:m]
      for i in range(a) for j in range(a)])
  # Input transform B^T d B as one [a*a, a*a] matrix product over all tiles
  # (its gradient is ~1.4x faster in XLA:CPU than sparse slice sums).
  v = jnp.dot(np.kron(_WINO_BT, _WINO_BT), tiles.reshape(a * a, -1),
              precision=precision).reshape(tiles.shape)
  # Temporal taps into the contraction: [a*a, n*t*th*tw, kt*c]. Stacking on
  # a new axis then merging it with c is the same layout as a minor-axis
  # concatenate, and 2.3x faster in XLA:CPU (benchmarks/README.md).
  v = jnp.stack([v[:, :, i:i + t] for i in range(kt)], axis=-2)
  v = v.reshape(a * a, n * t * th * tw, kt * c)
  u = jnp.einsum('ak,bl,tklco->abtco', _WINO_G, _WINO_G, kernel,
                 precision=precision).reshape(a * a, kt * c, o)
  prod = jnp.einsum('frk,fko->fro', v, u, precision=precision)
  # Output transform A^T M A as one [m*m, a*a] matrix product over all
  # tiles (2.6x faster in XLA:CPU than two einsum contractions), then the
  # tiles are interleaved back into frames.
  y = jnp.dot(np.kron(_WINO_AT, _WINO_AT), prod.reshape(a * a, -1),
              precision=precision)
  y = y.reshape(m, m, n, t, th, tw, o).transpose(2, 3, 4, 0, 5, 1, 6)
  return y.reshape(n, t, th * m, tw * m, o)[:, :, :h, :w]


def _same_pad(k: int) -> tuple[int, int]:
  # Matches lax 'SAME' at stride 1: total k - 1, the extra one at the end.
  return ((k - 1) // 2, k // 2)


def conv3d(x: Array, kernel: Array, *, impl: str = 'auto',
           precision=None) -> Array:
  """Stride-1, 'SAME'-padded 3-D convolution (cross-correlation).

  Args:
    x: ``[N, T, H, W, C]`` input.
    kernel: ``[kt, kh, kw, C, O]`` weights.
    impl: ``auto``, ``native``, ``taps2d``, ``im2col`` or ``winograd``.
    precision: passed to the underlying XLA op.

  Returns:
    ``[N, T, H, W, O]``.
  """
  if x.ndim != 5 or kernel.ndim != 5 or x.shape[-1] != kernel.shape[3]:
    raise ValueError(f'conv3d: expected x [N, T, H, W, C] and kernel '
                     f'[kt, kh, kw, C, O], got {x.shape} and {kernel.shape}.')
  impl = resolve_impl(impl, kernel.shape)
  kt, kh, kw, c, o = kernel.shape
  n, t, h, w, _ = x.shape
  if (kt, kh, kw) == (1, 1, 1):  # Pointwise: every formulation is a matmul.
    return jnp.einsum('nthwc,co->nthwo', x, kernel[0, 0, 0],
                      precision=precision)
  if impl == 'native':
    return jax.lax.conv_general_dilated(
        x, kernel, (1, 1, 1), 'SAME', precision=precision,
        dimension_numbers=('NDHWC', 'DHWIO', 'NDHWC'))
  if impl == 'winograd':
    return _winograd(x, kernel, precision)
  if impl == 'taps2d':
    xp = jnp.pad(x, ((0, 0), _same_pad(kt), (0, 0), (0, 0), (0, 0)))
    taps = jnp.concatenate([xp[:, i:i + t] for i in range(kt)], axis=-1)
    taps = taps.reshape(n * t, h, w, kt * c)
    k2 = kernel.transpose(1, 2, 0, 3, 4).reshape(kh, kw, kt * c, o)
    y = jax.lax.conv_general_dilated(
        taps, k2, (1, 1), 'SAME', precision=precision,
        dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    return y.reshape(n, t, h, w, o)
  # im2col
  xp = jnp.pad(x, ((0, 0), _same_pad(kt), _same_pad(kh), _same_pad(kw),
                   (0, 0)))
  cols = jnp.concatenate(
      [xp[:, i:i + t, j:j + h, k:k + w]
       for i in range(kt) for j in range(kh) for k in range(kw)], axis=-1)
  y = jnp.dot(cols.reshape(-1, kt * kh * kw * c),
              kernel.reshape(kt * kh * kw * c, o), precision=precision)
  return y.reshape(n, t, h, w, o)
