"""What the experiment configs share: variant parsing and the default
method, optimizer, logging and evaluation sections (each experiment then
sets what differs)."""

from __future__ import annotations

import ml_collections


def parse_variants(name: str, arg: str | None, known: set[str]
                   ) -> tuple[list[str], str]:
  """``'smoke,method=simclr'`` -> ``(['smoke'], 'simclr')``; unknown
  variants are an error listing the known ones."""
  variants, method = [], 'simper'
  for v in (arg or '').split(','):
    if v.startswith('method='):
      method = v[len('method='):]
    elif v:
      variants.append(v)
  unknown = sorted(set(variants) - set(known))
  if unknown:
    raise ValueError(f'{name}: unknown variant(s) {unknown}; choose from '
                     f'{sorted(known)} and method=NAME.')
  return variants, method


def base(method: str) -> ml_collections.ConfigDict:
  """A config with SimPer's (or ``method``'s) defaults in every section but
  ``data`` and ``model``."""
  c = ml_collections.ConfigDict()
  c.seed = 0

  c.method = ml_collections.ConfigDict()
  c.method.name = method  # simper, simclr, moco_v2, byol, cvrl, supervised
  c.method.num_speeds = 8
  c.method.num_frames = 64
  c.method.speed_range = (0.5, 2.0)
  c.method.out_size = ()  # () keeps the clip's size, else (H, W)
  # Periodicity-invariant augmentations (augment.ViewConfig): sensor series
  # ([T, 1, 1, C]) set grayscale_prob = 0 so channels are never mixed.
  c.method.augment = ml_collections.ConfigDict({
      'crop_scale': (0.6, 1.0), 'brightness': 0.3, 'blur_prob': 0.5,
      'flip_prob': 0.5, 'grayscale_prob': 0.2, 'reverse_prob': 0.5})
  c.method.similarity = 'mxcorr'
  c.method.feature_temperature = 1.0
  c.method.label_kernel = 'l1'
  c.method.label_temperature = 0.1
  c.method.band = (0.25, 15.0)
  c.method.proj_hidden = 128
  c.method.proj_dim = 64
  c.method.temperature = 0.1  # simclr, moco_v2
  c.method.ema = 0.99  # byol / moco_v2 target network
  c.method.queue_size = 256  # moco_v2 negatives
  c.method.supervised_loss = 'mae'  # supervised: 'mae' or 'mse'

  c.batch_size = 8  # global, clips per step
  c.num_epochs = 20.0
  c.num_train_steps = -1  # > 0 overrides num_epochs

  c.optim = ml_collections.ConfigDict()
  c.optim.name = 'adam'
  c.optim.learning_rate = 1e-3
  c.optim.schedule = 'cosine'  # 'step', 'cosine' or 'constant'
  c.optim.decay_epochs = (12.0, 16.0)  # 'step' only
  c.optim.decay_factors = (0.1, 0.01)  # 'step' only
  c.optim.warmup_steps = 0
  c.optim.weight_decay = 0.0
  c.optim.grad_clip_norm = 1.0  # 0 = off

  c.log_every_steps = 50
  c.checkpoint_every_steps = 500
  c.keep_checkpoints = 3

  c.eval = ml_collections.ConfigDict()
  c.eval.init_only = False  # evaluate the untrained encoder (the floor)
  c.eval.compare_init = True  # also evaluate the untrained encoder
  c.eval.batch_size = 16  # clips per forward pass (global)
  c.eval.band = (0.25, 15.0)  # Hz, FFT readout and probe spectrum
  c.eval.probe_folds = 5
  c.eval.probe_alphas = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)
  c.eval.num_spectra = 6  # feature spectra shown in the figure
  # Other datasets tested with the readouts fitted here: name -> raw folder
  # ("<name>_<cross_split>" in metrics.json).
  c.eval.cross_datasets = ml_collections.ConfigDict()
  c.eval.cross_split = 'test'
  return c


def data(name: str, *, target_unit: str, fps: float,
         **options) -> ml_collections.ConfigDict:
  """A ``data`` section: the fields the pipeline reads, then ``options``
  (the dataset plug-in's builder options, e.g. sizes).

  Args:
    name: the dataset (``tfds_builders.registry``).
    target_unit: selects the task kind (``simper_jax.tasks``): ``hz``,
      ``bpm``, ``count`` or ``kelvin``.
    fps: frames per second of the clips.
    **options: builder options and overrides of the defaults below.
  """
  d = ml_collections.ConfigDict()
  d.name = name
  d.data_dir = ''  # '' = TFDS default ($TFDS_DATA_DIR or ~/...)
  d.manual_dir = ''  # raw download; '' = <data_dir>/downloads/manual/NAME
  d.fps = float(fps)
  d.target_unit = target_unit
  d.train_split = 'train'
  d.eval_splits = ('train', 'test')
  # Data efficiency: a seeded random fraction of the training clips, used
  # for pretraining and for fitting the readouts alike.
  d.train_fraction = 1.0
  # Zero-shot: (low, high) target band held out of training; evaluation
  # adds "<split>_heldout", the clips inside it. () = none.
  d.holdout_band = ()
  # Float clips: per-channel (offsets, scales), x -> (x - offset) / scale.
  d.input_normalize = ()
  # Feeding the accelerator: batches read (and placed on the devices) ahead
  # of the step in a background thread, and grain worker processes that
  # read and decode examples (0: in that thread). Neither changes the
  # batches or the exact resume.
  d.prefetch = 2
  d.worker_count = 0
  d.update(options)
  return d


def smoke(c: ml_collections.ConfigDict, *, steps: int, batch_size: int,
          eval_batch_size: int) -> None:
  """The tiny-run settings the ``smoke`` variants share (in place)."""
  c.method.num_speeds = 3
  c.batch_size = batch_size
  c.num_train_steps = steps
  c.optim.schedule = 'constant'
  c.log_every_steps = 1
  c.checkpoint_every_steps = steps
  c.eval.compare_init = False
  c.eval.batch_size = eval_batch_size
  c.eval.probe_folds = 2
