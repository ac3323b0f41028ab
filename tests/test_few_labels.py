"""The label-budget study: harmonic hits and the readouts per budget."""

from __future__ import annotations

import numpy as np
import pytest

from simper_jax import datasets
from simper_jax import few_labels
from simper_jax import studies
from tfds_builders import common
from tests.evaluation.series import FPS, sines


def test_harmonic_hits_by_hand():
  true = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
  # exact, 2f, f/3 within 5%, 1.5f (no), 4.15 (within 5% of 2f = 4),
  # 1.8 = 0.9f (no)
  pred = np.array([1.0, 2.0, 0.34, 1.5, 4.15, 1.8])
  hits = [True, True, True, False, True, False]
  assert few_labels.harmonic_hits(pred, true) == pytest.approx(
      np.mean(hits))


def test_curve_counts_files_and_one_label_fixes_the_harmonic(tmp_path,
                                                             monkeypatch):
  """Features at 2f, 4 windows per file: with the label of one file the
  scaled FFT is right; without labels the raw FFT is 2f, a harmonic hit."""
  rng = np.random.default_rng(0)
  def split(n_files, seed):
    f = np.repeat(rng.uniform(0.5, 3.0, n_files), 4)
    groups = np.repeat([f'f{i:02d}.mp4' for i in range(n_files)], 4)
    return sines(2 * f, rng.uniform(0, 6, f.size), noise=0.05,
                 seed=seed), f, groups
  x_tr, y_tr, g_tr = split(12, 1)
  y_tr[:4] = np.nan  # one unlabelled file: never counted as labelled
  x_te, y_te, g_te = split(5, 2)
  npz = tmp_path / 'features.npz'
  np.savez(npz, train_features=x_tr, train_frequency=y_tr, train_file=g_tr,
           test_features=x_te, test_frequency=y_te, test_file=g_te)
  config = studies.base_config('experiments/rotating_digits.py:smoke')
  config.data.fps = FPS
  # RotatingDigits has no group: each clip counts as a file.
  out = few_labels.curve(str(npz), config, counts=(1, 2, 50), seed=0)
  assert out['num_files'] == 11 * 4  # the labelled clips
  assert set(out['points']) == {1, 2}  # 50 > the labelled clips: skipped
  # A dataset whose clips come from files counts files.
  grouped = common.Dataset(name='rotating_digits', make_builder=None,
                           target='frequency', group='file')
  monkeypatch.setattr(datasets, 'plugin', lambda cfg: grouped)
  out = few_labels.curve(str(npz), config, counts=(1, 2, 50), seed=0)
  assert out['num_files'] == 11
  assert set(out['points']) == {1, 2}
  assert out['points'][1]['fft_scaled'] < 0.05
  # One file (4 windows) cannot be cross-validated by file: no probe; two
  # files can (2 folds, one file each).
  assert 'linear_probe' not in out['points'][1]
  assert 'linear_probe' in out['points'][2]
  assert out['zero_label']['harmonic_hits'] == 1.0
  assert out['zero_label']['fft_mae'] == pytest.approx(np.mean(y_te),
                                                       rel=0.05)
