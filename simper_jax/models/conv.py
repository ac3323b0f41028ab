"""3-D convolution in several formulations that compute the same function.

XLA's native 3-D convolution is the right choice on GPU and TPU, but on CPU
it leaves much of the machine idle (SPEC.md, "CPU speed"). The same
stride-1, 'SAME'-padded convolution can be written as:

- ``native``: ``lax.conv_general_dilated`` on ``NDHWC``.
- ``taps2d``: the ``kt`` temporal taps of each frame are stacked into the
  channel axis and one 2-D convolution runs over all frames (``kt`` times
  the input memory, one big 2-D convolution).
- ``im2col``: every ``kt*kh*kw`` tap is stacked into channels and the
  convolution becomes one matrix product.

``auto`` picks per backend at trace time: ``im2col`` on CPU, ``native``
elsewhere. On the 2-core development CPU, a full SimPer forward+backward at
the small benchmark shape took 1.12 s with ``im2col``, 1.71 s with
``taps2d`` and 2.18 s with ``native`` (``taps2d`` has the fastest forward,
but XLA's CPU kernel-gradient of a 2-D convolution is slow). ``tests/test_conv.py`` checks that all formulations give the same
values and gradients; ``benchmarks/conv.py`` measures them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array

IMPLS = ('auto', 'native', 'taps2d', 'im2col')


def resolve_impl(impl: str) -> str:
  """The concrete formulation for ``impl`` on the default backend."""
  if impl not in IMPLS:
    raise ValueError(f'unknown conv impl {impl!r}; choose one of {IMPLS}.')
  if impl == 'auto':
    return 'im2col' if jax.default_backend() == 'cpu' else 'native'
  return impl


def _same_pad(k: int) -> tuple[int, int]:
  # Matches lax 'SAME' at stride 1: total k - 1, the extra one at the end.
  return ((k - 1) // 2, k // 2)


def conv3d(x: Array, kernel: Array, *, impl: str = 'auto',
           precision=None) -> Array:
  """Stride-1, 'SAME'-padded 3-D convolution (cross-correlation).

  Args:
    x: ``[N, T, H, W, C]`` input.
    kernel: ``[kt, kh, kw, C, O]`` weights.
    impl: ``auto``, ``native``, ``taps2d`` or ``im2col``.
    precision: passed to the underlying XLA op.

  Returns:
    ``[N, T, H, W, O]``.
  """
  if x.ndim != 5 or kernel.ndim != 5 or x.shape[-1] != kernel.shape[3]:
    raise ValueError(f'conv3d: expected x [N, T, H, W, C] and kernel '
                     f'[kt, kh, kw, C, O], got {x.shape} and {kernel.shape}.')
  impl = resolve_impl(impl)
  kt, kh, kw, c, o = kernel.shape
  n, t, h, w, _ = x.shape
  if (kt, kh, kw) == (1, 1, 1):  # Pointwise: every formulation is a matmul.
    return jnp.einsum('nthwc,co->nthwo', x, kernel[0, 0, 0],
                      precision=precision)
  if impl == 'native':
    return jax.lax.conv_general_dilated(
        x, kernel, (1, 1, 1), 'SAME', precision=precision,
        dimension_numbers=('NDHWC', 'DHWIO', 'NDHWC'))
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
