"""Power spectra of feature series in NumPy: the one in-band helper.

Every host-side reader of a feature's spectrum (the FFT readout, the
probe's spectral input, the figures, the studies' embeddings) goes through
:func:`power_spectrum` and :func:`band_spectrum`. (Inside the compiled
step, ``simper_jax.similarity.power_spectrum`` is its JAX counterpart.)
Float64 on the host: the readouts must not depend on accelerator
precision.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tfds_builders import signals

WINDOWS = ('hann', 'rect')


def band_mask(freqs: np.ndarray, band: tuple[float, float], num_samples: int,
               fps: float) -> np.ndarray:
  """Bins with ``band[0] <= f <= band[1]`` (inclusive, as in similarity)."""
  mask = (freqs >= band[0]) & (freqs <= band[1])
  if not mask.any():
    raise ValueError(
        f'band {band} Hz contains no frequency bin for {num_samples} FFT '
        f'points at {fps} fps (bin spacing {fps / num_samples:.4g} Hz, '
        f'Nyquist {fps / 2:.4g} Hz).')
  return mask


def power_spectrum(series, fps: float, *, window: str = 'hann',
                   n_fft: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
  """One-sided power spectrum ``|rfft(w * (z - mean z), n_fft)|^2``.

  Each series has its mean removed (so the DC bin carries no offset), is
  multiplied by the window and zero-padded to ``n_fft`` points. Constant
  series give an all-zero spectrum exactly (their residual after mean
  removal, pure rounding error, is zeroed).

  The default periodic Hann window ``0.5 - 0.5 cos(2 pi n / L)`` trades a
  main lobe twice as wide for sidelobes that fall as ``1/f^3`` (rectangular:
  ``1/f``, first sidelobe only 13 dB down). With a few cycles per clip most
  frequencies fall between bins, and without a window the leakage of the
  strongest component would lift every other bin, bias unit-sum spectra
  towards the band centre and make the main lobe poorly described by a
  parabola; with Hann the log main lobe is nearly parabolic. ``'rect'``
  reproduces ``simper_jax.similarity.power_spectrum`` (no window).

  Args:
    series: ``[N, L]`` finite real series, ``L >= 2`` (non-finite values
      raise ValueError: a diverged encoder should be noticed, not read).
    fps: sampling rate in Hz.
    window: ``'hann'`` (default) or ``'rect'``.
    n_fft: FFT length ``>= L`` (zero-padding interpolates the spectrum on a
      finer grid); default ``L``.

  Returns:
    ``(freqs, power)``: ``freqs`` ``[F]`` in Hz, ``k * fps / n_fft`` for
    ``k = 0 .. n_fft // 2``, and ``power`` ``[N, F]`` (arbitrary units).
  """
  x = signals.as_series(series, 'power_spectrum')
  fps = signals.check_fps(fps, 'power_spectrum')
  length = x.shape[1]
  n_fft = length if n_fft is None else int(n_fft)
  if n_fft < length:
    raise ValueError(f'power_spectrum: n_fft={n_fft} is shorter than the '
                     f'series, shape {x.shape}.')
  if window not in WINDOWS:
    raise ValueError(f'power_spectrum: window must be one of {WINDOWS}, got '
                     f'{window!r}.')
  centred = x - x.mean(axis=1, keepdims=True)
  # x - mean(x) of a constant row can be a tiny nonzero constant (rounding
  # in the mean); zero it so a flat series has exactly zero power.
  centred[np.ptp(x, axis=1) == 0] = 0.0
  if window == 'hann':
    n = np.arange(length)
    centred = centred * (0.5 - 0.5 * np.cos(2 * np.pi * n / length))
  spec = np.fft.rfft(centred, n=n_fft, axis=1)
  power = spec.real ** 2 + spec.imag ** 2
  freqs = np.arange(n_fft // 2 + 1) * fps / n_fft
  return freqs, power




def band_spectrum(series, fps: float, band: Sequence[float], *,
                  normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
  """Hann-windowed power spectrum restricted to ``band``, unit-sum or raw.

  With unit sum a linear map ``sum_k w_k p_k`` is a weighted average over
  bins (``w_k = f_k`` gives the spectral centroid), independent of the
  signal's power. Constant series give all-zero rows.

  Args:
    series: ``[N, L]`` finite real series.
    fps: sampling rate in Hz.
    band: ``(low, high)`` in Hz, inclusive.
    normalize: divide each row by its sum (rows of zero power stay zero).

  Returns:
    ``(freqs [K], power [N, K])`` over the ``K`` in-band bins of an
    ``L``-point FFT.
  """
  x = signals.as_series(series, 'band_spectrum')
  fps = signals.check_fps(fps, 'band_spectrum')
  lo, hi = signals.check_band(band, 'band_spectrum')
  freqs, power = power_spectrum(x, fps, window='hann')
  mask = band_mask(freqs, (lo, hi), x.shape[1], fps)
  freqs, power = freqs[mask], power[:, mask]
  if normalize:
    total = power.sum(axis=1, keepdims=True)
    power = np.divide(power, total, out=np.zeros_like(power),
                      where=total > 0)
  return freqs, power
