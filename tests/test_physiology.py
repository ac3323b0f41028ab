"""simper_jax.physiology against direct-loop references and known answers.

The pulse processing it rests on is tested in
``tfds_builders/signals_test.py``. NumPy/SciPy only: nothing here imports
JAX.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax import physiology as ph
from simper_jax.evaluation import scores
from tests import refs
from tfds_builders import signals

FPS = 30.0


def _time(n, fps=FPS):
  return np.arange(n) / fps


# --------------------------------------------------------------------------
# SNR.


def test_snr_hand_computed_on_exact_bins():
  # 256 samples at 32 fps: no padding, bins every 0.125 Hz, every tone an
  # integer number of cycles, so the periodogram is exactly two lines.
  # True HR 75 bpm: f1 = 1.25 Hz (bin 10), f2 = 2.5 Hz; the 2 Hz tone is
  # noise. SNR = 10 log10(2^2 / 1^2) = 20 log10 2 = 6.0206 dB.
  fps = 32.0
  t = _time(256, fps)
  x = 2.0 * np.cos(2 * np.pi * 1.25 * t) + np.cos(2 * np.pi * 2.0 * t)
  got = ph.snr_db(x, 75.0, fps, detrend_lambda=None, filter=False)
  assert got == pytest.approx(20 * math.log10(2.0), abs=1e-9)
  assert signals.hr_fft(x, fps, detrend_lambda=None, filter=False) == 75.0


def test_snr_tone_at_true_hr_high_wrong_hr_negative():
  t = _time(600)
  tone = np.sin(2 * np.pi * 1.2 * t)
  assert ph.snr_db(tone, 72.0, FPS) > 10.0
  assert ph.snr_db(np.sin(2 * np.pi * 1.8 * t), 72.0, FPS) < -10.0


def test_snr_matches_direct_loop():
  fps = 10.0
  n = 60  # Padded to 64: bins every 0.15625 Hz.
  rng = np.random.default_rng(4)
  x = np.sin(2 * np.pi * 1.3 * _time(n, fps)) + rng.standard_normal(n)
  hr = 80.0  # f1 = 1.333 Hz; f2 = 2.667 Hz lies above the band, counted.
  pre = signals.bandpass(signals.detrend(x, 100.0), fps)
  freqs, power = refs.loop_periodogram(list(pre), fps)
  sig = noise = 0.0
  for f, p in zip(freqs, power):
    near1 = hr / 60 - 0.1 <= f <= hr / 60 + 0.1
    near2 = 2 * hr / 60 - 0.1 <= f <= 2 * hr / 60 + 0.1
    if near1:
      sig += p
    if near2:
      sig += p
    if 0.75 <= f <= 2.5 and not near1 and not near2:
      noise += p
  expected = 10 * math.log10(sig / noise)
  assert ph.snr_db(x, hr, fps) == pytest.approx(expected, abs=1e-9)


def test_snr_errors():
  good = np.sin(2 * np.pi * 1.2 * _time(300))
  with pytest.raises(ValueError, match='hr_true_bpm'):
    ph.snr_db(np.ones(100), 0.0, FPS)
  with pytest.raises(ValueError, match='undefined'):
    ph.snr_db(np.zeros(100), 72.0, FPS)
  with pytest.raises(ValueError, match='no periodogram bin of the band'):
    ph.snr_db(good, 72.0, FPS, band=(1.1, 1.3))
  # The pulse processing's validation (tfds_builders.signals) applies.
  with pytest.raises(ValueError, match=r'snr_db: the signal is empty'):
    ph.snr_db([], 72.0, FPS)
  with pytest.raises(ValueError, match=r'snr_db: .*non-finite.*\[\[7\]\]'):
    ph.snr_db(np.where(np.arange(300) == 7, np.inf, good), 72.0, FPS)
  with pytest.raises(ValueError, match='snr_db: fps must be'):
    ph.snr_db(good, 72.0, 0.0)
  with pytest.raises(ValueError, match=r'Nyquist = fps / 2 = 2 Hz'):
    ph.snr_db(good, 72.0, 4.0)
  with pytest.raises(ValueError, match='at least 10 samples'):
    ph.snr_db(good[:9], 72.0, FPS)


# --------------------------------------------------------------------------
# Metrics.


def test_hr_metrics_hand_computed():
  pred = [70.0, 80.0, 90.0, 100.0]
  true = [72.0, 78.0, 95.0, 100.0]
  snr = [1.0, 2.0, 3.0, 6.0]
  # err = [-2, 2, -5, 0]; |err| = [2, 2, 5, 0], mean 2.25, squared
  # deviations [0.0625, 0.0625, 7.5625, 5.0625], sum 12.75.
  # err^2 = [4, 4, 25, 0], mean 8.25, squared deviations [18.0625, 18.0625,
  # 280.5625, 68.0625], sum 384.75.
  # pred - 85 = [-15, -5, 5, 15]; true - 86.25 = [-14.25, -8.25, 8.75,
  # 13.75]; cross sum 505, sums of squares 500 and 536.75.
  # snr: mean 3, squared deviations [4, 1, 0, 9], sum 14.
  rel = [2 / 72, 2 / 78, 5 / 95, 0.0]
  rel_mean = sum(rel) / 4
  rel_std = math.sqrt(sum((r - rel_mean) ** 2 for r in rel) / 4)
  r = 505 / math.sqrt(500 * 536.75)
  expected = {
      'n': 4,
      'MAE': 2.25,
      'MAE_se': math.sqrt(12.75 / 4) / 2,
      'RMSE': math.sqrt(8.25),
      'RMSE_se': math.sqrt(math.sqrt(384.75 / 4) / 2),
      'MAPE': 100 * rel_mean,
      'MAPE_se': 100 * rel_std / 2,
      'Pearson': r,
      'Pearson_se': math.sqrt((1 - r ** 2) / 2),
      'SNR': 3.0,
      'SNR_se': math.sqrt(14 / 4) / 2,
  }
  got = ph.hr_metrics(pred, true, snr)
  assert set(got) == set(expected)
  for key, value in expected.items():
    assert got[key] == pytest.approx(value, rel=1e-12), key
  assert got['Pearson'] == pytest.approx(0.974811, abs=1e-6)
  assert got['MAPE'] == pytest.approx(2.6512, abs=1e-4)
  legacy = ph.hr_metrics(pred, true, rmse_se='legacy')
  assert legacy['RMSE_se'] == pytest.approx(math.sqrt(384.75 / 4) / 2)
  assert 'SNR' not in legacy


def test_hr_metrics_pearson_is_scores_pearson():
  rng = np.random.default_rng(6)
  pred = 70.0 + 10.0 * rng.standard_normal(9)
  true = pred + rng.standard_normal(9)
  assert ph.hr_metrics(pred, true)['Pearson'] == scores.pearson(pred, true)


def test_hr_metrics_degenerate_pearson_is_nan():
  got = ph.hr_metrics([70.0, 75.0, 80.0], [72.0, 72.0, 72.0])
  assert math.isnan(got['Pearson']) and math.isnan(got['Pearson_se'])
  assert got['MAE'] == pytest.approx(13 / 3)
  two = ph.hr_metrics([70.0, 75.0], [72.0, 80.0])
  assert two['Pearson'] == pytest.approx(1.0)
  assert math.isnan(two['Pearson_se'])  # n - 2 = 0.


def test_hr_metrics_errors():
  with pytest.raises(ValueError, match='differ in length, 3 vs 2'):
    ph.hr_metrics([1.0, 2.0, 3.0], [1.0, 2.0])
  with pytest.raises(ValueError, match='at least 2'):
    ph.hr_metrics([70.0], [72.0])
  with pytest.raises(ValueError, match=r'pred_bpm: 1 non-finite'):
    ph.hr_metrics([70.0, np.nan], [72.0, 75.0])
  with pytest.raises(ValueError, match=r'true_bpm must be > 0.*\[1\]'):
    ph.hr_metrics([70.0, 75.0], [72.0, 0.0])
  with pytest.raises(ValueError, match='one SNR per window'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], snr=[1.0])
  with pytest.raises(ValueError, match=r'snr: 1 non-finite'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], snr=[1.0, -np.inf])
  with pytest.raises(ValueError, match=r'true_bpm: expected a 1-D'):
    ph.hr_metrics([70.0, 75.0], [[72.0, 75.0]])
  with pytest.raises(ValueError, match='rmse_se'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], rmse_se='delta')
