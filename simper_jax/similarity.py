"""Similarity measures between 1-D feature series (SimPer, Sec. 3).

Every function takes two batches of series, ``a`` ``[M, T]`` and ``b``
``[N, T]``, and returns the ``[M, N]`` matrix of pairwise similarities. All
are pure JAX: they run under ``jit``, ``vmap`` and ``grad``.

Low-precision inputs (bf16, f16) are computed in float32 (FFTs do not exist
in bf16) and the result is returned in float32; float64 inputs stay float64.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from tfds_builders import signals

Array = jax.Array


def _check_pair(name: str, a: Array, b: Array) -> None:
  if a.ndim != 2 or b.ndim != 2:
    raise ValueError(
        f'{name}: expected a [M, T] and b [N, T], got shapes {a.shape} and '
        f'{b.shape}.')
  if a.shape[1] != b.shape[1]:
    raise ValueError(
        f'{name}: series lengths differ: a {a.shape} vs b {b.shape} '
        '(second axis is time and must match).')
  if a.shape[1] < 1:
    raise ValueError(f'{name}: series must have at least one sample, got '
                     f'shapes {a.shape} and {b.shape}.')


def _compute_dtype(*xs: Array):
  return jnp.promote_types(jnp.result_type(*xs), jnp.float32)


def _safe_divide(num: Array, den: Array) -> Array:
  """num / den where den > 0, else 0; gradients stay finite (double where)."""
  ok = den > 0
  return jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)


def _safe_norm(x: Array, axis: int = -1) -> Array:
  sq = jnp.sum(x * x, axis=axis)
  ok = sq > 0
  return jnp.where(ok, jnp.sqrt(jnp.where(ok, sq, 1.0)), 0.0)


def _unit_rows(x: Array) -> Array:
  """Rows of ``[K, D]`` scaled to unit L2 norm; all-zero rows stay zero."""
  norm = _safe_norm(x)
  return x / jnp.where(norm > 0, norm, 1.0)[:, None]


def max_cross_correlation(a: Array, b: Array) -> Array:
  """Maximum normalized cross-correlation over all lags (MXCorr).

  For every pair ``(a_i, b_j)`` both series are mean-removed; for each lag
  ``l`` in ``[-(T-1), T-1]`` the products over the overlapping samples are
  summed, ``c_l = sum_t a_i[t + l] b_j[t]``; the result is
  ``max_l c_l / (T * std(a_i) * std(b_j))`` with population standard
  deviations. A non-constant series against itself scores 1 (up to float
  rounding; the value is clipped to ``[-1, 1]``, which Cauchy-Schwarz
  guarantees in exact arithmetic); a pair involving a constant series scores
  0.

  Deviation from the original SimPer code: it divides by ``T - 1`` while
  using population standard deviations, so a series scores ``T / (T - 1)``
  against itself. We normalize so that it scores exactly 1.

  The correlations are computed with FFTs zero-padded to at least ``2T - 1``
  samples, so no lag wraps around; padding-only entries are masked out.

  Args:
    a: ``[M, T]`` series.
    b: ``[N, T]`` series.

  Returns:
    ``[M, N]`` similarities in ``[-1, 1]``.
  """
  _check_pair('max_cross_correlation', a, b)
  dtype = _compute_dtype(a, b)
  a = a.astype(dtype)
  b = b.astype(dtype)
  t = a.shape[1]
  a = a - a.mean(axis=1, keepdims=True)
  b = b - b.mean(axis=1, keepdims=True)
  n_fft = int(2 ** np.ceil(np.log2(max(2 * t - 1, 1))))
  fa = jnp.fft.rfft(a, n=n_fft, axis=1)  # [M, F]
  fb = jnp.fft.rfft(b, n=n_fft, axis=1)  # [N, F]
  # corr[i, j, l] = sum_t a_i[t + l] b_j[t]; index l mod n_fft.
  corr = jnp.fft.irfft(fa[:, None, :] * jnp.conj(fb)[None, :, :], n=n_fft,
                       axis=2)
  # Static mask of real lags (NumPy, so it is a constant under jit).
  lag_ok = np.zeros(n_fft, dtype=bool)
  lag_ok[:t] = True  # lags 0 .. T-1
  if t > 1:
    lag_ok[n_fft - (t - 1):] = True  # lags -(T-1) .. -1
  corr = jnp.where(lag_ok, corr, -jnp.inf)
  best = jnp.max(corr, axis=2)
  # T * std_a * std_b == |a| |b| for mean-removed series (safe at 0).
  den = _safe_norm(a)[:, None] * _safe_norm(b)[None, :]
  return jnp.clip(_safe_divide(best, den), -1.0, 1.0)


def band_mask(num_samples: int, fps: float, band: tuple[float, float]
              ) -> np.ndarray:
  """Static boolean mask of the ``rfft`` bins whose frequency is in ``band``.

  Bin ``k`` of a ``num_samples``-long real FFT has frequency
  ``k * fps / num_samples`` Hz; bins with ``band[0] <= f <= band[1]`` are
  kept.

  Raises:
    ValueError: if the band is malformed or contains no bin.
  """
  fps = signals.check_fps(fps, 'band_mask')
  lo, hi = signals.check_band(band, 'band_mask')
  freqs = np.arange(num_samples // 2 + 1) * float(fps) / num_samples
  mask = (freqs >= lo) & (freqs <= hi)
  if not mask.any():
    raise ValueError(
        f'band {band} Hz contains no frequency bin for {num_samples} samples '
        f'at {fps} fps (bin spacing {fps / num_samples:.4g} Hz, Nyquist '
        f'{fps / 2:.4g} Hz); widen the band or use longer series.')
  return mask


def power_spectrum(x: Array, *, fps: float, band: tuple[float, float]
                   ) -> Array:
  """Power ``|rfft(x - mean)|^2`` restricted to the bins in ``band`` (Hz).

  Args:
    x: ``[..., T]`` series.
    fps: sampling rate in Hz (static).
    band: ``(low, high)`` in Hz, inclusive (static).

  Returns:
    ``[..., K]`` powers of the ``K`` bins inside the band.
  """
  mask = band_mask(x.shape[-1], fps, band)
  x = x.astype(_compute_dtype(x))
  x = x - x.mean(axis=-1, keepdims=True)
  spec = jnp.fft.rfft(x, axis=-1)
  power = spec.real ** 2 + spec.imag ** 2
  return power[..., np.flatnonzero(mask)]


def normalized_psd(a: Array, b: Array, *, fps: float,
                   band: tuple[float, float]) -> Array:
  """Cosine similarity of band-limited power spectra (nPSD).

  Each series is mean-removed; its power ``|rfft|^2`` at the ``T//2 + 1``
  bin frequencies ``k * fps / T`` is restricted to ``band[0] <= f <=
  band[1]`` and L2-normalized (an all-zero spectrum stays zero); the result
  is the matrix of dot products.

  Deviation from the original SimPer code: its batched wrapper never passed
  ``fps`` and named the band edges the wrong way round; here both are
  explicit, static arguments.

  Args:
    a: ``[M, T]`` series.
    b: ``[N, T]`` series.
    fps: sampling rate in Hz (static Python number).
    band: ``(low, high)`` in Hz (static Python numbers).

  Returns:
    ``[M, N]`` similarities in ``[0, 1]``.
  """
  _check_pair('normalized_psd', a, b)
  pa = power_spectrum(a, fps=fps, band=band)
  pb = power_spectrum(b, fps=fps, band=band)
  return _unit_rows(pa) @ _unit_rows(pb).T


def cosine(a: Array, b: Array) -> Array:
  """Cosine similarity ``<a_i, b_j> / (|a_i| |b_j|)``; zero vectors score 0.

  Args:
    a: ``[M, T]``.
    b: ``[N, T]``.

  Returns:
    ``[M, N]`` similarities in ``[-1, 1]``.
  """
  _check_pair('cosine', a, b)
  dtype = _compute_dtype(a, b)
  a = a.astype(dtype)
  b = b.astype(dtype)
  na = _safe_norm(a)
  nb = _safe_norm(b)
  return _safe_divide(a @ b.T, na[:, None] * nb[None, :])


def negative_l2(a: Array, b: Array) -> Array:
  """Negative Euclidean distance ``-|a_i - b_j|_2``.

  Args:
    a: ``[M, T]``.
    b: ``[N, T]``.

  Returns:
    ``[M, N]`` similarities ``<= 0`` (0 for identical series).
  """
  _check_pair('negative_l2', a, b)
  dtype = _compute_dtype(a, b)
  diff = a.astype(dtype)[:, None, :] - b.astype(dtype)[None, :, :]
  return -_safe_norm(diff, axis=-1)


SimilarityFn = Callable[[Array, Array], Array]

NAMES = ('mxcorr', 'npsd', 'cosine', 'l2')


def get(name: str, *, fps: float | None = None,
        band: tuple[float, float] | None = None) -> SimilarityFn:
  """Returns the similarity ``fn(a [M, T], b [N, T]) -> [M, N]`` named ``name``.

  Args:
    name: one of ``mxcorr``, ``npsd``, ``cosine``, ``l2``.
    fps: frame rate in Hz, required for ``npsd``.
    band: frequency band in Hz, required for ``npsd``.
  """
  if name == 'mxcorr':
    return max_cross_correlation
  if name == 'npsd':
    if fps is None or band is None:
      raise ValueError('similarity "npsd" needs fps and band (Hz).')
    return lambda a, b: normalized_psd(a, b, fps=fps, band=tuple(band))
  if name == 'cosine':
    return cosine
  if name == 'l2':
    return negative_l2
  raise ValueError(f'unknown similarity {name!r}; choose one of {NAMES}.')
