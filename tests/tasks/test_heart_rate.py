"""The heart-rate kind: FFT readouts in bpm, the rPPG-Toolbox ``hr_fft``
readout and the ``rppg`` block of its metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax import physiology
from simper_jax import tasks
from simper_jax.evaluation import readouts
from simper_jax.tasks import heart_rate
from tfds_builders import signals

FPS = 30.0
BAND = (0.75, 2.5)  # Hz: 45-150 bpm, as the rPPG experiments


def _pulses(bpm, seconds=20.0, noise=0.1, seed=0):
  """Feature series: a noisy sine at each heart rate, random phase."""
  rng = np.random.default_rng(seed)
  t = np.arange(int(seconds * FPS)) / FPS
  bpm = np.asarray(bpm, float)
  x = np.sin(2 * np.pi * bpm[:, None] / 60 * t +
             rng.uniform(0, 6.3, (bpm.size, 1)))
  return x + noise * rng.normal(size=x.shape)


def test_heart_rate_reads_bpm_and_adds_hr_fft():
  task = tasks.get('bpm')
  assert task is heart_rate.TASK
  assert (task.unit, task.per_hz(600, FPS)) == ('bpm', 60.0)
  assert task.readouts == ('fft', 'fft_scaled', 'linear_probe', 'hr_fft')


def test_hr_fft_readout_is_the_toolbox_rate_of_each_series():
  bpm = np.array([55.0, 72.0, 96.0, 130.0])
  feats = _pulses(bpm)
  got = heart_rate.TASK.extra_predictions(feats, FPS, BAND)
  assert set(got) == {'hr_fft'} and got['hr_fft'].shape == (4,)
  np.testing.assert_array_equal(
      got['hr_fft'], [signals.hr_fft(x, FPS, BAND) for x in feats])
  # 20 s at 30 fps: a 1024-point grid, 1.76 bpm apart.
  np.testing.assert_allclose(got['hr_fft'], bpm, atol=0.88 + 1e-9)


def test_split_scores_are_the_toolbox_metrics_with_snr():
  rng = np.random.default_rng(1)
  bpm = rng.uniform(50.0, 140.0, 6)
  feats = _pulses(bpm, seed=2)
  preds = {'hr_fft': bpm + rng.normal(size=6)}
  out = heart_rate.TASK.split_scores(preds, bpm, feats, FPS, BAND)
  snr = [physiology.snr_db(x, y, FPS, BAND) for x, y in zip(feats, bpm)]
  assert out == {'rppg': physiology.hr_metrics(preds['hr_fft'], bpm,
                                               snr=snr)}
  assert out['rppg']['SNR'] > 0  # clean pulses: most power at the HR


def test_split_scores_need_two_windows_and_note_a_failed_snr():
  one = _pulses([70.0])
  assert heart_rate.TASK.split_scores({'hr_fft': np.array([70.0])},
                                      np.array([70.0]), one, FPS, BAND) == {}
  # A band too narrow for the periodogram's bins: the HR metrics are still
  # scored; the SNR is left out with the reason.
  two = _pulses([70.0, 71.0], seconds=10.0)
  out = heart_rate.TASK.split_scores(
      {'hr_fft': np.array([70.0, 71.0])}, np.array([70.0, 72.0]), two, FPS,
      (1.16, 1.19))['rppg']
  assert 'SNR' not in out and out['note'].startswith('SNR not computed:')
  assert out['MAE'] == pytest.approx(0.5)


def test_fit_readouts_scores_hr_fft_and_the_rppg_block():
  rng = np.random.default_rng(3)
  y = {'train': rng.uniform(50.0, 140.0, 16),
       'test': rng.uniform(50.0, 140.0, 8)}
  feats = {s: _pulses(v, seconds=10.0, seed=i)
           for i, (s, v) in enumerate(y.items())}
  metrics, fitted, preds = readouts.fit_readouts(
      feats, y, heart_rate.TASK, fps=FPS, band=BAND, train_split='train',
      folds=2, alphas=(1.0,))
  for s in ('train', 'test'):
    assert set(metrics[s]) == {*heart_rate.TASK.readouts, 'rppg'}
    assert metrics[s]['rppg']['n'] == len(y[s])
    assert metrics[s]['rppg']['MAE'] == pytest.approx(
        metrics[s]['hr_fft']['mae'])
  # The FFT readout, in bpm, within the refined peak's error.
  assert metrics['test']['fft']['mae'] < 1.0
  assert math.isfinite(fitted.scale)
