r"""SimPer repetition counting on Countix, 3-D ResNet-18 encoder.

    python -m simper_jax.main --config=experiments/countix.py --workdir=DIR

does, on any machine:
- with Countix prepared in ``data.data_dir``, or preparable from
  ``--config.data.manual_dir=RAW`` (the three CSVs and the clips you
  downloaded; see tfds_builders/countix/README.md): pretrains SimPer on the
  training segments (no counts), then counts the repetitions of each
  segment from the frozen features: the FFT peak of the per-frame series
  (cycles per segment = frequency x duration; ``fft_scaled`` after one
  fitted factor) and a ridge probe; MAE, MAE / true count (RepNet's
  normalized MAE) and off-by-one accuracy on the Countix test rows that
  were found (the evaluated N and the manifest counts are written with the
  results). Hardware: one GPU or TPU core. Wall time and result: NOT
  measured (the clips cannot be downloaded to the development machine and
  no accelerator has been lent yet).
- without it: exits with status 1 and one message (what is missing, where
  it looked, how to get Countix), no traceback.

synthetic (no download; the README's counting demo on a 2-core CPU):
    python -m simper_jax.main --config=experiments/countix.py:synthetic \
        --workdir=/tmp/countix_synthetic
  Generated repetition videos (a disc moving or pulsing 2-8 times over the
  clip at a speed that varies within it), 48 frames of 32x32 (views resized
  to 16x16), the small reference 3-D CNN (16/32 channels) instead of
  R3D-18 so that it runs in minutes on a 2-core CPU; see the README for the
  measured time and counting accuracy.

smoke (tests): the builder's dummy_data/ (2 training clips), 2 steps.

Variants combine with ``init_only`` (the untrained encoder) and
``method=NAME`` (a baseline).
"""

from __future__ import annotations

import os

import ml_collections

from simper_jax import config_common

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """The config for ``arg``: comma-separated variants (see the docstring)."""
  variants, method = config_common.parse_variants(
      'countix', arg, {'synthetic', 'smoke', 'init_only'})
  c = config_common.base(method)

  # Nominal frame rate: counts are read as cycles per segment, so only the
  # ratio num_frames / fps (a nominal duration) matters.
  c.data = config_common.data(
      'countix', target_unit='count', fps=16.0,
      source='default',  # 'synthetic': generated, no download
      num_frames=64, image_size=112,
      num_train=800, num_test=400, count_range=(2, 12))  # synthetic only

  c.model = ml_collections.ConfigDict()
  c.model.name = 'r3d18'
  c.model.widths = (64, 128, 256, 512)
  c.model.blocks_per_stage = (2, 2, 2, 2)
  c.model.channels = (64, 128)  # cnn3d, if chosen
  c.model.kernel_size = (5, 3, 3)
  c.model.conv_impl = 'auto'
  c.model.dtype = 'float32'
  c.model.bn_momentum = 0.9

  c.method.num_frames = 32  # (32 - 1) x 2.0 <= 64 - 1
  c.method.band = (0.25, 8.0)  # Hz at the nominal fps: up to Nyquist
  c.num_epochs = 50.0
  # Hz at the nominal fps: from 1 cycle per segment to Nyquist.
  c.eval.band = (c.data.fps / c.data.num_frames, c.data.fps / 2)

  if 'synthetic' in variants:
    c.data.source = 'synthetic'
    c.data.num_frames = 48
    c.data.image_size = 32
    c.data.num_train = 400
    c.data.num_test = 200
    c.data.count_range = (2, 8)
    # The reference 3-D CNN on 16x16 views: a small R3D-18 (8-32 wide) ran
    # below 0.25 steps/s on the 2-core CPU, this at about 2 steps/s.
    c.model.name = 'cnn3d'
    c.model.channels = (16, 32)
    c.method.out_size = (16, 16)
    c.method.num_speeds = 5
    c.method.num_frames = 24  # (24 - 1) x 2.0 <= 48 - 1
    c.batch_size = 8
    c.num_train_steps = 300
    c.optim.learning_rate = 3e-3
    c.log_every_steps = 25
    c.checkpoint_every_steps = 100
    c.eval.batch_size = 32
  if 'smoke' in variants:
    c.data.manual_dir = os.path.join(_ROOT, 'tfds_builders', 'countix',
                                     'dummy_data')
    c.data.num_frames = 16
    c.data.image_size = 16
    c.model.widths = (4, 8, 8, 8)
    c.model.blocks_per_stage = (1, 1, 1, 1)
    c.method.num_frames = 8
    config_common.smoke(c, steps=2, batch_size=2, eval_batch_size=2)
  c.eval.band = (c.data.fps / c.data.num_frames, c.data.fps / 2)
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
