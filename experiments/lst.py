r"""SimPer on land-surface temperature (LST) nowcasting, 3-D ResNet-18.

    python -m simper_jax.prepare lst --manual_dir=RAW --data_dir=TFDS_DIR
    python -m simper_jax.main --config=experiments/lst.py \
        --config.data.manual_dir=RAW --config.data.data_dir=TFDS_DIR \
        --workdir=/tmp/lst

RAW: hourly LST grids as NetCDF (GOES ABI-L2-LSTC files, or a plain
(time, y, x) ``LST`` variable), one sub-folder per region; see
tfds_builders/lst/README.md. Each example is a window of the past 7 days
of hourly 32x32 patches (LST in kelvin, standardized as (K - 290) / 20, and
the validity mask; cloudy or flagged pixels gap-filled in time) and the
target is the centre pixel's LST one hour after the window. SimPer learns
the periodic (diurnal) structure from the windows without targets; a ridge
probe on the frozen per-hour features then nowcasts the target (MAE in K,
Pearson r; the FFT readouts do not apply to a temperature). Splits by time:
train on the earlier 75 %, test on the later 25 %, no hour shared.
Hardware: one GPU or TPU core. Wall time and result: NOT measured (the
data cannot be downloaded to the development machine and no accelerator has
been lent yet).

smoke (tests): the builder's dummy_data/ (two tiny regions, 72 and 36
hours), 12-hour windows of 4x4 pixels, a tiny encoder, 2 steps.
"""

from __future__ import annotations

import os

import ml_collections

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """The config for ``arg``: comma-separated variants (see the docstring)."""
  variants, method = [], 'simper'
  for v in (arg or '').split(','):
    if v.startswith('method='):
      method = v[len('method='):]
    elif v:
      variants.append(v)
  known = {'smoke', 'init_only'}
  unknown = sorted(set(variants) - known)
  if unknown:
    raise ValueError(f'lst: unknown variant(s) {unknown}; choose from '
                     f'{sorted(known)} and method=NAME.')

  c = ml_collections.ConfigDict()
  c.seed = 0

  c.data = ml_collections.ConfigDict()
  c.data.name = 'lst'
  c.data.data_dir = ''
  c.data.manual_dir = ''  # '' = <data_dir>/downloads/manual/lst
  c.data.window_hours = 168
  c.data.patch = 32
  c.data.horizon_hours = 1
  c.data.stride_hours = 1
  c.data.test_fraction = 0.25
  c.data.video_key = 'patches'  # [T, P, P, 2]: LST (K) and validity
  # (offsets, scales) per channel: (K - 290) / 20; the mask as it is.
  c.data.input_normalize = ((290.0, 0.0), (20.0, 1.0))
  c.data.fps = 1.0  # one frame per hour: frequencies in cycles per hour
  c.data.train_split = 'train'
  c.data.eval_splits = ('train', 'test')
  c.data.target = 'lst'
  c.data.target_unit = 'kelvin'
  c.data.train_fraction = 1.0
  c.data.holdout_band = ()

  c.model = ml_collections.ConfigDict()
  c.model.name = 'r3d18'
  c.model.widths = (64, 128, 256, 512)
  c.model.blocks_per_stage = (2, 2, 2, 2)
  c.model.conv_impl = 'auto'
  c.model.dtype = 'float32'
  c.model.bn_momentum = 0.9

  c.method = ml_collections.ConfigDict()
  c.method.name = method
  c.method.num_speeds = 8
  c.method.num_frames = 64  # (64 - 1) x 2.0 <= 168 - 1
  c.method.speed_range = (0.5, 2.0)
  c.method.out_size = ()
  c.method.similarity = 'mxcorr'
  c.method.feature_temperature = 1.0
  c.method.label_kernel = 'l1'
  c.method.label_temperature = 0.1
  c.method.band = (0.01, 0.5)  # cycles per hour (the diurnal: 0.042)
  c.method.proj_hidden = 128
  c.method.proj_dim = 64
  c.method.temperature = 0.1
  c.method.ema = 0.99
  c.method.queue_size = 256
  c.method.supervised_loss = 'mae'

  c.batch_size = 16
  c.num_epochs = 20.0
  c.num_train_steps = -1

  c.optim = ml_collections.ConfigDict()
  c.optim.name = 'adam'
  c.optim.learning_rate = 1e-3
  c.optim.schedule = 'cosine'
  c.optim.decay_epochs = (12.0, 16.0)
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
  c.eval.batch_size = 32
  c.eval.band = (0.01, 0.5)  # cycles per hour, for the probe's spectrum
  c.eval.probe_folds = 5
  c.eval.probe_alphas = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)
  c.eval.num_spectra = 6

  if 'smoke' in variants:
    c.data.manual_dir = os.path.join(_ROOT, 'tfds_builders', 'lst',
                                     'dummy_data')
    c.data.window_hours = 12
    c.data.patch = 4
    c.model.widths = (4, 8, 8, 8)
    c.model.blocks_per_stage = (1, 1, 1, 1)
    c.method.num_speeds = 3
    c.method.num_frames = 6
    c.method.band = (0.05, 0.5)
    c.batch_size = 4
    c.num_train_steps = 2
    c.optim.schedule = 'constant'
    c.log_every_steps = 1
    c.checkpoint_every_steps = 2
    c.eval.compare_init = False
    c.eval.batch_size = 8
    c.eval.band = (0.05, 0.5)
    c.eval.probe_folds = 2
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
