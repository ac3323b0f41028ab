"""rPPG-Toolbox's evaluation metrics: the SNR of a pulse, and HR metrics.

A host-side NumPy implementation of the metrics of rPPG-Toolbox
(github.com/ubicomplab/rPPG-Toolbox, ``evaluation/metrics.py``), written so
that numbers computed here can be compared with numbers from that toolbox:

* ``snr_db``: the toolbox's SNR of a predicted signal given the true HR;
* ``hr_metrics``: MAE, RMSE, MAPE, Pearson r (and SNR), each with the
  toolbox's standard error.

The pulse processing they rest on (``detrend``, ``bandpass``,
``periodogram``, ``hr_fft``, and its defaults ``DEFAULT_BAND``,
``DEFAULT_LAMBDA``, ``DEFAULT_ORDER``) is ``tfds_builders.signals``, shared
with the heart-rate builders, whose labels it computes.

Conventions of the toolbox followed here (read in several revisions; they
differ in details noted below):

* The SNR sums the periodogram within +-6 bpm (0.1 Hz, edges inclusive) of
  the true HR's first and second harmonics (the two windows summed
  separately, and not clipped to the band) over the rest of the band, in
  ``10 log10`` (recent revisions' ``power2db``; earlier ones used
  ``mag2db = 20 log10`` on the same power ratio, i.e. twice the dB).
* Standard errors use the population standard deviation (``np.std``,
  ``ddof=0``) over ``sqrt(n)``; the RMSE's follows recent revisions,
  ``sqrt(std(err^2) / sqrt(n))``, by default (see ``hr_metrics``).

Degenerate input raises ValueError instead of producing a number: no power
in the noise bins of the SNR (the toolbox returns 0 dB), fewer than two
(pred, true) pairs. Everything is float64 NumPy on the host.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from simper_jax.evaluation import scores
from tfds_builders import signals

# Half-width of the SNR's window around each harmonic: 6 bpm = 0.1 Hz.
SNR_HALF_WIDTH_HZ = 6.0 / 60.0
RMSE_SE = ('current', 'legacy')


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
  freqs, power = signals.periodogram(x, fps)
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
           band: Sequence[float] = signals.DEFAULT_BAND,
           detrend_lambda: float | None = signals.DEFAULT_LAMBDA,
           filter: bool = True, order: int = signals.DEFAULT_ORDER) -> float:
  """rPPG-Toolbox's SNR (dB) of a predicted pulse signal.

  The prediction is pre-processed as in ``signals.hr_fft`` and its
  ``signals.periodogram`` split into: signal bins, within +-6 bpm (0.1 Hz,
  inclusive) of the true HR's first harmonic ``f1 = hr / 60`` or second
  ``2 f1`` (not clipped to the band: a second harmonic above it still
  counts), and noise bins, the other bins with ``low <= f <= high``. The
  SNR is ``10 log10(signal power / noise power)``, the power of each being
  the sum of its bins.

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
  x, fps, band, lam, order = signals.check_pulse_args(
      pred_signal, fps, band, detrend_lambda, order, 'snr_db')
  hr = _check_hr(hr_true_bpm, 'snr_db')
  x = signals.preprocess(x, fps, band, lam, filter, order, 'snr_db')
  return _snr_of(x, hr, fps, band, 'snr_db')


# --------------------------------------------------------------------------
# Metrics.


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
  p = signals.as_signal(pred_bpm, 'hr_metrics: pred_bpm')
  t = signals.as_signal(true_bpm, 'hr_metrics: true_bpm')
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
  r = scores.pearson(p, t)
  out['Pearson'] = r
  out['Pearson_se'] = (float(np.sqrt((1.0 - r ** 2) / (n - 2)))
                       if n > 2 and np.isfinite(r) else float('nan'))
  if snr is not None:
    s = signals.as_signal(snr, 'hr_metrics: snr')
    if s.size != n:
      raise ValueError(f'hr_metrics: snr has {s.size} values but there are '
                       f'{n} (pred, true) pairs; pass one SNR per window.')
    out['SNR'] = float(np.mean(s))
    out['SNR_se'] = float(np.std(s) / root_n)
  return out
