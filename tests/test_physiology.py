"""simper_jax.physiology against direct-loop references and known answers.

NumPy/SciPy only: nothing here imports JAX.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax import physiology as ph

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


def _loop_periodogram(x, fps):
  """One-sided density periodogram, zero-padded to the next power of 2."""
  n = len(x)
  nfft = 1
  while nfft < n:
    nfft *= 2
  freqs, power = [], []
  for k in range(nfft // 2 + 1):
    re = 0.0
    im = 0.0
    for t in range(n):
      re += x[t] * math.cos(2 * math.pi * k * t / nfft)
      im -= x[t] * math.sin(2 * math.pi * k * t / nfft)
    p = (re * re + im * im) / (fps * n)
    if 0 < k < nfft / 2:
      p *= 2  # One-sided: the negative frequency's power folded in.
    freqs.append(k * fps / nfft)
    power.append(p)
  return freqs, power


# --------------------------------------------------------------------------
# detrend and bandpass.


@pytest.mark.parametrize('n,lam', [(7, 1.0), (40, 10.0), (120, 100.0)])
def test_detrend_matches_dense_solve(n, lam):
  rng = np.random.default_rng(n)
  z = rng.standard_normal(n) + 0.05 * np.arange(n)
  np.testing.assert_allclose(ph.detrend(z, lam), _dense_detrend(z, lam),
                             rtol=0, atol=1e-9)


def test_detrend_removes_trends_keeps_sinusoid():
  n = 600
  k = np.arange(n)
  t = _time(n)
  linear = 3.0 - 0.2 * k
  # A linear trend is in the null space of D2: removed exactly.
  np.testing.assert_allclose(ph.detrend(linear), 0.0, atol=1e-8)
  quadratic = 0.5 + 0.01 * k + 1e-4 * k ** 2  # Range ~42.
  # Away from the ends (where D2' D2 q != 0) the quadratic goes too.
  assert np.abs(ph.detrend(quadratic)[150:-150]).max() < 1e-5
  tone = np.sin(2 * np.pi * 1.2 * t)
  out = ph.detrend(tone + quadratic)
  # Gain g / (1 + g), g = lam^2 (2 - 2 cos w)^2, at 1.2 Hz and 30 fps.
  w = 2 * np.pi * 1.2 / FPS
  g = 100.0 ** 2 * (2 - 2 * np.cos(w)) ** 2
  np.testing.assert_allclose(out[150:-150], g / (1 + g) * tone[150:-150],
                             atol=2e-3)


def test_detrend_errors():
  with pytest.raises(ValueError, match='at least 3 samples'):
    ph.detrend([1.0, 2.0])
  with pytest.raises(ValueError, match='lambda'):
    ph.detrend(np.zeros(10), lam=0.0)
  with pytest.raises(ValueError, match='non-finite'):
    ph.detrend([0.0, 1.0, np.nan, 2.0])


def test_bandpass_zero_phase_and_attenuation():
  n = 600
  t = _time(n)
  lo, hi = 0.75, 2.5
  # Digital centre of the bilinear-transformed Butterworth band-pass, where
  # the gain is exactly 1: the tone must come back unshifted.
  centre = FPS / np.pi * np.arctan(
      np.sqrt(np.tan(np.pi * lo / FPS) * np.tan(np.pi * hi / FPS)))
  tone = np.cos(2 * np.pi * centre * t + 0.3)
  np.testing.assert_allclose(ph.bandpass(tone, FPS)[100:-100],
                             tone[100:-100], atol=1e-3)
  for f in (0.1, 8.0):
    out = ph.bandpass(np.cos(2 * np.pi * f * t), FPS)
    assert np.abs(out[100:-100]).max() < 0.1, f
  with pytest.raises(ValueError, match='at least 10'):
    ph.bandpass(np.ones(9), FPS)


# --------------------------------------------------------------------------
# Heart rate.


def test_hr_fft_recovers_72_bpm_with_noise_and_trend():
  n = 600  # 20 s at 30 fps.
  k = np.arange(n)
  rng = np.random.default_rng(1)
  x = (np.sin(2 * np.pi * 1.2 * _time(n)) + 0.5 * rng.standard_normal(n)
       + 0.5 + 0.01 * k + 1e-4 * k ** 2)
  assert abs(ph.hr_fft(x, FPS) - 72.0) < 1.0


def test_periodogram_matches_direct_dft():
  fps = 8.0
  rng = np.random.default_rng(2)
  x = rng.standard_normal(24)  # Padded to 32 points.
  freqs, power = ph.periodogram(x, fps)
  ref_f, ref_p = _loop_periodogram(list(x), fps)
  np.testing.assert_allclose(freqs, ref_f, rtol=0, atol=1e-12)
  np.testing.assert_allclose(power, ref_p, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('lam', [None, 10.0])
def test_hr_fft_is_loop_periodogram_peak(lam):
  fps = 8.0
  t = _time(24, fps)
  rng = np.random.default_rng(3)
  x = np.sin(2 * np.pi * 1.6 * t) + 0.8 * rng.standard_normal(24)
  pre = list(x) if lam is None else list(ph.detrend(x, lam))
  freqs, power = _loop_periodogram(pre, fps)
  best_f, best_p = None, -1.0
  for f, p in zip(freqs, power):
    if 0.75 <= f <= 2.5 and p > best_p:  # Strict >: first maximum wins.
      best_f, best_p = f, p
  got = ph.hr_fft(x, fps, detrend_lambda=lam, filter=False)
  assert got == pytest.approx(60.0 * best_f, abs=1e-9)


def test_hr_fft_searches_the_band_only():
  t = _time(600)
  # A stronger 3 Hz tone (180 bpm) lies outside (0.75, 2.5) Hz.
  x = 3.0 * np.sin(2 * np.pi * 3.0 * t) + np.sin(2 * np.pi * 1.2 * t)
  assert abs(ph.hr_fft(x, FPS, filter=False) - 72.0) < 1.0
  assert abs(ph.hr_fft(x, FPS, band=(0.75, 4.0), filter=False)
             - 180.0) < 1.0


def _pulse_train(n, bpm, width=0.2, fps=FPS):
  """PPG-like pulses: a systolic and a smaller diastolic bump per beat."""
  phase = (_time(n, fps) * bpm / 60.0) % 1.0
  return (np.exp(-((phase - 0.3) / width) ** 2)
          + 0.3 * np.exp(-((phase - 0.65) / width) ** 2))


@pytest.mark.parametrize('bpm', [60.0, 75.0, 96.0, 120.0])
def test_hr_peaks_recovers_pulse_rate(bpm):
  x = _pulse_train(600, bpm) + 0.002 * np.arange(600)
  assert abs(ph.hr_peaks(x, FPS) - bpm) < 1.0


def test_hr_peaks_counts_every_local_maximum():
  # rPPG-Toolbox's convention: find_peaks without a minimum distance. Narrow
  # pulses at 60 bpm keep a strong 2 Hz harmonic through the first-order
  # filter, which adds a maximum per beat: the rate doubles (FFT is fine).
  x = _pulse_train(600, 60.0, width=0.12)
  assert abs(ph.hr_peaks(x, FPS) - 120.0) < 1.0
  assert abs(ph.hr_fft(x, FPS) - 60.0) < 1.0


def test_hr_peaks_needs_two_peaks():
  bump = np.exp(-((np.arange(30) - 15.0) / 4.0) ** 2)  # One maximum.
  with pytest.raises(ValueError, match='found 1 peak.*at least 2'):
    ph.hr_peaks(bump, FPS, detrend_lambda=None, filter=False)


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
  assert ph.hr_fft(x, fps, detrend_lambda=None, filter=False) == 75.0


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
  pre = ph.bandpass(ph.detrend(x, 100.0), fps)
  freqs, power = _loop_periodogram(list(pre), fps)
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
  with pytest.raises(ValueError, match='hr_true_bpm'):
    ph.snr_db(np.ones(100), 0.0, FPS)
  with pytest.raises(ValueError, match='undefined'):
    ph.snr_db(np.zeros(100), 72.0, FPS)


# --------------------------------------------------------------------------
# Input validation shared by the HR functions.


@pytest.mark.parametrize('func', ['hr_fft', 'hr_peaks', 'snr_db'])
def test_bad_inputs_raise(func):
  f = getattr(ph, func)
  good = np.sin(2 * np.pi * 1.2 * _time(300))
  extra = (72.0,) if func == 'snr_db' else ()

  def call(x, fps=FPS, **kw):
    return f(x, *extra, fps, **kw)

  with pytest.raises(ValueError, match='empty'):
    call([])
  with pytest.raises(ValueError, match=r'non-finite.*index \[7\]'):
    call(np.where(np.arange(300) == 7, np.inf, good))
  with pytest.raises(ValueError, match='1-D'):
    call(good.reshape(2, 150))
  for fps in (0.0, -30.0, float('nan')):
    with pytest.raises(ValueError, match='fps must be'):
      call(good, fps=fps)
  with pytest.raises(ValueError, match=r'Nyquist = fps / 2 = 2 Hz'):
    call(good, fps=4.0)  # Default band's 2.5 Hz is above Nyquist.
  with pytest.raises(ValueError, match='0 < low < high'):
    call(good, band=(2.5, 0.75))
  with pytest.raises(ValueError, match='at least 10 samples'):
    call(good[:9])


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
  with pytest.raises(ValueError, match=r'non-finite.*pred_bpm'):
    ph.hr_metrics([70.0, np.nan], [72.0, 75.0])
  with pytest.raises(ValueError, match=r'true_bpm must be > 0.*\[1\]'):
    ph.hr_metrics([70.0, 75.0], [72.0, 0.0])
  with pytest.raises(ValueError, match='one SNR per window'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], snr=[1.0])
  with pytest.raises(ValueError, match=r'non-finite.*snr'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], snr=[1.0, -np.inf])
  with pytest.raises(ValueError, match='rmse_se'):
    ph.hr_metrics([70.0, 75.0], [72.0, 75.0], rmse_se='delta')


# --------------------------------------------------------------------------
# Windows and dataset evaluation.


def test_sliding_windows():
  assert ph.sliding_windows(10, 4) == [(0, 4), (4, 8)]
  assert ph.sliding_windows(10, 4, 3) == [(0, 4), (3, 7), (6, 10)]
  assert ph.sliding_windows(10, 4, partial=True) == [(0, 4), (4, 8),
                                                     (8, 10)]
  assert ph.sliding_windows(3, 4) == []
  assert ph.sliding_windows(3, 4, partial=True) == [(0, 3)]
  assert ph.sliding_windows(0, 4, partial=True) == []
  assert ph.sliding_windows(8, 8) == [(0, 8)]
  with pytest.raises(ValueError, match='window must be an int >= 1'):
    ph.sliding_windows(10, 0)
  with pytest.raises(ValueError, match='stride'):
    ph.sliding_windows(10, 4, 1.5)


HRS = (66.0, 84.0, 100.0)
LENGTHS = (600, 360, 150)  # 20 s, 12 s, 5 s at 30 fps.


def _videos(diff=False):
  rng = np.random.default_rng(5)
  preds, trues = [], []
  for hr, n in zip(HRS, LENGTHS):
    t = _time(n)
    f = hr / 60.0
    true = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)
    pred = (0.5 * np.sin(2 * np.pi * f * t + 0.4)
            + 0.2 * rng.standard_normal(n) + 0.01 * np.arange(n))
    if diff:
      true, pred = np.diff(true, prepend=0.0), np.diff(pred, prepend=0.0)
    preds.append(pred)
    trues.append(true)
  return preds, trues


def _known_hr(video_index):
  return np.asarray(HRS)[video_index]


def test_evaluate_hr_windows_and_skipped_videos():
  preds, trues = _videos()
  out = ph.evaluate_hr(preds, trues, FPS, window=10)
  pw = out['per_window']
  assert out['num_videos'] == 3 and out['num_windows'] == 3
  np.testing.assert_array_equal(pw['video'], [0, 0, 1])
  np.testing.assert_array_equal(pw['start'], [0, 300, 0])
  np.testing.assert_array_equal(pw['stop'], [300, 600, 300])
  assert out['skipped'] == [(2, 150)]
  assert out['unused'] == [(1, 300, 360)]
  # 300-frame windows: FFT grid of 30 / 512 Hz = 3.5 bpm.
  known = _known_hr(pw['video'])
  assert np.abs(pw['pred_hr'] - known).max() <= 1.8
  assert np.abs(pw['true_hr'] - known).max() <= 1.8
  assert (pw['snr'] > 0).all()
  metrics = out['metrics']
  assert metrics['n'] == 3
  expected = ph.hr_metrics(pw['pred_hr'], pw['true_hr'], pw['snr'])
  assert metrics == expected
  # Each window equals the single-signal functions on its frames.
  assert pw['pred_hr'][1] == ph.hr_fft(preds[0][300:600], FPS)
  assert pw['snr'][2] == pytest.approx(
      ph.snr_db(preds[1][:300], pw['true_hr'][2], FPS), abs=1e-12)


def test_evaluate_hr_overlap_whole_and_partial():
  preds, trues = _videos()
  out = ph.evaluate_hr(preds, trues, FPS, window=10, stride=5)
  np.testing.assert_array_equal(out['per_window']['video'], [0, 0, 0, 1])
  np.testing.assert_array_equal(out['per_window']['start'],
                                [0, 150, 300, 0])
  assert out['skipped'] == [(2, 150)]
  assert out['unused'] == [(1, 300, 360)]

  whole = ph.evaluate_hr(preds, trues, FPS)
  assert whole['num_windows'] == 3 and whole['skipped'] == []
  np.testing.assert_array_equal(whole['per_window']['stop'], LENGTHS)
  # Half the FFT grid step 60 * fps / N, N = 1024, 512, 256.
  half_step = 0.5 * 60 * FPS / np.array([1024, 512, 256])
  assert (np.abs(whole['per_window']['true_hr'] - HRS) <= half_step).all()

  # rPPG-Toolbox's windowing: remainders and short videos are evaluated.
  tool = ph.evaluate_hr(preds, trues, FPS, window=10, partial=True)
  pw = tool['per_window']
  np.testing.assert_array_equal(pw['video'], [0, 0, 1, 1, 2])
  np.testing.assert_array_equal(pw['start'], [0, 300, 0, 300, 0])
  np.testing.assert_array_equal(pw['stop'], [300, 600, 300, 360, 150])
  assert tool['skipped'] == [] and tool['unused'] == []


def test_evaluate_hr_peak_and_diff():
  preds, trues = _videos()
  out = ph.evaluate_hr(preds, trues, FPS, method='peak')
  assert np.abs(out['per_window']['true_hr'] - np.asarray(HRS)).max() < 2
  d_preds, d_trues = _videos(diff=True)
  diff = ph.evaluate_hr(d_preds, d_trues, FPS, diff=True)
  # Integrated back, the differenced signals give the same rates.
  plain = ph.evaluate_hr(preds, trues, FPS)
  for key in ('pred_hr', 'true_hr'):
    np.testing.assert_array_equal(diff['per_window'][key],
                                  plain['per_window'][key])
  # Without diff=True the differenced signals are read as they are.
  assert not np.array_equal(
      ph.evaluate_hr(d_preds, d_trues, FPS)['per_window']['snr'],
      diff['per_window']['snr'])


def test_evaluate_hr_errors():
  preds, trues = _videos()
  with pytest.raises(ValueError, match='3 predicted signals but 2'):
    ph.evaluate_hr(preds, trues[:2], FPS)
  with pytest.raises(ValueError, match='video 1: .*360 frames.*359'):
    ph.evaluate_hr(preds, [trues[0], trues[1][:-1], trues[2]], FPS)
  bad = [trues[0], trues[1], np.where(np.arange(150) == 4, np.nan,
                                      trues[2])]
  with pytest.raises(ValueError, match=r'true_signals\[2\].*non-finite'):
    ph.evaluate_hr(preds, bad, FPS)
  with pytest.raises(ValueError, match='6 frames.*at least 10'):
    ph.evaluate_hr(preds, trues, FPS, window=0.2)
  with pytest.raises(ValueError, match='fps must be'):
    ph.evaluate_hr(preds, trues, 0.0)
  with pytest.raises(ValueError, match='Nyquist'):
    ph.evaluate_hr(preds, trues, 4.0)
  with pytest.raises(ValueError, match='method must be one of'):
    ph.evaluate_hr(preds, trues, FPS, method='welch')
  with pytest.raises(ValueError, match='stride=5 needs a window'):
    ph.evaluate_hr(preds, trues, FPS, stride=5)
  with pytest.raises(ValueError, match='wrap it in a list'):
    ph.evaluate_hr(preds[0], trues[0], FPS)
  with pytest.raises(ValueError, match=r'only 0 window.*\(2, 150\)'):
    ph.evaluate_hr(preds, trues, FPS, window=30)
  with pytest.raises(ValueError, match='no videos'):
    ph.evaluate_hr([], [], FPS)
  # A window whose HR cannot be computed is named.
  flat = [np.zeros(600), trues[0]]
  with pytest.raises(ValueError, match=r'video 0, frames \[0, 300\)'):
    ph.evaluate_hr(flat, [trues[0], trues[0]], FPS, window=10)
