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

from simper_jax import config_common

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """The config for ``arg``: comma-separated variants (see the docstring)."""
  variants, method = config_common.parse_variants(
      'lst', arg, {'smoke', 'init_only'})
  c = config_common.base(method)

  # One frame per hour: frequencies in cycles per hour. The clip is a
  # window of patches [T, P, P, 2]: LST (K) and validity; they are
  # standardized per channel, (K - 290) / 20, the mask as it is.
  c.data = config_common.data(
      'lst', target_unit='kelvin', fps=1.0, window_hours=168, patch=32,
      horizon_hours=1, stride_hours=1, test_fraction=0.25,
      input_normalize=((290.0, 0.0), (20.0, 1.0)))

  c.model = ml_collections.ConfigDict()
  c.model.name = 'r3d18'
  c.model.widths = (64, 128, 256, 512)
  c.model.blocks_per_stage = (2, 2, 2, 2)
  c.model.conv_impl = 'auto'
  c.model.dtype = 'float32'
  c.model.bn_momentum = 0.9

  c.method.band = (0.01, 0.5)  # cycles per hour (the diurnal: 0.042)
  c.batch_size = 16
  c.eval.batch_size = 32
  c.eval.band = (0.01, 0.5)  # cycles per hour, for the probe's spectrum

  if 'smoke' in variants:
    c.data.manual_dir = os.path.join(_ROOT, 'tfds_builders', 'lst',
                                     'dummy_data')
    c.data.window_hours = 12
    c.data.patch = 4
    c.model.widths = (4, 8, 8, 8)
    c.model.blocks_per_stage = (1, 1, 1, 1)
    c.method.num_frames = 6
    c.method.band = (0.05, 0.5)
    c.eval.band = (0.05, 0.5)
    config_common.smoke(c, steps=2, batch_size=4, eval_batch_size=8)
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
