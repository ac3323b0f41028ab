r"""SimPer on your own folder of sensor recordings (``time_series``).

    python -m simper_jax.main --config=experiments/time_series.py \
        --config.data.path=DIR --workdir=/tmp/my_series

DIR: any folder (any sub-folders) of ``.npy`` arrays (``[T]`` or
``[T, C]``) and ``.csv`` tables (numeric columns; an optional ``time``
column in seconds gives each row's time stamp, so irregular sampling and
missing rows are handled) -- PPG, accelerometer, respiration, power,
temperature -- and optionally ``DIR/labels.csv`` with columns ``file``
(path relative to DIR) and ``target`` (in ``data.target_unit``: ``hz``,
the default, or ``--config.data.target_unit=bpm``) labelling some, all or
none of the files; an optional ``split`` column (train/test) fixes a file's
split. Files without time stamps are at ``--config.data.sample_rate=HZ``
(required when there are such files). The first ``data.channels`` (1)
channels are kept; every file is resampled to ``data.fps`` (0 = the
folder's most common rate) and cut into windows of ``data.num_frames``
(256) samples every ``data.hop`` (0 = half a window). Gaps (NaN, missing
time stamps) up to ``data.max_gap_s`` (0.5 s) are filled by linear
interpolation; windows touching longer ones are rejected (both counted).
All windows of a file are in one split (a seeded ``data.test_fraction`` =
0.2 of the files are test). SimPer pretrains on every training window,
labelled or not; the readouts (FFT peak, scaled FFT, ridge probe) are
fitted on the labelled windows and scored on the labelled test windows.
The encoder is a 1-D temporal CNN (``tcn1d``) that standardizes each window
per channel, so offsets, drift levels and gains do not matter. Everything
left out is listed in the build report (printed, and in
``eval/metrics.json``). See tfds_builders/time_series/README.md. Hardware:
a CPU suffices for folders of a few hours of recordings. Wall time and
result on real recordings: not measured (none are available here).

synthetic (no data needed; the CPU demo):
    python -m simper_jax.main --config=experiments/time_series.py:synthetic \
        --workdir=/tmp/time_series_synthetic
  Generates (once, in ~1 s) 48 recordings of 20-60 s -- 3-axis
  accelerometer-like motion and 3-channel PPG-like pulse waves at known
  rates of 0.8-3.0 Hz, with drift, noise, NaN gaps, dropped rows and
  irregular time stamps, at 25, 32, 50 and 64 Hz, 4 unlabelled and one
  corrupt file -- under DATA_DIR/downloads/manual/time_series_synthetic
  (or ``--config.data.path``), then trains the 1-D CNN on windows of 8 s
  at 32 Hz (the most common rate). Measured 2026-12-01 on the 2-core
  development CPU (AMD EPYC VM): 16 s wall from an empty data folder
  (300 steps at ~58 steps/s, evaluation of the trained and the untrained
  encoder included). Test MAE on the 10 held-out files (65 windows):
  fft 0.020 Hz, fft_scaled 0.020 Hz, linear probe 0.087 Hz (untrained:
  0.154, 0.156, 0.409 Hz).

smoke (tests): the builder's dummy_data/ (4 tiny recordings, 1 corrupt
file), 2 steps.

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
      'time_series', arg, {'synthetic', 'smoke', 'init_only'})
  c = config_common.base(method)

  # fps = 0: the most common input rate of the folder (resolved from the
  # files before anything reads the config).
  c.data = config_common.data(
      'time_series', target_unit='hz', fps=0.0,
      path='',  # the folder of recordings (required unless synthetic)
      synthetic=False,  # True: generate a demo folder (path or DATA_DIR)
      sample_rate=0.0,  # Hz of .npy files and CSVs without a time column
      channels=1,  # the first numeric columns kept (3 for accelerometers)
      num_frames=256,
      hop=0,  # samples between window starts; 0 = num_frames // 2
      test_fraction=0.2, split_seed=0,
      max_gap_s=0.5)  # longer gaps reject the windows touching them

  c.model = ml_collections.ConfigDict()
  c.model.name = 'tcn1d'
  c.model.channels = (32, 32, 32, 32)  # one width per dilated block
  c.model.kernel_size = 5
  c.model.dilations = (1, 2, 4, 8)  # receptive field 61 samples
  c.model.dtype = 'float32'
  c.model.bn_momentum = 0.9

  c.method.num_frames = 128  # (128 - 1) x 2.0 <= 256 - 1
  # Spatial augmentations mean nothing on a 1x1 "image", grayscale would
  # mix channels; brightness scales the amplitude, reversal flips time.
  c.method.augment.update({'crop_scale': (1.0, 1.0), 'blur_prob': 0.0,
                           'flip_prob': 0.0, 'grayscale_prob': 0.0,
                           'brightness': 0.3, 'reverse_prob': 0.5})
  # Hz; the rate is the folder's, unknown here: bins above Nyquist simply
  # do not exist.
  c.method.band = (0.25, 15.0)
  c.eval.band = (0.25, 15.0)
  c.num_epochs = 50.0

  if 'synthetic' in variants:
    c.data.synthetic = True
    c.data.sample_rate = 32.0  # the generated .npy and time-less CSVs
    c.data.channels = 3
    c.data.num_frames = 256  # 8 s at 32 Hz: 6.4 cycles at 0.8 Hz
    c.data.hop = 128
    # The generated values lie in [-5, 5]; this maps them into [0, 0.7],
    # where the views' brightness (x 0.7-1.3) and their [0, 1] clip
    # (simper_jax.augment) leave them intact. The encoder standardizes
    # each window anyway, so the map changes nothing else.
    c.data.input_normalize = ((-5.0, -5.0, -5.0), (14.3, 14.3, 14.3))
    c.method.num_frames = 128  # 4 s; (128 - 1) x 2.0 <= 256 - 1
    c.method.band = (0.3, 8.0)  # 0.8-3.0 Hz at speeds 0.5-2.0: 0.4-6 Hz
    c.batch_size = 8
    c.num_train_steps = 300
    c.optim.learning_rate = 3e-3
    c.log_every_steps = 25
    c.checkpoint_every_steps = 100
    c.eval.batch_size = 32
    c.eval.band = (0.5, 4.0)  # the targets are 0.8-3.0 Hz
  if 'smoke' in variants:
    c.data.path = os.path.join(_ROOT, 'tfds_builders', 'time_series',
                               'dummy_data')
    c.data.synthetic = False
    c.data.sample_rate = 10.0
    c.data.fps = 10.0
    c.data.num_frames = 16
    c.data.hop = 8
    c.data.test_fraction = 0.0  # labels.csv puts sub/c.csv in test
    c.model.channels = (4, 4)
    c.model.kernel_size = 3
    c.model.dilations = (1, 2)
    c.method.num_frames = 8
    c.method.band = (0.5, 5.0)
    c.eval.band = (0.5, 5.0)
    config_common.smoke(c, steps=2, batch_size=4, eval_batch_size=4)
  if 'init_only' in variants:
    c.eval.init_only = True
  return c
