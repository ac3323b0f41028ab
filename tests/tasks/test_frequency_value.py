"""The frequency kind (the FFT readout reads the target in Hz directly) and
the plain-value kind (no spectrum: the probe only), through the readouts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simper_jax import tasks
from simper_jax.evaluation import readouts

FPS = 30.0
L = 120


def _feats(freqs, seed):
  rng = np.random.default_rng(seed)
  t = np.arange(L) / FPS
  return np.sin(2 * np.pi * np.asarray(freqs)[:, None] * t +
                rng.uniform(0, 6.3, (len(freqs), 1)))


def test_frequency_fft_readout_is_the_peak_in_hz():
  task = tasks.get('hz')
  assert (task.unit, task.per_hz(L, FPS), task.per_hz(7, 1.0)) == (
      'Hz', 1.0, 1.0)
  rng = np.random.default_rng(1)
  y = {'train': rng.uniform(0.5, 5.0, 30), 'test': rng.uniform(0.5, 5.0, 20)}
  feats = {s: _feats(v, i) for i, (s, v) in enumerate(y.items())}
  metrics, fitted, preds = readouts.fit_readouts(
      feats, y, task, fps=FPS, band=(0.25, 15.0), train_split='train',
      folds=2, alphas=(1.0,))
  np.testing.assert_allclose(preds['test']['fft'], y['test'],
                             atol=5e-3)
  assert fitted.scale == pytest.approx(1.0, abs=5e-3)
  assert set(metrics['test']) == set(task.readouts)


def test_value_task_has_only_the_probe():
  task = tasks.get('kelvin')
  assert (task.name, task.unit, task.quantity) == ('value', 'K',
                                                   'temperature')
  assert task.readouts == ('linear_probe',)
  assert task.per_hz(L, FPS) is None
  rng = np.random.default_rng(2)
  # A value that the features' spectrum encodes linearly (not a rate).
  y = {'train': 280 + 10 * rng.uniform(0.5, 5.0, 40),
       'test': 280 + 10 * rng.uniform(0.5, 5.0, 20)}
  feats = {s: _feats((v - 280) / 10, i) for i, (s, v) in enumerate(y.items())}
  metrics, fitted, preds = readouts.fit_readouts(
      feats, y, task, fps=FPS, band=(0.25, 15.0), train_split='train',
      folds=2, alphas=(1e-3, 1.0))
  for s in ('train', 'test'):
    assert set(metrics[s]) == {'linear_probe'}
    assert set(preds[s]) == {'linear_probe'}
    assert set(metrics[s]['linear_probe']) == set(task.metrics)
  assert math.isnan(fitted.scale)  # no FFT readout was fitted
  assert metrics['test']['linear_probe']['mae'] < 2.0  # K, range 45 K
