"""Heart rate from a 1-D pulse signal, and the rPPG evaluation metrics.

A host-side NumPy/SciPy implementation of the post-processing and metrics
of rPPG-Toolbox (github.com/ubicomplab/rPPG-Toolbox, files
``evaluation/post_process.py`` and ``evaluation/metrics.py``), written so
that numbers computed here can be compared with numbers from that toolbox:

* ``detrend``: smoothness-priors detrending (Tarvainen et al., 2002);
* ``bandpass``: Butterworth band-pass applied forward and backward
  (``scipy.signal.filtfilt``, zero phase);
* ``periodogram`` and ``hr_fft``: heart rate at the periodogram peak inside
  the band, the FFT zero-padded to the next power of two;
* ``hr_peaks``: heart rate from the mean interval between peaks;
* ``snr_db``: the toolbox's SNR of a predicted signal given the true HR;
* ``hr_metrics``: MAE, RMSE, MAPE, Pearson r (and SNR), each with the
  toolbox's standard error;
* ``sliding_windows`` and ``evaluate_hr``: per-window evaluation of a set
  of videos.

Conventions of the toolbox followed here (read in several revisions of
those two files; they differ in details noted below):

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
* Peak detection is ``scipy.signal.find_peaks`` with no constraint (no
  minimum distance, height or prominence) on the pre-processed signal; the
  band is used by the filter only.
* The SNR sums the periodogram within +-6 bpm (0.1 Hz, edges inclusive) of
  the true HR's first and second harmonics (the two windows summed
  separately, and not clipped to the band) over the rest of the band, in
  ``10 log10`` (recent revisions' ``power2db``; earlier ones used
  ``mag2db = 20 log10`` on the same power ratio, i.e. twice the dB).
* Standard errors use the population standard deviation (``np.std``,
  ``ddof=0``) over ``sqrt(n)``; the RMSE's follows recent revisions,
  ``sqrt(std(err^2) / sqrt(n))``, by default (see ``hr_metrics``).
* ``DiffNormalized`` labels and predictions (first differences) are
  integrated with ``cumsum`` per window before detrending (``diff=True``).

Deliberate deviations (all loud rather than silent):

* Degenerate input raises ValueError instead of producing a number: fewer
  than two peaks (the toolbox returns NaN), no power in the noise bins of
  the SNR (the toolbox returns 0 dB), a signal too short for the filter
  (the toolbox skips windows below 9 or 10 frames, depending on the
  revision, and ``filtfilt`` rejects a 9-frame one).
* ``evaluate_hr`` evaluates full windows only by default and reports the
  videos shorter than a window (``'skipped'``) and the trailing frames no
  window covers (``'unused'``); the toolbox instead evaluates the trailing
  remainder as a shorter window and a video shorter than the window as a
  whole. ``partial=True`` reproduces the toolbox.
* ``detrend`` solves the sparse pentadiagonal system rather than inverting
  a dense ``n x n`` matrix (same result up to rounding, O(n) instead of
  O(n^3)).

Everything is float64 NumPy on the host. Bad arguments raise ValueError
saying what is wrong, where, and how to fix it.
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
# Half-width of the SNR's window around each harmonic: 6 bpm = 0.1 Hz.
SNR_HALF_WIDTH_HZ = 6.0 / 60.0
METHODS = ('fft', 'peak')
RMSE_SE = ('current', 'legacy')


# --------------------------------------------------------------------------
# Validation helpers.


def _as_signal(signal, name: str) -> np.ndarray:
  """Validates a non-empty, finite 1-D signal and returns it as float64."""
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
  bad = ~np.isfinite(x)
  if bad.any():
    where = np.flatnonzero(bad)[:5].tolist()
    raise ValueError(f'{name}: {int(bad.sum())} non-finite value(s) (NaN or '
                     f'inf) in a signal of length {x.size}, first at '
                     f'index {where}; clean or interpolate them first.')
  return x


def _check_fps(fps, name: str) -> float:
  try:
    value = float(fps)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: fps must be a number, got {fps!r}.') from e
  if not (np.isfinite(value) and value > 0):
    raise ValueError(f'{name}: fps must be a finite number > 0 (frames per '
                     f'second), got {fps!r}.')
  return value


def _check_band(band, fps: float, name: str) -> tuple[float, float]:
  """``0 < low < high < fps / 2`` (Nyquist), as the filter needs."""
  try:
    lo, hi = (float(b) for b in band)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: band must be a pair (low, high) in Hz, got '
                     f'{band!r}.') from e
  nyquist = fps / 2
  if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi < nyquist):
    raise ValueError(
        f'{name}: band must satisfy 0 < low < high < Nyquist = fps / 2 = '
        f'{nyquist:g} Hz, got ({lo:g}, {hi:g}) Hz at {fps:g} fps; lower '
        f'the band edges or use a higher frame rate.')
  return lo, hi


def _check_lambda(lam, name: str, allow_none: bool) -> float | None:
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


def _check_order(order, name: str) -> int:
  try:
    value = operator.index(order)
  except TypeError as e:
    raise ValueError(f'{name}: order must be an int >= 1, got {order!r}.'
                     ) from e
  if value < 1:
    raise ValueError(f'{name}: order must be an int >= 1, got {order!r}.')
  return value


def _filter_min_length(order: int) -> int:
  """Shortest signal ``filtfilt`` accepts with its default padding.

  ``filtfilt`` pads ``3 * max(len(a), len(b))`` samples and needs the signal
  to be longer than that; a band-pass of order ``k`` has ``2k + 1``
  coefficients, so order 1 needs at least 10 samples.
  """
  return 3 * (2 * order + 1) + 1


def _min_length(detrend_lambda: float | None, filter: bool,
                order: int) -> int:
  """Shortest signal the pre-processing accepts."""
  n = 1
  if detrend_lambda is not None:
    n = 3
  if filter:
    n = max(n, _filter_min_length(order))
  return n


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
  z = _as_signal(signal, 'detrend')
  lam = _check_lambda(lam, 'detrend', allow_none=False)
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
  x = _as_signal(signal, 'bandpass')
  fps = _check_fps(fps, 'bandpass')
  lo, hi = _check_band(band, fps, 'bandpass')
  order = _check_order(order, 'bandpass')
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


def _preprocess(x: np.ndarray, fps: float, band: tuple[float, float],
                detrend_lambda: float | None, filter: bool,
                order: int, name: str) -> np.ndarray:
  """Detrend (unless lambda is None), then band-pass (if ``filter``)."""
  need = _min_length(detrend_lambda, filter, order)
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


def _validate_common(signal, fps, band, detrend_lambda, order, name: str):
  x = _as_signal(signal, name)
  fps = _check_fps(fps, name)
  band = _check_band(band, fps, name)
  detrend_lambda = _check_lambda(detrend_lambda, name, allow_none=True)
  order = _check_order(order, name)
  return x, fps, band, detrend_lambda, order


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
  x = _as_signal(signal, 'periodogram')
  fps = _check_fps(fps, 'periodogram')
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


def _peak_bpm(x: np.ndarray, fps: float, name: str) -> float:
  peaks, _ = scipy.signal.find_peaks(x)
  if peaks.size < 2:
    raise ValueError(
        f'{name}: found {peaks.size} peak(s) in {x.size} samples '
        f'({x.size / fps:.3g} s at {fps:g} fps); the peak method needs at '
        f'least 2 to measure an inter-peak interval. Use a longer window '
        f'or method="fft".')
  return float(60.0 / (np.mean(np.diff(peaks)) / fps))


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
  x, fps, band, lam, order = _validate_common(
      signal, fps, band, detrend_lambda, order, 'hr_fft')
  x = _preprocess(x, fps, band, lam, filter, order, 'hr_fft')
  return _fft_peak_bpm(x, fps, band, 'hr_fft')


def hr_peaks(signal, fps: float, band: Sequence[float] = DEFAULT_BAND,
             detrend_lambda: float | None = DEFAULT_LAMBDA,
             filter: bool = True, order: int = DEFAULT_ORDER) -> float:
  """Heart rate (bpm) from the mean interval between peaks.

  rPPG-Toolbox's peak method: the same pre-processing as ``hr_fft``, then
  ``scipy.signal.find_peaks`` with default arguments (every local maximum
  counts: no minimum distance, height or prominence), and ``60 / (mean
  inter-peak interval in seconds)``. The mean interval is ``(last - first)
  / (peaks - 1)``, so it resolves rates finer than the FFT grid but is
  sensitive to spurious or missed peaks; the band restricts only the
  filter, not the result. In particular, narrow pulses at a low rate keep
  a strong second harmonic through the gentle first-order filter, which
  adds a maximum per beat and doubles the rate (the toolbox does the
  same); ``hr_fft`` is not affected.

  Args:
    signal: 1-D finite signal (at least 10 samples with the default
      order-1 filter).
    fps: sampling rate in Hz, ``> 0``.
    band: ``(low, high)`` pass band in Hz, ``0 < low < high < fps / 2``.
    detrend_lambda: smoothness-priors lambda, or None to skip detrending.
    filter: whether to band-pass before peak detection.
    order: Butterworth order of the band-pass.

  Returns:
    The heart rate in beats per minute.

  Raises:
    ValueError: on bad input or fewer than 2 peaks.
  """
  x, fps, band, lam, order = _validate_common(
      signal, fps, band, detrend_lambda, order, 'hr_peaks')
  x = _preprocess(x, fps, band, lam, filter, order, 'hr_peaks')
  return _peak_bpm(x, fps, 'hr_peaks')


def _check_hr(hr_true_bpm, name: str) -> float:
  try:
    hr = float(hr_true_bpm)
  except (TypeError, ValueError) as e:
    raise ValueError(f'{name}: hr_true_bpm must be a number, got '
                     f'{hr_true_bpm!r}.') from e
  if not (np.isfinite(hr) and hr > 0):
    raise ValueError(f'{name}: hr_true_bpm must be finite and > 0 (beats '
                     f'per minute), got {hr_true_bpm!r}.')
  return hr


def _snr_of(x: np.ndarray, hr_true_bpm: float, fps: float,
            band: tuple[float, float], name: str) -> float:
  """SNR (dB) of an already pre-processed signal."""
  freqs, power = periodogram(x, fps)
  f1 = hr_true_bpm / 60.0
  f2 = 2.0 * f1
  dev = SNR_HALF_WIDTH_HZ
  near1 = (freqs >= f1 - dev) & (freqs <= f1 + dev)
  near2 = (freqs >= f2 - dev) & (freqs <= f2 + dev)
  noise = (freqs >= band[0]) & (freqs <= band[1]) & ~near1 & ~near2
  if not noise.any():
    raise ValueError(
        f'{name}: no periodogram bin of the band {band} Hz lies outside '
        f'+-{dev:g} Hz of the harmonics {f1:.4g} and {f2:.4g} Hz '
        f'({x.size} samples at {fps:g} fps); use a wider band or a longer '
        f'window.')
  # Summed window by window, as the toolbox does (the windows overlap only
  # for HR < 12 bpm).
  signal_power = float(power[near1].sum() + power[near2].sum())
  noise_power = float(power[noise].sum())
  if not (signal_power > 0 and noise_power > 0):
    raise ValueError(
        f'{name}: the SNR is undefined: power {signal_power:.3g} near the '
        f'harmonics and {noise_power:.3g} in the rest of the band (a '
        f'constant or all-zero prediction?).')
  return float(10.0 * np.log10(signal_power / noise_power))


def snr_db(pred_signal, hr_true_bpm: float, fps: float,
           band: Sequence[float] = DEFAULT_BAND,
           detrend_lambda: float | None = DEFAULT_LAMBDA,
           filter: bool = True, order: int = DEFAULT_ORDER) -> float:
  """rPPG-Toolbox's SNR (dB) of a predicted pulse signal.

  The prediction is pre-processed as in ``hr_fft`` and its ``periodogram``
  split into: signal bins, within +-6 bpm (0.1 Hz, inclusive) of the true
  HR's first harmonic ``f1 = hr / 60`` or second ``2 f1`` (not clipped to
  the band: a second harmonic above it still counts), and noise bins, the
  other bins with ``low <= f <= high``. The SNR is ``10 log10(signal power
  / noise power)``, the power of each being the sum of its bins.

  Args:
    pred_signal: 1-D finite predicted pulse signal.
    hr_true_bpm: the true heart rate in bpm (in the toolbox, the HR of the
      ground-truth PPG by the evaluation's method).
    fps: sampling rate in Hz, ``> 0``.
    band: ``(low, high)`` in Hz: filter pass band and noise range.
    detrend_lambda: smoothness-priors lambda, or None to skip detrending.
    filter: whether to band-pass first.
    order: Butterworth order of the band-pass.

  Returns:
    The SNR in dB.

  Raises:
    ValueError: on bad input; when no noise bin exists; when the signal or
      the noise power is zero (rPPG-Toolbox returns 0 dB in the latter
      case, which reads as a plausible value).
  """
  x, fps, band, lam, order = _validate_common(
      pred_signal, fps, band, detrend_lambda, order, 'snr_db')
  hr = _check_hr(hr_true_bpm, 'snr_db')
  x = _preprocess(x, fps, band, lam, filter, order, 'snr_db')
  return _snr_of(x, hr, fps, band, 'snr_db')


# --------------------------------------------------------------------------
# Metrics.


def _as_values(values, name: str) -> np.ndarray:
  try:
    v = np.asarray(values, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise ValueError(f'hr_metrics: {name} must be numbers ({e}).') from e
  if v.ndim != 1:
    raise ValueError(f'hr_metrics: {name} must be 1-D, got shape {v.shape}.')
  bad = ~np.isfinite(v)
  if bad.any():
    where = np.flatnonzero(bad)[:5].tolist()
    raise ValueError(f'hr_metrics: {int(bad.sum())} non-finite value(s) in '
                     f'{name} (length {v.size}), first at index {where}.')
  return v


def hr_metrics(pred_bpm, true_bpm, snr=None, *,
               rmse_se: str = 'current') -> dict[str, float]:
  """MAE, RMSE, MAPE, Pearson r (and SNR) with rPPG-Toolbox's errors.

  With ``e = pred - true`` over ``n`` windows and ``std`` the population
  standard deviation (``ddof=0``, as ``np.std`` in the toolbox):

  * ``MAE = mean|e|``, ``MAE_se = std|e| / sqrt(n)``;
  * ``RMSE = sqrt(mean e^2)``; ``RMSE_se`` is, with ``rmse_se='current'``
    (recent toolbox revisions), ``sqrt(std(e^2) / sqrt(n))``, and with
    ``'legacy'`` (older revisions) ``std(e^2) / sqrt(n)``. Neither is the
    standard error of the RMSE itself: the legacy one is that of the mean
    squared error, in bpm^2, and the current one its square root;
  * ``MAPE = 100 mean(|e| / true)``, ``MAPE_se = 100 std(|e| / true) /
    sqrt(n)`` (``true > 0`` required);
  * ``Pearson`` r of pred and true, ``Pearson_se = sqrt((1 - r^2) / (n -
    2))``. r is NaN when either input is constant (zero variance: the
    correlation is undefined, e.g. identical FFT-grid HRs in every window),
    and the error is NaN when r is or ``n == 2``;
  * ``SNR = mean(snr)``, ``SNR_se = std(snr) / sqrt(n)`` when ``snr`` is
    given.

  Args:
    pred_bpm: ``[n]`` predicted heart rates, finite.
    true_bpm: ``[n]`` true heart rates, finite and ``> 0``.
    snr: optional ``[n]`` SNRs in dB, finite.
    rmse_se: ``'current'`` or ``'legacy'``, see above.

  Returns:
    Python floats under ``'MAE'``, ``'MAE_se'``, ``'RMSE'``, ``'RMSE_se'``,
    ``'MAPE'``, ``'MAPE_se'``, ``'Pearson'``, ``'Pearson_se'``, with
    ``'SNR'`` and ``'SNR_se'`` when ``snr`` is given, and ``'n'`` (int).

  Raises:
    ValueError: on mismatched lengths, ``n < 2``, non-finite values,
      ``true <= 0`` or an unknown ``rmse_se``.
  """
  p = _as_values(pred_bpm, 'pred_bpm')
  t = _as_values(true_bpm, 'true_bpm')
  if p.shape != t.shape:
    raise ValueError(f'hr_metrics: pred_bpm and true_bpm differ in length, '
                     f'{p.size} vs {t.size}; pass one value per window to '
                     f'each.')
  n = p.size
  if n < 2:
    raise ValueError(f'hr_metrics: need at least 2 (pred, true) pairs for '
                     f'standard errors and Pearson r, got {n}; evaluate more '
                     f'videos or shorter windows.')
  if (t <= 0).any():
    where = np.flatnonzero(t <= 0)[:5].tolist()
    raise ValueError(f'hr_metrics: true_bpm must be > 0 (MAPE divides by '
                     f'it); {int((t <= 0).sum())} value(s) are not, first '
                     f'at index {where}.')
  if rmse_se not in RMSE_SE:
    raise ValueError(f'hr_metrics: rmse_se must be one of {RMSE_SE}, got '
                     f'{rmse_se!r}.')
  root_n = np.sqrt(n)
  err = p - t
  abs_err = np.abs(err)
  sq_err = err ** 2
  rel_err = abs_err / t
  sq_se = float(np.std(sq_err) / root_n)
  out = {
      'n': n,
      'MAE': float(np.mean(abs_err)),
      'MAE_se': float(np.std(abs_err) / root_n),
      'RMSE': float(np.sqrt(np.mean(sq_err))),
      'RMSE_se': float(np.sqrt(sq_se)) if rmse_se == 'current' else sq_se,
      'MAPE': float(100.0 * np.mean(rel_err)),
      'MAPE_se': float(100.0 * np.std(rel_err) / root_n),
  }
  # ptp == 0 tests constancy exactly (deviations of a constant can be
  # rounding noise).
  if np.ptp(p) == 0 or np.ptp(t) == 0:
    r = float('nan')
  else:
    dp, dt = p - p.mean(), t - t.mean()
    r = float(np.clip(np.sum(dp * dt)
                      / np.sqrt(np.sum(dp ** 2) * np.sum(dt ** 2)),
                      -1.0, 1.0))
  out['Pearson'] = r
  out['Pearson_se'] = (float(np.sqrt((1.0 - r ** 2) / (n - 2)))
                       if n > 2 and np.isfinite(r) else float('nan'))
  if snr is not None:
    s = _as_values(snr, 'snr')
    if s.size != n:
      raise ValueError(f'hr_metrics: snr has {s.size} values but there are '
                       f'{n} (pred, true) pairs; pass one SNR per window.')
    out['SNR'] = float(np.mean(s))
    out['SNR_se'] = float(np.std(s) / root_n)
  return out


# --------------------------------------------------------------------------
# Windows and dataset evaluation.


def _check_count(value, name: str, minimum: int) -> int:
  try:
    v = operator.index(value)
  except TypeError as e:
    raise ValueError(f'sliding_windows: {name} must be an int >= '
                     f'{minimum}, got {value!r}.') from e
  if v < minimum:
    raise ValueError(f'sliding_windows: {name} must be an int >= '
                     f'{minimum}, got {value!r}.')
  return v


def sliding_windows(n: int, window: int, stride: int | None = None, *,
                    partial: bool = False) -> list[tuple[int, int]]:
  """``(start, stop)`` frame ranges of windows over ``n`` frames.

  Windows start at ``0, stride, 2 * stride, ...``. With ``partial=False``
  only full windows (``stop - start == window``, ``stop <= n``) are
  returned, none when ``n < window``; frames after the last window's stop
  are covered by none. With ``partial=True`` every start below ``n`` gets
  a window, cut at ``n``, which is how rPPG-Toolbox's evaluation loop
  windows a video (``for i in range(0, n, stride): x[i:i + window]``,
  where its window is the whole video when longer than it).

  Args:
    n: number of frames, ``>= 0``.
    window: window length in frames, ``>= 1``.
    stride: step between starts in frames, ``>= 1``; default ``window``
      (non-overlapping, as in the toolbox).
    partial: whether to keep windows cut short by the end of the signal.

  Returns:
    A list of ``(start, stop)`` pairs, ``x[start:stop]`` being a window.
  """
  n = _check_count(n, 'n', 0)
  window = _check_count(window, 'window', 1)
  stride = window if stride is None else _check_count(stride, 'stride', 1)
  if partial:
    if n < window:
      return [(0, n)] if n > 0 else []
    return [(s, min(s + window, n)) for s in range(0, n, stride)]
  return [(s, s + window) for s in range(0, n - window + 1, stride)]


def _frames(seconds, fps: float, name: str) -> int:
  try:
    value = float(seconds)
  except (TypeError, ValueError) as e:
    raise ValueError(f'evaluate_hr: {name} must be a number of seconds or '
                     f'None, got {seconds!r}.') from e
  if not (np.isfinite(value) and value > 0):
    raise ValueError(f'evaluate_hr: {name} must be a finite number of '
                     f'seconds > 0, got {seconds!r}.')
  frames = int(round(value * fps))
  if frames < 1:
    raise ValueError(f'evaluate_hr: {name} = {value:g} s is less than one '
                     f'frame at {fps:g} fps.')
  return frames


def evaluate_hr(pred_signals: Sequence, true_signals: Sequence, fps: float,
                *, method: str = 'fft', window: float | None = None,
                stride: float | None = None,
                band: Sequence[float] = DEFAULT_BAND,
                detrend_lambda: float | None = DEFAULT_LAMBDA,
                filter: bool = True, order: int = DEFAULT_ORDER,
                diff: bool = False, partial: bool = False,
                rmse_se: str = 'current') -> dict:
  """Per-window heart rates of predictions and ground truth, and metrics.

  For every video and window, the predicted signal and the ground-truth
  PPG are each integrated (``cumsum``, if ``diff``), detrended and
  band-passed; the HR of each is computed by ``method`` (as in ``hr_fft``
  or ``hr_peaks``), and the SNR of the prediction at the ground truth's HR
  (as in ``snr_db``). ``hr_metrics`` then summarizes all windows of all
  videos together, each window counting once, as rPPG-Toolbox does.

  Windows: with ``window=None`` each video is one window. Otherwise windows
  are ``round(window * fps)`` frames, every ``round(stride * fps)``
  frames (default: ``window``, non-overlapping), as ``sliding_windows``.
  With ``partial=False`` (default) only full windows are evaluated: a video
  shorter than one window is listed in ``'skipped'`` and the trailing
  frames of a video that no window covers in ``'unused'``. ``partial=True``
  reproduces rPPG-Toolbox: the trailing remainder is evaluated as a
  shorter window, and a video shorter than the window as a whole; only
  pieces too short for the filter are then left out (listed in
  ``'unused'``, or in ``'skipped'`` when that is the whole video).

  Args:
    pred_signals: sequence of 1-D predicted signals, one per video; videos
      may differ in length.
    true_signals: sequence of 1-D ground-truth PPG signals, each as long as
      the matching prediction.
    fps: frame rate in Hz, shared by all videos, ``> 0``.
    method: ``'fft'`` (periodogram peak) or ``'peak'`` (peak intervals).
    window: window length in seconds, or None for whole videos.
    stride: step between windows in seconds (default ``window``); only
      with ``window``.
    band: ``(low, high)`` Hz; filter band, FFT search range, SNR band.
    detrend_lambda: smoothness-priors lambda, or None to skip detrending.
    filter: whether to band-pass.
    order: Butterworth order of the band-pass.
    diff: whether the signals are first differences (rPPG-Toolbox
      ``DiffNormalized`` labels), integrated per window before detrending.
    partial: rPPG-Toolbox's treatment of remainders, see above.
    rmse_se: passed to ``hr_metrics``.

  Returns:
    A dict with
    ``'per_window'``: ``{'pred_hr', 'true_hr', 'snr'}`` float arrays and
    ``{'video', 'start', 'stop'}`` int arrays, one entry per evaluated
    window in video order (frames ``[start, stop)`` of video ``video``);
    ``'metrics'``: ``hr_metrics(pred_hr, true_hr, snr)``;
    ``'skipped'``: ``[(video index, length in frames)]`` of videos with no
    evaluated window; ``'unused'``: ``[(video index, start, stop)]`` frame
    ranges covered by no evaluated window, apart from skipped videos;
    ``'num_videos'`` and ``'num_windows'``.

  Raises:
    ValueError: on bad arguments or signals (naming the video), a window
      too short for the pre-processing, a window whose HR cannot be
      computed (naming the video and frames), or fewer than 2 evaluated
      windows in all.
  """
  name = 'evaluate_hr'
  fps = _check_fps(fps, name)
  band = _check_band(band, fps, name)
  lam = _check_lambda(detrend_lambda, name, allow_none=True)
  order = _check_order(order, name)
  if method not in METHODS:
    raise ValueError(f'{name}: method must be one of {METHODS}, got '
                     f'{method!r}.')
  if rmse_se not in RMSE_SE:
    raise ValueError(f'{name}: rmse_se must be one of {RMSE_SE}, got '
                     f'{rmse_se!r}.')
  if isinstance(pred_signals, np.ndarray) and pred_signals.ndim == 1:
    raise ValueError(f'{name}: pred_signals must be a sequence of 1-D '
                     f'signals (one per video), got one 1-D array; wrap it '
                     f'in a list.')
  pred_list, true_list = list(pred_signals), list(true_signals)
  if len(pred_list) != len(true_list):
    raise ValueError(f'{name}: {len(pred_list)} predicted signals but '
                     f'{len(true_list)} ground-truth signals; pass one of '
                     f'each per video.')
  if not pred_list:
    raise ValueError(f'{name}: no videos given.')
  min_len = _min_length(lam, filter, order)
  if window is None:
    if stride is not None:
      raise ValueError(f'{name}: stride={stride!r} needs a window; pass '
                       f'window (seconds) too, or neither for whole '
                       f'videos.')
    win = stride_frames = None
  else:
    win = _frames(window, fps, 'window')
    stride_frames = (win if stride is None
                     else _frames(stride, fps, 'stride'))
    if win < min_len:
      raise ValueError(
          f'{name}: window = {window:g} s is {win} frames at {fps:g} fps; '
          f'the pre-processing needs at least {min_len} frames '
          f'({min_len / fps:.3g} s). Use a longer window.')

  def hr_of(x: np.ndarray, where: str) -> float:
    if method == 'fft':
      return _fft_peak_bpm(x, fps, band, where)
    return _peak_bpm(x, fps, where)

  rows = {k: [] for k in ('pred_hr', 'true_hr', 'snr', 'video', 'start',
                          'stop')}
  skipped, unused = [], []
  for i, (pred, true) in enumerate(zip(pred_list, true_list)):
    p = _as_signal(pred, f'{name}: pred_signals[{i}]')
    t = _as_signal(true, f'{name}: true_signals[{i}]')
    if p.size != t.size:
      raise ValueError(f'{name}: video {i}: the prediction has {p.size} '
                       f'frames but the ground truth {t.size}; trim both to '
                       f'the same length.')
    n = p.size
    if win is None:
      spans = [(0, n)]
    else:
      spans = sliding_windows(n, win, stride_frames, partial=partial)
    kept = [(s, e) for s, e in spans if e - s >= min_len]
    if not kept:
      skipped.append((i, n))
      continue
    covered = np.zeros(n, dtype=bool)
    for s, e in kept:
      covered[s:e] = True
    # Uncovered frames as maximal runs (in practice one trailing run).
    edges = np.flatnonzero(np.diff(np.concatenate(
        [[False], ~covered, [False]]).astype(np.int8)))
    unused.extend((i, int(a), int(b)) for a, b in zip(edges[::2],
                                                        edges[1::2]))
    for s, e in kept:
      where = f'{name}: video {i}, frames [{s}, {e})'
      pw, tw = p[s:e], t[s:e]
      if diff:
        pw, tw = np.cumsum(pw), np.cumsum(tw)
      pw = _preprocess(pw, fps, band, lam, filter, order, where)
      tw = _preprocess(tw, fps, band, lam, filter, order, where)
      hr_pred = hr_of(pw, where + ', prediction')
      hr_true = hr_of(tw, where + ', ground truth')
      snr = _snr_of(pw, hr_true, fps, band, where + ', SNR')
      for key, value in (('pred_hr', hr_pred), ('true_hr', hr_true),
                         ('snr', snr), ('video', i), ('start', s),
                         ('stop', e)):
        rows[key].append(value)
  num_windows = len(rows['video'])
  if num_windows < 2:
    raise ValueError(
        f'{name}: only {num_windows} window(s) could be evaluated over '
        f'{len(pred_list)} video(s) (skipped, too short: {skipped}); the '
        f'metrics need at least 2. Use a shorter window, or hr_fft / '
        f'hr_peaks for a single signal.')
  per_window = {}
  for key, values in rows.items():
    dtype = np.int64 if key in ('video', 'start', 'stop') else np.float64
    per_window[key] = np.asarray(values, dtype=dtype)
  metrics = hr_metrics(per_window['pred_hr'], per_window['true_hr'],
                       per_window['snr'], rmse_se=rmse_se)
  return {'per_window': per_window, 'metrics': metrics, 'skipped': skipped,
          'unused': unused, 'num_videos': len(pred_list),
          'num_windows': num_windows}
