"""Prepared splits -> grain -> per-host batches -> global batches.

    prepared dataset (simper_jax.datasets) -> tfds data source -> grain:
    per-epoch shuffle from the seed, each process reading its slice of
    every global batch, batch per host -> global jax.Array

The global batches (which clips, in which order) depend on the seed only,
not on how many processes read them: 2 hosts train on what 1 host would.

No TensorFlow: the builders write ArrayRecord, read by random access. The
train iterator is a grain ``DataLoader`` iterator, whose state is saved in
the checkpoint so a resumed run reads exactly the batches an uninterrupted
run would. Pretraining batches carry only the raw clips (no labels).
"""

from __future__ import annotations

import dataclasses
import hashlib
import queue
import threading
from typing import Any, Callable, Iterator

import grain
import jax
import ml_collections
import numpy as np

from simper_jax import partitioning


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
           seed: int, target: str) -> tuple[Any, str]:
  """Applies ``cfg.train_fraction`` and ``cfg.holdout_band`` to a source.

  Args:
    source: a split's random-access source.
    cfg: the config's ``data`` section.
    role: ``'train'`` (pretraining and probe fitting: a seeded random
      ``train_fraction`` of the clips whose target is outside the held-out
      band) or ``'heldout'`` (the clips whose target is inside the band).
    seed: the subset's seed (same subset for pretraining and probing).
    target: the feature holding the label (the dataset plug-in's).

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
    y = _targets(source, target)
    inside = (y >= band[0]) & (y <= band[1])
    keep = keep[inside] if role == 'heldout' else keep[~inside]
    notes.append(f'{len(keep)} of {n} clips '
                 f'{"inside" if role == "heldout" else "outside"} the '
                 f'held-out {target} band {band}')
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


def per_host_batch_size(global_batch_size: int,
                        process_count: int | None = None) -> int:
  """This process's share of ``global_batch_size`` (an error if uneven)."""
  n = jax.process_count() if process_count is None else process_count
  partitioning.check_divisible('batch_size', global_batch_size, n,
                               'processes')
  return global_batch_size // n


def train_loader(source, *, global_batch_size: int, seed: int,
                 process_index: int | None = None,
                 process_count: int | None = None,
                 label_key: str | None = None, video_key: str = 'video',
                 normalize: tuple = (), worker_count: int = 0
                 ) -> '_Batched':
  """An endless, shuffled, per-process grain loader of raw-clip batches.

  Args:
    source: a random-access data source (``builder.as_data_source(split)``)
      of examples with a ``video`` uint8 ``[T, H, W, C]`` feature.
    global_batch_size: clips per step over all processes.
    seed: the shuffle seed; each epoch is reshuffled from it.
    process_index, process_count: this process's shard (default: JAX's).
    label_key: also yield this feature as ``label`` float32 (supervised
      methods only).
    video_key: the clip's feature (the dataset plug-in's ``clip``).
    normalize: per-channel ``(offsets, scales)`` for float clips.
    worker_count: grain worker processes reading and decoding examples (0:
      in the calling thread). The batches are the same either way.

  Returns:
    A loader; ``iter(loader)`` yields ``{'clip': uint8
    [per_host, T, H, W, C]}`` and has ``get_state``/``set_state``.
  """
  pi = jax.process_index() if process_index is None else process_index
  pc = jax.process_count() if process_count is None else process_count
  if not 0 <= pi < pc:
    raise ValueError(f'process_index {pi} not in [0, {pc}).')
  per_host = per_host_batch_size(global_batch_size, pc)
  if len(source) < global_batch_size:
    raise ValueError(f'the {len(source)} examples are fewer than the batch '
                     f'of {global_batch_size}.')
  if worker_count > 0:
    # grain's workers read absl flags; outside an absl app (a notebook, a
    # test) they are not parsed, which grain takes for an error.
    from absl import flags  # pylint: disable=g-import-not-at-top
    if not flags.FLAGS.is_parsed():
      flags.FLAGS.mark_as_parsed()
  sampler = _ProcessShare(grain.samplers.IndexSampler(
      num_records=len(source), shard_options=grain.sharding.NoSharding(),
      shuffle=True, num_epochs=None, seed=seed),
                          global_batch_size, pi, pc)
  # Examples are batched here, not in grain's workers (each worker would
  # batch its own share of the records): the batches are then the same
  # for any worker_count.
  return _Batched(grain.DataLoader(
      data_source=source, sampler=sampler,
      operations=[_SelectClip(video_key=video_key, label_key=label_key,
                              normalize=tuple(normalize))],
      worker_count=worker_count,
      shard_options=grain.sharding.NoSharding()), per_host)


class _Batched:
  """``iter()`` gives batches of ``size`` consecutive examples of a grain
  loader, with the loader iterator's ``get_state``/``set_state`` (the
  state after a batch's last example)."""

  def __init__(self, loader: grain.DataLoader, size: int):
    self._loader, self._size = loader, size

  def __iter__(self):
    return _BatchIterator(iter(self._loader), self._size)


class _BatchIterator:

  def __init__(self, it, size: int):
    self._it, self._size = it, size

  def __iter__(self):
    return self

  def __next__(self) -> dict[str, np.ndarray]:
    examples = [next(self._it) for _ in range(self._size)]
    return {k: np.stack([e[k] for e in examples]) for k in examples[0]}

  def get_state(self) -> bytes:
    return self._it.get_state()

  def set_state(self, state: bytes) -> None:
    self._it.set_state(state)

  def start_prefetch(self) -> None:
    """Nothing to start: examples are read on ``next``."""


class _ProcessShare:
  """This process's slice of every global batch of ``sampler``'s order.

  The global order (a new permutation of all records each epoch) is the
  same for any number of processes; global batch ``j`` is positions
  ``j*B .. j*B+B-1`` of it, and process ``p`` reads its ``B/P`` positions
  ``j*B + p*B/P ..``. With one process this is ``sampler`` itself.
  """

  def __init__(self, sampler, global_batch: int, index: int, count: int):
    self._sampler = sampler
    self._global, self._index = global_batch, index
    self._per_host = global_batch // count

  def __getitem__(self, index: int):
    batch, offset = divmod(index, self._per_host)
    meta = self._sampler[batch * self._global + self._index * self._per_host
                         + offset]
    return grain.RecordMetadata(index=index, record_key=meta.record_key,
                                rng=meta.rng)

  def __repr__(self) -> str:
    return (f'_ProcessShare({self._sampler!r}, global_batch={self._global}, '
            f'index={self._index}, per_host={self._per_host})')


class Prefetch:
  """Reads ``depth`` items ahead of the trainer in a background thread.

  Wraps a grain iterator (and an optional ``transform`` of each batch, e.g.
  placing it on the devices, so that overlaps the step too). The order is
  the wrapped iterator's; :meth:`get_state` is the grain state after the
  last item *returned*, not the last one read ahead, so a checkpoint
  resumes exactly where the trainer was. Duck-types what
  ``grain.checkpoint`` needs (``get_state``, ``set_state``,
  ``start_prefetch``). ``depth=0``: no thread, read on demand.
  """

  def __init__(self, iterator, depth: int,
               transform: Callable[[Any], Any] | None = None):
    if depth < 0:
      raise ValueError(f'prefetch depth must be >= 0, got {depth}.')
    self._it, self._depth = iterator, depth
    self._transform = transform or (lambda x: x)
    self._state = iterator.get_state()
    self._queue: queue.Queue | None = None
    self._stop = threading.Event()
    self._thread: threading.Thread | None = None

  def __iter__(self):
    return self

  def _read(self):
    batch = next(self._it)
    return self._transform(batch), self._it.get_state()

  def _fill(self):
    while not self._stop.is_set():
      try:
        item = ('ok', self._read())
      except BaseException as e:  # pylint: disable=broad-except
        item = ('error', e)  # raised in the trainer's thread
      while not self._stop.is_set():
        try:
          self._queue.put(item, timeout=0.1)
          break
        except queue.Full:
          continue
      if item[0] == 'error':
        return

  def __next__(self):
    if self._depth == 0:
      batch, self._state = self._read()
      return batch
    if self._thread is None:
      self._queue = queue.Queue(maxsize=self._depth)
      self._stop.clear()
      self._thread = threading.Thread(target=self._fill, daemon=True,
                                      name='simper_jax-prefetch')
      self._thread.start()
    kind, value = self._queue.get()
    if kind == 'error':
      self.close()
      raise value
    batch, self._state = value
    return batch

  def get_state(self) -> bytes:
    return self._state

  def set_state(self, state: bytes) -> None:
    self.close()
    self._it.set_state(state)
    self._state = state

  def start_prefetch(self) -> None:
    """The thread starts with the first ``next``."""

  def close(self) -> None:
    """Stops the thread; items read ahead are dropped (the next ``next``
    reads on from :meth:`get_state`)."""
    if self._thread is not None:
      self._stop.set()
      self._thread.join()
      self._thread = None
      self._it.set_state(self._state)


def to_global(host_batch: dict[str, np.ndarray], mesh,
              layout: partitioning.BatchLayout = partitioning.BatchLayout()
              ) -> dict[str, Any]:
  """Places this host's batch on the mesh as one global sharded batch.

  Adds ``index`` ``[per_host]``: each clip's position in the global batch,
  which (with the step) keys its augmentations. ``layout``: packing for a
  batch that does not divide over the devices (the step unpacks it).
  """
  n = len(host_batch['clip'])
  index = np.arange(n, dtype=np.int32) + jax.process_index() * n
  return partitioning.shard_batch(
      partitioning.pack({**host_batch, 'index': index}, layout), mesh)


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


