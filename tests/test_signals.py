"""tfds_builders.signals against direct-loop references and known answers.

NumPy/SciPy only: nothing here imports JAX, TensorFlow or simper_jax.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests import refs
from tfds_builders import signals

FPS = 30.0


def _time(n, fps=FPS):
  return np.arange(n) / fps


def _dense_detrend(z, lam):
  """(I - (I + lam^2 D2' D2)^-1) z with D2 built entry by entry."""
  n = len(z)
  d2 = np.zeros((n - 2, n))
  for i in range(n - 2):
    d2[i, i] = 1.0
    d2[i, i + 1] = -2.0
    d2[i, i + 2] = 1.0
  system = np.eye(n) + lam ** 2 * d2.T @ d2
  return z - np.linalg.solve(system, z)


# --------------------------------------------------------------------------
# Validators.


def test_check_finite_and_as_series():
  signals.check_finite(np.zeros((2, 3)), 'x')
  with pytest.raises(ValueError, match=r'x: 2 non-finite.*\(2, 3\).*'
                     r'\[\[0, 1\], \[1, 2\]\]\.$'):
    signals.check_finite(np.array([[0, np.nan, 0], [0, 0, np.inf]]), 'x')
  with pytest.raises(ValueError, match=r'\[\[1\]\]; clean them\.$'):
    signals.check_finite(np.array([0, np.nan]), 'x', hint='clean them')
  out = signals.as_series([[1, 2], [3, 4]], 'f')
  assert out.dtype == np.float64 and out.shape == (2, 2)
  for bad in ([1.0, 2.0], [[1.0]], np.zeros((0, 3))):
    with pytest.raises(ValueError, match=r'f: series must be \[N, L\]'):
      signals.as_series(bad, 'f')
  with pytest.raises(ValueError, match='f: 1 non-finite'):
    signals.as_series([[1.0, np.nan]], 'f')


def test_as_signal():
  out = signals.as_signal([1, 2, 3], 'f')
  assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
  with pytest.raises(ValueError, match='f: the signal is empty'):
    signals.as_signal([], 'f')
  with pytest.raises(ValueError, match=r'f: expected a 1-D signal.*\(2, 2\)'):
    signals.as_signal(np.zeros((2, 2)), 'f')
  with pytest.raises(ValueError, match='could not convert'):
    signals.as_signal(['a', 'b'], 'f')
  with pytest.raises(ValueError, match=r'f: 1 non-finite.*\[\[2\]\]; clean'):
    signals.as_signal([0.0, 1.0, np.nan], 'f')


def test_check_fps():
  assert signals.check_fps(30) == 30.0
  for bad in (0.0, -1.0, float('nan'), float('inf')):
    with pytest.raises(ValueError, match='g: fps must be a finite positive'):
      signals.check_fps(bad, 'g')
  with pytest.raises(ValueError, match='fps must be a number'):
    signals.check_fps('fast', 'g')


def test_check_band():
  assert signals.check_band((0, 2)) == (0.0, 2.0)
  assert signals.check_band((1, 1)) == (1.0, 1.0)
  assert signals.check_band((1, 15), fps=30.0) == (1.0, 15.0)
  with pytest.raises(ValueError, match='band must be'):
    signals.check_band((1,))
  with pytest.raises(ValueError, match='0 <= low <= high'):
    signals.check_band((2, 1))
  for bad in ((0, 1), (1, 1)):
    with pytest.raises(ValueError, match='0 < low < high'):
      signals.check_band(bad, positive=True)
  with pytest.raises(ValueError, match=r'not exceed Nyquist = fps / 2 = 15'):
    signals.check_band((1, 15.5), fps=30.0)
  # A filter's edge must stay strictly below Nyquist.
  with pytest.raises(ValueError, match=r'h: band \(1, 15\) Hz must stay '
                     r'below Nyquist = fps / 2 = 15 Hz at 30 fps; lower'):
    signals.check_band((1, 15), 'h', fps=30.0, positive=True)


def test_check_lambda_and_order():
  assert signals.check_lambda(100, 'f') == 100.0
  assert signals.check_lambda(None, 'f', allow_none=True) is None
  for bad in (None, 0.0, -1.0, float('inf'), 'x'):
    with pytest.raises(ValueError, match='f: the detrending lambda must'):
      signals.check_lambda(bad, 'f')
  assert signals.check_order(2, 'f') == 2
  for bad in (0, 1.0, '1'):
    with pytest.raises(ValueError, match='f: order must be an int >= 1'):
      signals.check_order(bad, 'f')


# --------------------------------------------------------------------------
# detrend and bandpass.


@pytest.mark.parametrize('n,lam', [(7, 1.0), (40, 10.0), (120, 100.0)])
def test_detrend_matches_dense_solve(n, lam):
  rng = np.random.default_rng(n)
  z = rng.standard_normal(n) + 0.05 * np.arange(n)
  np.testing.assert_allclose(signals.detrend(z, lam), _dense_detrend(z, lam),
                             rtol=0, atol=1e-9)


def test_detrend_removes_trends_keeps_sinusoid():
  n = 600
  k = np.arange(n)
  t = _time(n)
  linear = 3.0 - 0.2 * k
  # A linear trend is in the null space of D2: removed exactly.
  np.testing.assert_allclose(signals.detrend(linear), 0.0, atol=1e-8)
  quadratic = 0.5 + 0.01 * k + 1e-4 * k ** 2  # Range ~42.
  # Away from the ends (where D2' D2 q != 0) the quadratic goes too.
  assert np.abs(signals.detrend(quadratic)[150:-150]).max() < 1e-5
  tone = np.sin(2 * np.pi * 1.2 * t)
  out = signals.detrend(tone + quadratic)
  # Gain g / (1 + g), g = lam^2 (2 - 2 cos w)^2, at 1.2 Hz and 30 fps.
  w = 2 * np.pi * 1.2 / FPS
  g = 100.0 ** 2 * (2 - 2 * np.cos(w)) ** 2
  np.testing.assert_allclose(out[150:-150], g / (1 + g) * tone[150:-150],
                             atol=2e-3)


def test_detrend_errors():
  with pytest.raises(ValueError, match='at least 3 samples'):
    signals.detrend([1.0, 2.0])
  with pytest.raises(ValueError, match='lambda'):
    signals.detrend(np.zeros(10), lam=0.0)
  with pytest.raises(ValueError, match='non-finite'):
    signals.detrend([0.0, 1.0, np.nan, 2.0])


def test_bandpass_zero_phase_and_attenuation():
  n = 600
  t = _time(n)
  lo, hi = 0.75, 2.5
  # Digital centre of the bilinear-transformed Butterworth band-pass, where
  # the gain is exactly 1: the tone must come back unshifted.
  centre = FPS / np.pi * np.arctan(
      np.sqrt(np.tan(np.pi * lo / FPS) * np.tan(np.pi * hi / FPS)))
  tone = np.cos(2 * np.pi * centre * t + 0.3)
  np.testing.assert_allclose(signals.bandpass(tone, FPS)[100:-100],
                             tone[100:-100], atol=1e-3)
  for f in (0.1, 8.0):
    out = signals.bandpass(np.cos(2 * np.pi * f * t), FPS)
    assert np.abs(out[100:-100]).max() < 0.1, f
  with pytest.raises(ValueError, match='at least 10'):
    signals.bandpass(np.ones(9), FPS)
  with pytest.raises(ValueError, match='Nyquist'):
    signals.bandpass(tone, 4.0)


# --------------------------------------------------------------------------
# Heart rate.


def test_hr_fft_recovers_72_bpm_with_noise_and_trend():
  n = 600  # 20 s at 30 fps.
  k = np.arange(n)
  rng = np.random.default_rng(1)
  x = (np.sin(2 * np.pi * 1.2 * _time(n)) + 0.5 * rng.standard_normal(n)
       + 0.5 + 0.01 * k + 1e-4 * k ** 2)
  assert abs(signals.hr_fft(x, FPS) - 72.0) < 1.0


def test_periodogram_matches_direct_dft():
  fps = 8.0
  rng = np.random.default_rng(2)
  x = rng.standard_normal(24)  # Padded to 32 points.
  freqs, power = signals.periodogram(x, fps)
  ref_f, ref_p = refs.loop_periodogram(list(x), fps)
  np.testing.assert_allclose(freqs, ref_f, rtol=0, atol=1e-12)
  np.testing.assert_allclose(power, ref_p, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('lam', [None, 10.0])
def test_hr_fft_is_loop_periodogram_peak(lam):
  fps = 8.0
  t = _time(24, fps)
  rng = np.random.default_rng(3)
  x = np.sin(2 * np.pi * 1.6 * t) + 0.8 * rng.standard_normal(24)
  pre = list(x) if lam is None else list(signals.detrend(x, lam))
  freqs, power = refs.loop_periodogram(pre, fps)
  best_f, best_p = None, -1.0
  for f, p in zip(freqs, power):
    if 0.75 <= f <= 2.5 and p > best_p:  # Strict >: first maximum wins.
      best_f, best_p = f, p
  got = signals.hr_fft(x, fps, detrend_lambda=lam, filter=False)
  assert got == pytest.approx(60.0 * best_f, abs=1e-9)


def test_hr_fft_searches_the_band_only():
  t = _time(600)
  # A stronger 3 Hz tone (180 bpm) lies outside (0.75, 2.5) Hz.
  x = 3.0 * np.sin(2 * np.pi * 3.0 * t) + np.sin(2 * np.pi * 1.2 * t)
  assert abs(signals.hr_fft(x, FPS, filter=False) - 72.0) < 1.0
  assert abs(signals.hr_fft(x, FPS, band=(0.75, 4.0), filter=False)
             - 180.0) < 1.0


def test_hr_fft_ignores_a_strong_second_harmonic():
  # Narrow PPG-like pulses at 60 bpm keep a strong 2 Hz harmonic through
  # the first-order filter; the periodogram peak is still the fundamental.
  phase = (_time(600) * 60.0 / 60.0) % 1.0
  x = (np.exp(-((phase - 0.3) / 0.12) ** 2)
       + 0.3 * np.exp(-((phase - 0.65) / 0.12) ** 2))
  assert abs(signals.hr_fft(x, FPS) - 60.0) < 1.0


def test_hr_fft_errors():
  with pytest.raises(ValueError, match='no power in the band'):
    signals.hr_fft(np.zeros(100), FPS)
  with pytest.raises(ValueError, match='holds no periodogram bin'):
    signals.hr_fft(np.ones(16), FPS, band=(1.0, 1.1), detrend_lambda=None,
                   filter=False)


def test_hr_fft_bad_inputs_raise():
  good = np.sin(2 * np.pi * 1.2 * _time(300))
  with pytest.raises(ValueError, match='empty'):
    signals.hr_fft([], FPS)
  with pytest.raises(ValueError, match=r'non-finite.*index \[\[7\]\]'):
    signals.hr_fft(np.where(np.arange(300) == 7, np.inf, good), FPS)
  with pytest.raises(ValueError, match='1-D'):
    signals.hr_fft(good.reshape(2, 150), FPS)
  for fps in (0.0, -30.0, float('nan')):
    with pytest.raises(ValueError, match='fps must be'):
      signals.hr_fft(good, fps)
  with pytest.raises(ValueError, match=r'Nyquist = fps / 2 = 2 Hz'):
    signals.hr_fft(good, 4.0)  # Default band's 2.5 Hz is above Nyquist.
  with pytest.raises(ValueError, match='0 < low < high'):
    signals.hr_fft(good, FPS, band=(2.5, 0.75))
  with pytest.raises(ValueError, match='lambda'):
    signals.hr_fft(good, FPS, detrend_lambda=-1.0)
  with pytest.raises(ValueError, match='order must be'):
    signals.hr_fft(good, FPS, order=0)
  with pytest.raises(ValueError, match='at least 10 samples'):
    signals.hr_fft(good[:9], FPS)
