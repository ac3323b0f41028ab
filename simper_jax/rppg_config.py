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

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENCODERS = {'scamps': 'cnn3d', 'ubfc_rppg': 'tscan', 'pure': 'tscan'}


def get_config(dataset: str, arg: str | None = None
               ) -> ml_collections.ConfigDict:
  """The config of ``dataset`` for the variants in ``arg``."""
  if dataset not in ENCODERS:
    raise ValueError(f'unknown heart-rate dataset {dataset!r}; choose one '
                     f'of {sorted(ENCODERS)}.')
  variants, method = [], 'simper'
  for v in (arg or '').split(','):
    if v.startswith('method='):
      method = v[len('method='):]
    elif v:
      variants.append(v)
  known = {'smoke', 'init_only'} | ({'cross'} if dataset == 'scamps'
                                     else set())
  unknown = sorted(set(variants) - known)
  if unknown:
    raise ValueError(f'{dataset}: unknown variant(s) {unknown}; choose from '
                     f'{sorted(known)} and method=NAME.')

  c = ml_collections.ConfigDict()
  c.seed = 0

  c.data = ml_collections.ConfigDict()
  c.data.name = dataset
  c.data.data_dir = ''  # '' = TFDS default ($TFDS_DATA_DIR or ~/...)
  c.data.manual_dir = ''  # the raw download (see the builder's docstring)
  c.data.image_size = 72
  c.data.chunk_length = 180  # frames per example (6 s at 30 fps)
  c.data.fps = 30.0
  c.data.train_split = 'train'
  c.data.eval_splits = ('train', 'test')
  c.data.target = 'heart_rate'
  c.data.target_unit = 'bpm'
  c.data.train_fraction = 1.0
  c.data.holdout_band = ()

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

  c.method = ml_collections.ConfigDict()
  c.method.name = method
  c.method.num_speeds = 8
  c.method.num_frames = 90  # (90 - 1) x 2.0 <= 180 - 1
  c.method.speed_range = (0.5, 2.0)
  c.method.out_size = ()
  c.method.similarity = 'mxcorr'
  c.method.feature_temperature = 1.0
  c.method.label_kernel = 'l1'
  c.method.label_temperature = 0.1
  c.method.band = (0.5, 5.0)
  c.method.proj_hidden = 128
  c.method.proj_dim = 64
  c.method.temperature = 0.1
  c.method.ema = 0.99
  c.method.queue_size = 256
  c.method.supervised_loss = 'mae'

  c.batch_size = 8
  c.num_epochs = 30.0
  c.num_train_steps = -1

  c.optim = ml_collections.ConfigDict()
  c.optim.name = 'adam'
  c.optim.learning_rate = 1e-3
  c.optim.schedule = 'cosine'
  c.optim.decay_epochs = (20.0, 25.0)
  c.optim.decay_factors = (0.1, 0.01)
  c.optim.warmup_steps = 0
  c.optim.weight_decay = 0.0
  c.optim.grad_clip_norm = 1.0

  c.log_every_steps = 50
  c.checkpoint_every_steps = 500
  c.keep_checkpoints = 3

  c.eval = ml_collections.ConfigDict()
  c.eval.init_only = False
  c.eval.compare_init = True
  c.eval.batch_size = 16
  c.eval.band = (0.75, 2.5)  # Hz: 45-150 bpm
  c.eval.probe_folds = 5
  c.eval.probe_alphas = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)
  c.eval.num_spectra = 6
  # Other datasets tested with the readouts fitted here: name -> raw folder.
  c.eval.cross_datasets = ml_collections.ConfigDict()
  c.eval.cross_split = 'test'
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
    c.method.num_speeds = 3
    c.method.num_frames = 6
    c.batch_size = 4
    c.num_train_steps = 4
    c.optim.schedule = 'constant'
    c.log_every_steps = 2
    c.checkpoint_every_steps = 4
    c.eval.compare_init = False
    c.eval.batch_size = 4
    c.eval.probe_folds = 2
    if 'cross' in variants:
      c.eval.cross_datasets = ml_collections.ConfigDict({
          name: os.path.join(_ROOT, 'tfds_builders', name, 'dummy_data')
          for name in ('ubfc_rppg', 'pure')})
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
