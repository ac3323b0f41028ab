"""TFDS ArrayRecord data -> grain -> per-host batches -> global batches.

    prepared dataset -> tfds data source -> grain: per-epoch shuffle from the
    seed, shard by JAX process, batch per host -> global jax.Array

No TensorFlow: the builders write ArrayRecord, read by random access. The
train iterator is a grain ``DataLoader`` iterator, whose state is saved in
the checkpoint so a resumed run reads exactly the batches an uninterrupted
run would. Pretraining batches carry only the raw clips (no labels).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from typing import Any, Callable, Iterator

import grain
import jax
import ml_collections
import numpy as np
import tensorflow_datasets as tfds

from simper_jax import partitioning


def _rotating_digits_builder(cfg: ml_collections.ConfigDict, data_dir):
  from tfds_builders import rotating_digits  # pylint: disable=g-import-not-at-top
  named = {c.name: c for c in rotating_digits.Builder.BUILDER_CONFIGS}
  if cfg.source not in named:
    raise ValueError(f'data.source={cfg.source!r} is not a RotatingDigits '
                     f'source; choose one of {sorted(named)}.')
  base = named[cfg.source]
  sizes = dict(train_per_class=cfg.train_per_class,
               test_per_class=cfg.test_per_class, num_frames=cfg.num_frames,
               fps=cfg.fps)
  if all(getattr(base, k) == v for k, v in sizes.items()):
    config = base
  else:  # A custom size gets its own, self-describing data folder.
    name = (f'{cfg.source}_tr{cfg.train_per_class}_te{cfg.test_per_class}'
            f'_t{cfg.num_frames}_fps{cfg.fps:g}').replace('.', 'p')
    config = dataclasses.replace(base, name=name, **sizes)
  return rotating_digits.Builder(config=config, data_dir=data_dir,
                                 file_format='array_record')


def _rppg_builder(module: str):
  """Builder factory of a heart-rate dataset (``tfds_builders.<module>``).

  ``data.image_size`` and ``data.chunk_length`` other than the defaults
  (72, 180) give a self-describing config, so each pre-processing has its
  own data folder.
  """

  def make(cfg: ml_collections.ConfigDict, data_dir):
    import importlib  # pylint: disable=g-import-not-at-top
    builder_cls = importlib.import_module(f'tfds_builders.{module}').Builder
    base = builder_cls.BUILDER_CONFIGS[0]
    sizes = dict(image_size=int(cfg.get('image_size', base.image_size)),
                 chunk_length=int(cfg.get('chunk_length', base.chunk_length)))
    if all(getattr(base, k) == v for k, v in sizes.items()):
      config = base
    else:
      config = dataclasses.replace(
          base, name=f's{sizes["image_size"]}_t{sizes["chunk_length"]}',
          description=(f'{sizes["image_size"]}x{sizes["image_size"]} face '
                       f'crops, {sizes["chunk_length"]}-frame chunks.'),
          **sizes)
    return builder_cls(config=config, data_dir=data_dir,
                       file_format='array_record')

  return make


def _countix_builder(cfg: ml_collections.ConfigDict, data_dir):
  """Countix: ``data.source`` ``'default'`` (real) or ``'synthetic'``.

  Sizes other than a config's defaults give a self-describing config name.
  """
  from tfds_builders import countix  # pylint: disable=g-import-not-at-top
  named = {c.name: c for c in countix.Builder.BUILDER_CONFIGS}
  source = cfg.get('source', 'default')
  if source not in named:
    raise ValueError(f'data.source={source!r} is not a Countix config; '
                     f'choose one of {sorted(named)}.')
  base = named[source]
  fields = ['num_frames', 'image_size'] + (
      ['num_train', 'num_test', 'count_range'] if base.synthetic else [])
  sizes = {k: cfg.get(k, getattr(base, k)) for k in fields}
  sizes = {k: tuple(v) if k == 'count_range' else int(v)
           for k, v in sizes.items()}
  if all(getattr(base, k) == v for k, v in sizes.items()):
    config = base
  else:
    short = {'num_frames': 't', 'image_size': 's', 'num_train': 'tr',
             'num_test': 'te', 'count_range': 'c'}
    name = base.name + ''.join(
        f'_{short[k]}{"-".join(map(str, v)) if isinstance(v, tuple) else v}'
        for k, v in sizes.items() if getattr(base, k) != v)
    config = dataclasses.replace(
        base, name=name, description=f'{base.description} Custom: {sizes}.',
        **sizes)
  return countix.Builder(config=config, data_dir=data_dir,
                         file_format='array_record')


def _lst_builder(cfg: ml_collections.ConfigDict, data_dir):
  from tfds_builders import lst  # pylint: disable=g-import-not-at-top
  return lst.builder_for(cfg, data_dir)


# name -> (dataset config, data_dir) -> TFDS builder. New datasets join here.
BUILDERS: dict[str, Callable[..., tfds.core.DatasetBuilder]] = {
    'rotating_digits': _rotating_digits_builder,
    'scamps': _rppg_builder('scamps'),
    'ubfc_rppg': _rppg_builder('ubfc_rppg'),
    'pure': _rppg_builder('pure'),
    'countix': _countix_builder,
    'lst': _lst_builder,
}


def get_builder(cfg: ml_collections.ConfigDict) -> tfds.core.DatasetBuilder:
  """The TFDS builder named by ``cfg`` (a config's ``data`` section)."""
  if cfg.name not in BUILDERS:
    raise ValueError(f'unknown data.name {cfg.name!r}; choose one of '
                     f'{sorted(BUILDERS)}.')
  return BUILDERS[cfg.name](cfg, os.path.expanduser(cfg.data_dir) or None)


def prepare(cfg: ml_collections.ConfigDict) -> tfds.core.DatasetBuilder:
  """Builds the dataset unless it is already prepared; returns its builder.

  In a multi-process run only process 0 writes; the others wait for it.
  """
  builder = get_builder(cfg)
  if jax.process_index() == 0 and not _prepared(builder):
    build(builder, cfg.get('manual_dir', '') or '')
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    multihost_utils.sync_global_devices('simper_jax.input_pipeline.prepare')
    builder = get_builder(cfg)  # re-read the info written by process 0
  if not _prepared(builder):
    raise FileNotFoundError(
        f'dataset {builder.info.full_name} is not prepared in '
        f'{builder.data_dir}; process 0 should have built it. Check that '
        'data.data_dir is on storage shared by all hosts.')
  return builder


def build(builder: tfds.core.DatasetBuilder, manual_dir: str = '') -> None:
  """``download_and_prepare`` (ArrayRecord), leaving nothing on failure.

  Raw data read from ``manual_dir`` for the datasets that need a manual
  download (default ``<data_dir>/downloads/manual/<name>``). If the build
  fails, every file and folder it created under the
  builder's data folder is removed before the error propagates.
  """
  top = os.path.dirname(os.path.dirname(os.path.dirname(builder.data_dir)))
  root = os.path.join(top, builder.name)  # data_dir/name
  top_existed = os.path.isdir(top)
  top_before = set(os.listdir(top)) if top_existed else set()
  before = _tree(root)
  manual = os.path.expanduser(manual_dir) if manual_dir else None
  instructions = getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', None)
  needs_manual = getattr(builder, 'needs_manual_dir', lambda: True)()
  if instructions and needs_manual:  # check before TFDS creates any folder
    from tfds_builders import rppg_common  # pylint: disable=g-import-not-at-top
    # Not given: TFDS's conventional place, <data_dir>/downloads/manual/NAME.
    manual = manual or os.path.join(top, 'downloads', 'manual', builder.name)
    rppg_common.require_manual_dir(manual, builder.name, instructions)
  print(f'Preparing {builder.info.full_name} in {builder.data_dir} ...',
        flush=True)
  try:
    builder.download_and_prepare(
        file_format='array_record',
        download_config=tfds.download.DownloadConfig(manual_dir=manual))
  except BaseException:
    if not top_existed:
      shutil.rmtree(top, ignore_errors=True)
    else:
      new = ({os.path.join(top, x) for x in os.listdir(top)} -
             {os.path.join(top, x) for x in top_before})
      new |= _tree(root) - before
      for path in sorted(new, key=len, reverse=True):
        if os.path.isdir(path) and not os.path.islink(path):
          shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
          os.remove(path)
    raise


def _tree(root: str) -> set[str]:
  out = set()
  for d, dirs, files in os.walk(root):
    out.add(d)
    out.update(os.path.join(d, x) for x in dirs + files)
  return out


def _prepared(builder) -> bool:
  return os.path.exists(os.path.join(builder.data_dir, 'dataset_info.json'))


def split_size(builder, split: str) -> int:
  """Number of examples in ``split``, with a clear error if it is unknown."""
  splits = builder.info.splits
  if split not in splits:
    raise ValueError(f'{builder.info.full_name} has no split {split!r}; it '
                     f'has {sorted(splits)}.')
  return splits[split].num_examples


class Subset:
  """The examples ``indices`` of a random-access source, as a source."""

  def __init__(self, source, indices: np.ndarray):
    self.source = source
    self.indices = np.asarray(indices, np.int64)

  def __len__(self) -> int:
    return len(self.indices)

  def __getitem__(self, i):
    return self.source[int(self.indices[i])]

  def __repr__(self) -> str:
    # grain checks a restored iterator against repr(source): make it a
    # fingerprint of the selection, the same in a resumed run.
    digest = hashlib.sha1(self.indices.tobytes()).hexdigest()[:16]
    return f'Subset({self.source!r}, n={len(self)}, indices={digest})'


def _targets(source, key: str) -> np.ndarray:
  return np.array([float(source[i][key]) for i in range(len(source))])


def select(source, cfg: ml_collections.ConfigDict, *, role: str,
           seed: int) -> tuple[Any, str]:
  """Applies ``cfg.train_fraction`` and ``cfg.holdout_band`` to a source.

  Args:
    source: a split's random-access source.
    cfg: the config's ``data`` section.
    role: ``'train'`` (pretraining and probe fitting: a seeded random
      ``train_fraction`` of the clips whose target is outside the held-out
      band) or ``'heldout'`` (the clips whose target is inside the band).
    seed: the subset's seed (same subset for pretraining and probing).

  Returns:
    ``(source, description)``: the subset (``source`` itself when nothing
    is selected) and a line saying how many clips were kept and why.
  """
  n = len(source)
  band = tuple(cfg.holdout_band)
  if band and not (len(band) == 2 and band[0] < band[1]):
    raise ValueError(f'data.holdout_band must be (low, high) with low < '
                     f'high, got {band}.')
  if not 0 < cfg.train_fraction <= 1:
    raise ValueError(f'data.train_fraction must be in (0, 1], got '
                     f'{cfg.train_fraction}.')
  keep = np.arange(n)
  notes = []
  if band:
    y = _targets(source, cfg.target)
    inside = (y >= band[0]) & (y <= band[1])
    keep = keep[inside] if role == 'heldout' else keep[~inside]
    notes.append(f'{len(keep)} of {n} clips '
                 f'{"inside" if role == "heldout" else "outside"} the '
                 f'held-out {cfg.target} band {band}')
  if role == 'train' and cfg.train_fraction < 1:
    m = max(1, int(round(cfg.train_fraction * len(keep))))
    keep = np.sort(np.random.default_rng(seed).permutation(keep)[:m])
    notes.append(f'train_fraction {cfg.train_fraction:g}: {m} clips kept')
  if role == 'heldout' and not band:
    raise ValueError('role="heldout" needs data.holdout_band.')
  if len(keep) == 0:
    raise ValueError(f'no clips left after selection ({"; ".join(notes)}).')
  if len(keep) == n:
    return source, f'all {n} clips'
  return Subset(source, keep), '; '.join(notes)


def clip_array(value, normalize=()) -> np.ndarray:
  """An example's clip as the model reads it.

  Integer videos stay uint8 (the model divides by 255 on device). Float
  inputs (e.g. land-surface temperature in kelvin) become float32,
  standardized per channel with ``normalize = (offsets, scales)`` when
  given (``data.input_normalize``).
  """
  x = np.asarray(value)
  if np.issubdtype(x.dtype, np.integer):
    return x.astype(np.uint8)
  x = x.astype(np.float32)
  if normalize:
    offset, scale = (np.asarray(v, np.float32) for v in normalize)
    x = (x - offset) / scale
  return x


@dataclasses.dataclass(frozen=True)
class _SelectClip(grain.transforms.Map):
  """Keeps the clip, and the label only when asked (supervised training):
  self-supervised pretraining never sees a label."""
  video_key: str = 'video'
  label_key: str | None = None
  normalize: tuple = ()

  def map(self, example):
    out = {'clip': clip_array(example[self.video_key], self.normalize)}
    if self.label_key:
      out['label'] = np.float32(example[self.label_key])
    return out


def per_host_batch_size(global_batch_size: int) -> int:
  """This process's share of ``global_batch_size`` (an error if uneven)."""
  n = jax.process_count()
  if global_batch_size < 1 or global_batch_size % n:
    raise ValueError(f'batch_size {global_batch_size} must be a positive '
                     f'multiple of the {n} processes.')
  return global_batch_size // n


def train_loader(source, *, global_batch_size: int, seed: int,
                 process_index: int | None = None,
                 process_count: int | None = None,
                 label_key: str | None = None, video_key: str = 'video',
                 normalize: tuple = ()) -> grain.DataLoader:
  """An endless, shuffled, per-process grain loader of raw-clip batches.

  Args:
    source: a random-access data source (``builder.as_data_source(split)``)
      of examples with a ``video`` uint8 ``[T, H, W, C]`` feature.
    global_batch_size: clips per step over all processes.
    seed: the shuffle seed; each epoch is reshuffled from it.
    process_index, process_count: this process's shard (default: JAX's).
    label_key: also yield this feature as ``label`` float32 (supervised
      methods only).
    video_key: the clip's feature (``video``; ``patches`` for LST).
    normalize: per-channel ``(offsets, scales)`` for float clips.

  Returns:
    A ``grain.DataLoader``; ``iter(loader)`` yields ``{'clip': uint8
    [per_host, T, H, W, C]}`` and has ``get_state``/``set_state``.
  """
  pi = jax.process_index() if process_index is None else process_index
  pc = jax.process_count() if process_count is None else process_count
  if not 0 <= pi < pc:
    raise ValueError(f'process_index {pi} not in [0, {pc}).')
  if global_batch_size < 1 or global_batch_size % pc:
    raise ValueError(f'batch_size {global_batch_size} must be a positive '
                     f'multiple of the {pc} processes.')
  per_host = global_batch_size // pc
  if len(source) // pc < per_host:
    raise ValueError(f'each of the {pc} processes holds {len(source) // pc} '
                     f'examples, fewer than its batch of {per_host}.')
  # drop_remainder: every process gets the same number of records; the
  # len % pc records left over each epoch are reported by the caller.
  shard = grain.sharding.ShardOptions(shard_index=pi, shard_count=pc,
                                      drop_remainder=True)
  sampler = grain.samplers.IndexSampler(
      num_records=len(source), shard_options=shard, shuffle=True,
      num_epochs=None, seed=seed)
  return grain.DataLoader(
      data_source=source, sampler=sampler,
      operations=[_SelectClip(video_key=video_key, label_key=label_key,
                              normalize=tuple(normalize)),
                  grain.transforms.Batch(per_host, drop_remainder=True)],
      worker_count=0)


def to_global(host_batch: dict[str, np.ndarray], mesh) -> dict[str, Any]:
  """Places this host's batch on the mesh as one global sharded batch.

  Adds ``index`` ``[per_host]``: each clip's position in the global batch,
  which (with the step) keys its augmentations.
  """
  n = len(host_batch['clip'])
  index = np.arange(n, dtype=np.int32) + jax.process_index() * n
  return partitioning.shard_batch({**host_batch, 'index': index}, mesh)


def eval_batches(source, *, global_batch_size: int, keys: tuple[str, ...]
                 ) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
  """Every example of ``source`` once, in order, as per-host padded batches.

  Global batch ``j`` covers examples ``j*B .. j*B+B-1``; this process reads
  its contiguous slice of it. Positions past the end repeat the last example
  and are marked invalid, so every process runs the same number of batches.

  Yields:
    ``(batch, valid)``: ``batch[k]`` ``[per_host, ...]`` for ``k`` in
    ``keys``, and ``valid`` bool ``[per_host]``.
  """
  per_host = per_host_batch_size(global_batch_size)
  n = len(source)
  if n == 0:
    raise ValueError('eval_batches: the split is empty.')
  for start in range(0, n, global_batch_size):
    first = start + jax.process_index() * per_host
    pos = np.arange(first, first + per_host)
    valid = pos < n
    examples = [source[int(i)] for i in np.minimum(pos, n - 1)]
    yield ({k: np.stack([np.asarray(e[k]) for e in examples]) for k in keys},
           valid)


def dropped_per_epoch(num_records: int) -> int:
  """Records per epoch that sharding over processes leaves out."""
  return num_records % jax.process_count()
