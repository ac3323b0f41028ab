"""The heart-rate experiments' configs (``experiments/{scamps,ubfc,pure}.py``).

SimPer pretraining on face-video chunks (no labels), then the frozen
encoder's heart rate read out three ways on each split: the FFT peak of its
per-frame series in 0.75-2.5 Hz (``fft``; ``fft_scaled`` after one fitted
scale factor), a ridge probe (``linear_probe``), and the rPPG-Toolbox heart
rate of the series (``hr_fft``: detrend, band-pass, periodogram; with its
MAE, RMSE, MAPE, Pearson r and SNR and their standard errors under
``rppg`` in ``metrics.json``). Targets and errors in bpm.

Variants after a colon, comma-separated: ``smoke`` (the builder's
``dummy_data/``, a tiny encoder, 4 steps: tests), ``init_only`` (the
untrained encoder), ``cross`` (SCAMPS only: pretrain and fit the readouts
on SCAMPS, then also test on UBFC-rPPG and PURE, whose raw folders are
``--config.eval.cross_datasets.ubfc_rppg=DIR`` and ``...pure=DIR``),
``method=NAME`` (a baseline instead of SimPer).
"""

from __future__ import annotations

import os

import ml_collections

from simper_jax import config_common

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENCODERS = {'scamps': 'cnn3d', 'ubfc_rppg': 'tscan', 'pure': 'tscan'}


def get_config(dataset: str, arg: str | None = None
               ) -> ml_collections.ConfigDict:
  """The config of ``dataset`` for the variants in ``arg``."""
  if dataset not in ENCODERS:
    raise ValueError(f'unknown heart-rate dataset {dataset!r}; choose one '
                     f'of {sorted(ENCODERS)}.')
  known = {'smoke', 'init_only'} | ({'cross'} if dataset == 'scamps'
                                     else set())
  variants, method = config_common.parse_variants(dataset, arg, known)
  c = config_common.base(method)

  c.data = config_common.data(
      dataset, target_unit='bpm', fps=30.0, image_size=72,
      chunk_length=180)  # frames per example (6 s at 30 fps)

  c.model = ml_collections.ConfigDict()
  c.model.name = ENCODERS[dataset] if 'cross' not in variants else 'tscan'
  c.model.channels = (32, 64) if c.model.name == 'tscan' else (64, 128)
  c.model.kernel_size = (5, 3, 3)  # cnn3d
  c.model.conv_impl = 'auto'
  c.model.dtype = 'float32'
  c.model.bn_momentum = 0.9
  c.model.dense = 128  # tscan
  c.model.frame_depth = 10  # tscan: temporal-shift segment length
  c.model.dropout = 0.0

  c.method.num_frames = 90  # (90 - 1) x 2.0 <= 180 - 1
  c.method.band = (0.5, 5.0)
  c.num_epochs = 30.0
  c.eval.band = (0.75, 2.5)  # Hz: 45-150 bpm
  if 'cross' in variants:
    c.eval.cross_datasets = ml_collections.ConfigDict(
        {'ubfc_rppg': '', 'pure': ''})

  if 'smoke' in variants:
    c.data.manual_dir = os.path.join(_ROOT, 'tfds_builders', dataset,
                                     'dummy_data')
    c.data.image_size = 16
    c.data.chunk_length = 12
    c.model.channels = (4, 8)
    c.model.dense = 8
    c.model.frame_depth = 4
    c.method.num_frames = 6
    config_common.smoke(c, steps=4, batch_size=4, eval_batch_size=4)
    if 'cross' in variants:
      c.eval.cross_datasets = ml_collections.ConfigDict({
          name: os.path.join(_ROOT, 'tfds_builders', name, 'dummy_data')
          for name in ('ubfc_rppg', 'pure')})
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
