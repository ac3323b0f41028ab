"""Signal maths shared by the builders (labels) and simper_jax (evaluation).

``tfds_builders`` is the bottom layer: it imports nothing from
``simper_jax``, while ``simper_jax`` imports its dataset registry and this
module. What both need lives here: the argument validators of every
spectral function, and the rPPG-Toolbox pulse processing that turns a PPG
waveform into a heart rate (a builder's label, the evaluation's ``hr_fft``
readout).

The pulse processing is a host-side NumPy/SciPy implementation of
rPPG-Toolbox's post-processing (github.com/ubicomplab/rPPG-Toolbox,
``evaluation/post_process.py``; its metrics are
``simper_jax.physiology``), so that numbers computed here can be compared
with that toolbox's:

* ``detrend``: smoothness-priors detrending (Tarvainen et al., 2002);
* ``bandpass``: Butterworth band-pass applied forward and backward
  (``scipy.signal.filtfilt``, zero phase);
* ``periodogram`` and ``hr_fft``: heart rate at the periodogram peak inside
  the band, the FFT zero-padded to the next power of two.

Conventions of the toolbox followed here (read in several revisions; they
differ in details noted below):

* Pre-processing is ``detrend`` (lambda = 100), then a first-order
  Butterworth band-pass, ``butter(1, [low, high] / (fps / 2))`` with
  ``filtfilt``; both the prediction and the ground-truth PPG go through it,
  and the heart rate of each is computed from its pre-processed signal.
  (One revision uses a second-order filter: pass ``order=2`` to match it.)
* The band defaults to ``(0.75, 2.5)`` Hz (45-150 bpm), the setting of the
  NeurIPS 2023 toolbox paper and of older toolbox revisions. Recent
  revisions default to ``(0.6, 3.3)`` Hz for the filter, the FFT peak
  search and the SNR alike (noting that ``(0.75, 2.5)`` reproduces the
  paper); pass ``band=(0.6, 3.3)`` to match such a run.
* The periodogram is ``scipy.signal.periodogram(x, fs, nfft=N,
  detrend=False)``: rectangular window, density scaling, no mean removal,
  ``N`` the smallest power of two ``>= len(x)``. Band edges are inclusive
  and ties go to the lowest frequency (``argmax``).

Deliberate deviations (loud rather than silent): a signal too short for
the filter raises ValueError (the toolbox skips windows below 9 or 10
frames, depending on the revision, and ``filtfilt`` rejects a 9-frame
one), and ``detrend`` solves the sparse pentadiagonal system rather than
inverting a dense ``n x n`` matrix (same result up to rounding, O(n)
instead of O(n^3)). Everything is float64 NumPy on the host; bad arguments
raise ValueError saying what is wrong, where, and how to fix it.
"""

from __future__ import annotations

import operator
from typing import Sequence

import numpy as np
import scipy.signal
import scipy.sparse
import scipy.sparse.linalg

DEFAULT_BAND = (0.75, 2.5)
DEFAULT_LAMBDA = 100.0
DEFAULT_ORDER = 1


# --------------------------------------------------------------------------
# Argument validators.


def check_finite(x: np.ndarray, name: str, hint: str = '') -> None:
  """Raises ValueError saying how many entries are non-finite and where.

  ``hint``, when given, is appended to the message (how to fix it).
  """
  bad = ~np.isfinite(x)
  if bad.any():
    where = np.argwhere(bad)[:5].tolist()
    raise ValueError(f'{name}: {int(bad.sum())} non-finite value(s) in array '
                     f'of shape {x.shape}; first at index {where}'
                     f'{"; " + hint if hint else ""}.')


def as_series(series, name: str) -> np.ndarray:
  """Validates a ``[N, L]`` finite array (``N >= 1``, ``L >= 2``); float64."""
  x = np.asarray(series, dtype=np.float64)
  if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
    raise ValueError(f'{name}: series must be [N, L] with N >= 1 and L >= 2, '
                     f'got shape {x.shape}.')
  check_finite(x, name)
  return x


def as_signal(signal, name: str) -> np.ndarray:
  """Validates a non-empty, finite 1-D signal; returns it as float64."""
  try:
    x = np.asarray(signal, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: expected a 1-D array of numbers, could not '
                     f'convert it ({e}).') from e
  if x.ndim != 1:
    raise ValueError(f'{name}: expected a 1-D signal, got shape {x.shape}; '
                     f'pass one series at a time (e.g. x.ravel() or x[i]).')
  if x.size == 0:
    raise ValueError(f'{name}: the signal is empty (shape (0,)).')
  check_finite(x, name, 'clean or interpolate them first')
  return x


def check_fps(fps, name: str = 'fps') -> float:
  """``fps`` as a float, or ValueError unless finite and positive."""
  try:
    value = float(fps)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: fps must be a number, got {fps!r}.') from e
  if not (np.isfinite(value) and value > 0):
    raise ValueError(f'{name}: fps must be a finite positive number (frames '
                     f'per second), got {fps!r}.')
  return value


def check_band(band: Sequence[float], name: str = 'band', *,
               fps: float | None = None,
               positive: bool = False) -> tuple[float, float]:
  """``(low, high)`` Hz as floats, or ValueError.

  Args:
    band: two finite numbers with ``0 <= low <= high``.
    name: the caller, for the message.
    fps: when given, ``high`` must not exceed Nyquist ``fps / 2`` (must
      stay below it when ``positive``: a filter's edge).
    positive: require ``0 < low < high`` (a band-pass filter's edges).
  """
  try:
    lo, hi = (float(b) for b in band)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: band must be (low, high) in Hz, got '
                     f'{band!r}.') from e
  ok = np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi
  if positive:
    ok = ok and 0 < lo < hi
  if not ok:
    need = '0 < low < high' if positive else '0 <= low <= high'
    raise ValueError(f'{name}: band must be (low, high) Hz with {need}, got '
                     f'{tuple(band)!r}.')
  if fps is not None and (hi >= fps / 2 if positive else hi > fps / 2):
    raise ValueError(
        f'{name}: band ({lo:g}, {hi:g}) Hz must '
        f'{"stay below" if positive else "not exceed"} Nyquist = fps / 2 = '
        f'{fps / 2:g} Hz at {fps:g} fps; lower the band edges or use a '
        f'higher frame rate.')
  return lo, hi


def check_lambda(lam, name: str, allow_none: bool = False) -> float | None:
  """The detrending lambda as a float (finite, ``> 0``), or None if allowed."""
  if lam is None and allow_none:
    return None
  try:
    value = float(lam)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: the detrending lambda must be a number'
                     f'{" or None" if allow_none else ""}, got {lam!r}.'
                     ) from e
  if not (np.isfinite(value) and value > 0):
    raise ValueError(f'{name}: the detrending lambda must be finite and > 0 '
                     f'(0 would call the whole signal trend), got {lam!r}'
                     f'{"; pass None to skip detrending" if allow_none else ""}'
                     f'.')
  return value


def check_order(order, name: str) -> int:
  """A filter order: an int ``>= 1``."""
  try:
    value = operator.index(order)
  except TypeError as e:
    raise ValueError(f'{name}: order must be an int >= 1, got {order!r}.'
                     ) from e
  if value < 1:
    raise ValueError(f'{name}: order must be an int >= 1, got {order!r}.')
  return value


def check_pulse_args(signal, fps, band, detrend_lambda, order, name: str):
  """Validates ``hr_fft``'s arguments; ``(x, fps, band, lambda, order)``."""
  x = as_signal(signal, name)
  fps = check_fps(fps, name)
  band = check_band(band, name, fps=fps, positive=True)
  detrend_lambda = check_lambda(detrend_lambda, name, allow_none=True)
  order = check_order(order, name)
  return x, fps, band, detrend_lambda, order


def _filter_min_length(order: int) -> int:
  """Shortest signal ``filtfilt`` accepts with its default padding.

  ``filtfilt`` pads ``3 * max(len(a), len(b))`` samples and needs the signal
  to be longer than that; a band-pass of order ``k`` has ``2k + 1``
  coefficients, so order 1 needs at least 10 samples.
  """
  return 3 * (2 * order + 1) + 1


def _next_power_of_two(n: int) -> int:
  return 1 << (n - 1).bit_length()


# --------------------------------------------------------------------------
# Pre-processing.


def detrend(signal, lam: float = DEFAULT_LAMBDA) -> np.ndarray:
  """Smoothness-priors detrending (Tarvainen, Ranta-aho, Karjalainen 2002).

  Returns ``z - (I + lam^2 D2^T D2)^{-1} z`` where ``D2`` is the
  ``(n - 2) x n`` second-difference matrix (rows ``[1, -2, 1]``): the trend
  is the smoothest series close to ``z``, and ``lam`` sets the trade-off
  (larger: stiffer trend, only slower drifts removed). As a filter it is a
  high-pass with gain ``g / (1 + g)``, ``g = lam^2 (2 - 2 cos w)^2`` at
  ``w`` rad per sample: with ``lam = 100`` at 30 fps, 0.75 Hz keeps 86% of
  its amplitude and 1.2 Hz keeps 97.5%. A linear trend is removed exactly
  (``D2`` annihilates it); constants too. The cut-off depends on the frame
  rate, because ``lam`` is per sample, as in the toolbox.

  The system matrix is pentadiagonal, so it is solved as a sparse system
  (``scipy.sparse.linalg.spsolve``) in O(n), not by inverting a dense
  matrix as rPPG-Toolbox does; the results agree up to rounding.

  Args:
    signal: 1-D finite signal of length ``n >= 3``.
    lam: smoothing parameter, finite and ``> 0``; rPPG-Toolbox uses 100.

  Returns:
    The detrended signal, float64, same length.

  Raises:
    ValueError: on a non-1-D, too short or non-finite signal, or a bad
      ``lam``.
  """
  z = as_signal(signal, 'detrend')
  lam = check_lambda(lam, 'detrend')
  n = z.size
  if n < 3:
    raise ValueError(f'detrend: needs at least 3 samples (second '
                     f'differences), got a signal of length {n}.')
  d2 = scipy.sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n),
                          format='csc')
  system = scipy.sparse.identity(n, format='csc') + lam ** 2 * (d2.T @ d2)
  trend = scipy.sparse.linalg.spsolve(system.tocsc(), z)
  return z - trend


def bandpass(signal, fps: float, band: Sequence[float] = DEFAULT_BAND,
             order: int = DEFAULT_ORDER) -> np.ndarray:
  """Zero-phase Butterworth band-pass, as rPPG-Toolbox filters pulses.

  Designs ``scipy.signal.butter(order, [low, high] / (fps / 2),
  btype='bandpass')`` (transfer-function form) and applies it forward and
  backward with ``scipy.signal.filtfilt`` and its default padding, so the
  output has no phase shift and the squared magnitude response (a
  first-order filter applied twice). Gain 1 at the centre of the band.

  Args:
    signal: 1-D finite signal; it must be longer than ``filtfilt``'s
      padding, ``3 * (2 * order + 1)`` samples (at least 10 for order 1).
    fps: sampling rate in Hz, ``> 0``.
    band: ``(low, high)`` pass band in Hz, ``0 < low < high < fps / 2``;
      default ``(0.75, 2.5)`` Hz = 45-150 bpm.
    order: Butterworth order (rPPG-Toolbox: 1). High orders in
      transfer-function form are numerically fragile for narrow bands.

  Returns:
    The filtered signal, float64, same length.

  Raises:
    ValueError: on bad signal, fps, band or order, or a too short signal.
  """
  x = as_signal(signal, 'bandpass')
  fps = check_fps(fps, 'bandpass')
  lo, hi = check_band(band, 'bandpass', fps=fps, positive=True)
  order = check_order(order, 'bandpass')
  need = _filter_min_length(order)
  if x.size < need:
    raise ValueError(
        f'bandpass: a signal of {x.size} samples is too short for the '
        f'zero-phase filter of order {order} (filtfilt pads '
        f'{need - 1} samples and needs at least {need}); use a longer '
        f'window or filter=False.')
  b, a = scipy.signal.butter(order, [lo / (fps / 2), hi / (fps / 2)],
                             btype='bandpass')
  return scipy.signal.filtfilt(b, a, x)


def preprocess(x: np.ndarray, fps: float, band: tuple[float, float],
               detrend_lambda: float | None, filter: bool,
               order: int, name: str) -> np.ndarray:
  """Detrend (unless lambda is None), then band-pass (if ``filter``).

  The arguments as ``check_pulse_args`` returns them; ``name`` names the
  caller in errors.
  """
  need = 3 if detrend_lambda is not None else 1
  if filter:
    need = max(need, _filter_min_length(order))
  if x.size < need:
    raise ValueError(
        f'{name}: a signal of {x.size} samples is too short; detrending and '
        f'the order-{order} zero-phase filter need at least {need} '
        f'samples. Use a longer window.')
  if detrend_lambda is not None:
    x = detrend(x, detrend_lambda)
  if filter:
    x = bandpass(x, fps, band, order)
  return x


# --------------------------------------------------------------------------
# Heart rate.


def periodogram(signal, fps: float) -> tuple[np.ndarray, np.ndarray]:
  """rPPG-Toolbox's periodogram: rectangular window, next-power-of-2 FFT.

  ``scipy.signal.periodogram(x, fs=fps, nfft=N, detrend=False)`` with ``N``
  the smallest power of two ``>= len(x)`` (the signal is zero-padded to
  ``N``). One-sided power spectral density: ``|X_k|^2 / (fps * n)``,
  doubled for ``0 < k < N / 2``, ``X_k = sum_t x_t exp(-2 pi i k t / N)``.
  The mean is not removed (pre-processed signals have none to speak of).

  Args:
    signal: 1-D finite signal.
    fps: sampling rate in Hz, ``> 0``.

  Returns:
    ``(freqs, power)``, each ``[N // 2 + 1]``; ``freqs[k] = k * fps / N``.
  """
  x = as_signal(signal, 'periodogram')
  fps = check_fps(fps, 'periodogram')
  nfft = _next_power_of_two(x.size)
  freqs, power = scipy.signal.periodogram(x, fs=fps, nfft=nfft,
                                          detrend=False, window='boxcar',
                                          scaling='density')
  return freqs, power


def _fft_peak_bpm(x: np.ndarray, fps: float, band: tuple[float, float],
                  name: str) -> float:
  freqs, power = periodogram(x, fps)
  mask = (freqs >= band[0]) & (freqs <= band[1])
  if not mask.any():
    raise ValueError(
        f'{name}: the band {band} Hz holds no periodogram bin for '
        f'{x.size} samples at {fps:g} fps (bin spacing '
        f'{fps / _next_power_of_two(x.size):.4g} Hz); use a longer window '
        f'or a wider band.')
  in_band = power[mask]
  if not in_band.max() > 0:
    raise ValueError(f'{name}: the signal has no power in the band {band} '
                     f'Hz (a constant or all-zero signal?).')
  return float(freqs[mask][np.argmax(in_band)] * 60.0)


def hr_fft(signal, fps: float, band: Sequence[float] = DEFAULT_BAND,
           detrend_lambda: float | None = DEFAULT_LAMBDA,
           filter: bool = True, order: int = DEFAULT_ORDER) -> float:
  """Heart rate (bpm) at the highest periodogram bin inside ``band``.

  rPPG-Toolbox's FFT method: ``detrend`` (skipped when ``detrend_lambda``
  is None), ``bandpass`` (when ``filter``), ``periodogram`` (next power of
  two), then ``60 *`` the frequency of the largest bin with ``low <= f <=
  high``. The result lies on the FFT grid, ``k * fps / N``: with 20 s at
  30 fps (``N = 1024``) the grid step is 1.76 bpm, so the error of a clean
  sinusoid is up to 0.88 bpm.

  Args:
    signal: 1-D finite signal (at least 10 samples with the default
      order-1 filter).
    fps: sampling rate in Hz, ``> 0``.
    band: ``(low, high)`` in Hz, ``0 < low < high < fps / 2``: the filter's
      pass band and the peak-search range; default ``(0.75, 2.5)``.
    detrend_lambda: smoothness-priors lambda (toolbox: 100), or None to
      skip detrending.
    filter: whether to band-pass before the periodogram.
    order: Butterworth order of the band-pass (toolbox: 1).

  Returns:
    The heart rate in beats per minute.

  Raises:
    ValueError: on bad input, a too short signal, a band with no bin, or
      a signal without power in the band.
  """
  x, fps, band, lam, order = check_pulse_args(
      signal, fps, band, detrend_lambda, order, 'hr_fft')
  x = preprocess(x, fps, band, lam, filter, order, 'hr_fft')
  return _fft_peak_bpm(x, fps, band, 'hr_fft')
