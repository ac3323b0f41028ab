r"""SimPer on your own folder of videos (``video_folder``).

    python -m simper_jax.main --config=experiments/video_folder.py \
        --config.data.path=DIR --workdir=/tmp/my_videos

DIR: any folder of videos OpenCV reads (mp4, avi, mov, mkv, webm; any
resolution and frame rate, any sub-folders) and optionally
``DIR/labels.csv`` with columns ``file`` (path relative to DIR) and
``target`` (in ``data.target_unit``: ``hz``, the default, or
``--config.data.target_unit=bpm``), labelling some, all or none of the
files; an optional ``split`` column (train/test) fixes a file's split. Every
video is centre-cropped to a square, resized to ``data.size`` (112),
resampled to ``data.fps`` (0 = the folder's most common frame rate) and cut
into windows of ``data.num_frames`` (64) frames every ``data.hop`` frames
(0 = half a window); all windows of a file are in one split (a seeded
``data.test_fraction`` = 0.2 of the files are test). SimPer pretrains on
every training window, labelled or not; the readouts (FFT peak, scaled FFT,
ridge probe) are fitted on the labelled windows and scored on the labelled
test windows. Unreadable, empty and too-short files and labels naming
missing files are listed in the build report (printed, and in
``eval/metrics.json``). See tfds_builders/video_folder/README.md.
Hardware: one GPU or TPU core (3-D ResNet-18). Wall time and result on
real videos: not measured (no accelerator or real folder here).

synthetic (no data needed; the CPU demo):
    python -m simper_jax.main --config=experiments/video_folder.py:synthetic \
        --workdir=/tmp/video_folder_synthetic
  Generates (once, in ~5 s) 48 videos of shapes that rotate, swing, pulse
  in colour or move at known frequencies (0.8-3.0 Hz), in five containers,
  three frame rates and four sizes, 4 unlabelled and one corrupt file,
  under DATA_DIR/downloads/manual/video_folder_synthetic (or
  ``--config.data.path``), then trains the small reference 3-D CNN on
  windows of 64 frames at 15 fps (32x32, views 16x16). Measured
  2026-12-01 on the 2-core development CPU (AMD EPYC VM): 2 min 9 s wall
  from an empty data folder (generation, build, 300 steps at 2.7 steps/s,
  evaluation of the trained and the untrained encoder). Test MAE on the
  10 held-out files (36 windows): fft 0.0014 Hz, fft_scaled 0.0014 Hz,
  linear probe 0.012 Hz (untrained: 0.342, 0.341, 0.396 Hz).

smoke (tests): the builder's dummy_data/ (3 tiny videos, 1 corrupt file),
2 steps.

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
      'video_folder', arg, {'synthetic', 'smoke', 'init_only'})
  c = config_common.base(method)

  # fps = 0: the most common frame rate of the folder (resolved from the
  # video headers before anything reads the config).
  c.data = config_common.data(
      'video_folder', target_unit='hz', fps=0.0,
      path='',  # the folder of videos (required unless synthetic)
      synthetic=False,  # True: generate a demo folder (path or DATA_DIR)
      size=112, num_frames=64,
      hop=0,  # frames between window starts; 0 = num_frames // 2
      test_fraction=0.2, split_seed=0)

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
  # Hz; the frame rate is the folder's, unknown here: bins above Nyquist
  # simply do not exist.
  c.method.band = (0.25, 15.0)
  c.eval.band = (0.25, 15.0)
  c.num_epochs = 50.0

  if 'synthetic' in variants:
    c.data.synthetic = True
    # 15 fps (the videos are 24-30 fps): 3 Hz at a 2x speed-up is still
    # below Nyquist, and half the frames of 30 fps keep the CPU run short.
    c.data.fps = 15.0
    c.data.size = 32
    c.data.num_frames = 64  # 4.3 s: 3.4 cycles at 0.8 Hz
    c.data.hop = 16
    c.model.name = 'cnn3d'
    c.model.channels = (16, 32)
    c.method.out_size = (16, 16)
    c.method.num_speeds = 5
    c.method.num_frames = 32
    c.method.band = (0.4, 7.5)
    c.batch_size = 8
    c.num_train_steps = 300
    c.optim.learning_rate = 3e-3
    c.log_every_steps = 25
    c.checkpoint_every_steps = 100
    c.eval.batch_size = 32
    c.eval.band = (0.5, 4.0)  # the targets are 0.8-3.0 Hz
  if 'smoke' in variants:
    c.data.path = os.path.join(_ROOT, 'tfds_builders', 'video_folder',
                               'dummy_data')
    c.data.synthetic = False
    c.data.fps = 10.0
    c.data.size = 16
    c.data.num_frames = 16
    c.data.hop = 8
    c.model.widths = (4, 8, 8, 8)
    c.model.blocks_per_stage = (1, 1, 1, 1)
    c.model.channels = (4, 8)
    c.method.out_size = ()
    c.method.num_frames = 8
    c.eval.band = (0.5, 5.0)
    config_common.smoke(c, steps=2, batch_size=4, eval_batch_size=4)
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
