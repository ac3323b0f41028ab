"""Tests of simper_jax.input_pipeline on an in-memory random-access source."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from simper_jax import input_pipeline
from simper_jax import partitioning


class _Source:
  """``n`` examples whose clip is filled with its own index (< 256)."""

  def __init__(self, n: int):
    self.n = n

  def __len__(self):
    return self.n

  def __repr__(self):
    return f'_Source({self.n})'

  def __getitem__(self, i):
    return {'video': np.full((3, 2, 2, 1), i, np.uint8),
            'frequency': np.float32(i / 10)}


def _ids(batch) -> list[int]:
  return [int(c[0, 0, 0, 0]) for c in batch['clip']]


def _take(it, k):
  return [_ids(next(it)) for _ in range(k)]


def test_same_seed_same_batches_and_new_order_each_epoch():
  src = _Source(24)
  a = _take(iter(input_pipeline.train_loader(src, global_batch_size=4,
                                             seed=7)), 12)
  b = _take(iter(input_pipeline.train_loader(src, global_batch_size=4,
                                             seed=7)), 12)
  c = _take(iter(input_pipeline.train_loader(src, global_batch_size=4,
                                             seed=8)), 12)
  assert a == b
  assert a != c
  epoch1, epoch2 = sum(a[:6], []), sum(a[6:], [])
  # Each epoch is a permutation of all records, reshuffled per epoch.
  assert sorted(epoch1) == list(range(24)) == sorted(epoch2)
  assert epoch1 != epoch2
  assert epoch1 != list(range(24))


def test_processes_read_slices_of_the_same_global_batches():
  # Whatever the number of processes, global batch j holds the same clips
  # in the same order: process p reads its slice of it (no record left
  # out at epoch ends, where a batch may straddle two epochs).
  src = _Source(21)
  one = _take(iter(input_pipeline.train_loader(src, global_batch_size=6,
                                               seed=0)), 9)
  for count in (2, 3):
    parts = [_take(iter(input_pipeline.train_loader(
        src, global_batch_size=6, seed=0, process_index=pi,
        process_count=count)), 9) for pi in range(count)]
    for j in range(9):
      assert sum((p[j] for p in parts), []) == one[j], (count, j)
  # Two epochs: each a permutation of all 21 records.
  flat = sum(one, [])
  assert sorted(flat[:21]) == list(range(21)) == sorted(flat[21:42])


def test_a_process_resumes_its_slice_exactly():
  src = _Source(14)
  make = lambda: iter(input_pipeline.train_loader(  # noqa: E731
      src, global_batch_size=4, seed=5, process_index=1, process_count=2))
  it = make()
  _take(it, 5)
  state = it.get_state()
  expected = _take(it, 4)
  resumed = make()
  resumed.set_state(state)
  assert _take(resumed, 4) == expected


def test_iterator_state_restores_the_exact_position():
  src = _Source(18)
  loader = input_pipeline.train_loader(src, global_batch_size=4, seed=3)
  it = iter(loader)
  _take(it, 5)  # crosses the first epoch boundary (18 // 4 = 4)
  state = it.get_state()
  expected = _take(it, 6)
  resumed = iter(input_pipeline.train_loader(src, global_batch_size=4,
                                             seed=3))
  resumed.set_state(state)
  assert _take(resumed, 6) == expected


def test_iterator_state_restores_over_a_subset():
  # A resumed run rebuilds the subset; grain must accept it as the same
  # source (it compares repr) and continue exactly.
  sub = input_pipeline.Subset(_Source(30), np.arange(0, 30, 2))
  it = iter(input_pipeline.train_loader(sub, global_batch_size=4, seed=0))
  _take(it, 4)
  state = it.get_state()
  expected = _take(it, 3)
  again = input_pipeline.Subset(_Source(30), np.arange(0, 30, 2))
  assert repr(again) == repr(sub)
  assert repr(input_pipeline.Subset(_Source(30), np.arange(1, 30, 2))) != (
      repr(sub))
  resumed = iter(input_pipeline.train_loader(again, global_batch_size=4,
                                             seed=0))
  resumed.set_state(state)
  assert _take(resumed, 3) == expected
  assert all(i % 2 == 0 for batch in expected for i in batch)


def test_train_batches_carry_no_labels():
  it = iter(input_pipeline.train_loader(_Source(8), global_batch_size=4,
                                        seed=0))
  batch = next(it)
  assert set(batch) == {'clip'}
  assert batch['clip'].dtype == np.uint8 and batch['clip'].shape == (
      4, 3, 2, 2, 1)


@pytest.mark.parametrize('kwargs, match', [
    (dict(global_batch_size=3, process_count=2, process_index=0), 'multiple'),
    (dict(global_batch_size=4, process_count=2, process_index=2), 'not in'),
    (dict(global_batch_size=16), 'fewer than'),
])
def test_bad_loader_arguments(kwargs, match):
  with pytest.raises(ValueError, match=match):
    input_pipeline.train_loader(_Source(10), seed=0, **kwargs)


def test_eval_batches_cover_every_example_once_in_order():
  src = _Source(10)
  ids, ys = [], []
  for batch, valid in input_pipeline.eval_batches(
      src, global_batch_size=4, keys=('video', 'frequency')):
    assert batch['video'].shape[0] == 4 == valid.shape[0]
    ids += [int(v[0, 0, 0, 0]) for v, ok in zip(batch['video'], valid) if ok]
    ys += [float(y) for y, ok in zip(batch['frequency'], valid) if ok]
  assert ids == list(range(10))
  np.testing.assert_allclose(ys, np.arange(10) / 10, rtol=1e-6)


def test_to_global_shards_the_batch_and_numbers_the_clips():
  mesh = partitioning.make_mesh()
  clips = np.arange(8 * 3 * 2 * 2, dtype=np.uint8).reshape(8, 3, 2, 2, 1)
  batch = input_pipeline.to_global({'clip': clips}, mesh)
  assert batch['clip'].sharding.is_equivalent_to(
      partitioning.data_sharded(mesh), 5)
  np.testing.assert_array_equal(np.asarray(batch['clip']), clips)
  np.testing.assert_array_equal(np.asarray(batch['index']), np.arange(8))
  assert len(jax.devices()) == 4  # conftest's fake devices


def _data_cfg(**kw):
  import ml_collections  # pylint: disable=g-import-not-at-top
  base = dict(train_fraction=1.0, holdout_band=())
  return ml_collections.ConfigDict({**base, **kw})


def _select(source, cfg, *, role, seed):
  return input_pipeline.select(source, cfg, role=role, seed=seed,
                               target='frequency')


def test_select_train_fraction_is_seeded_and_counted():
  src = _Source(40)
  sub, note = _select(src, _data_cfg(train_fraction=0.25), role='train',
                      seed=0)
  again, _ = _select(src, _data_cfg(train_fraction=0.25), role='train',
                     seed=0)
  other, _ = _select(src, _data_cfg(train_fraction=0.25), role='train',
                     seed=1)
  assert len(sub) == 10 and '10 clips kept' in note
  ids = [int(sub[i]['video'][0, 0, 0, 0]) for i in range(len(sub))]
  assert ids == sorted(set(ids))
  assert list(sub.indices) == list(again.indices)
  assert list(sub.indices) != list(other.indices)
  whole, note = _select(src, _data_cfg(), role='train', seed=0)
  assert whole is src and note == 'all 40 clips'


def test_select_holdout_band_splits_by_target():
  src = _Source(40)  # frequency = index / 10: 0.0 .. 3.9
  cfg = _data_cfg(holdout_band=(1.0, 2.0))
  train_part, note = _select(src, cfg, role='train', seed=0)
  held, _ = _select(src, cfg, role='heldout', seed=0)
  f_train = [train_part[i]['frequency'] for i in range(len(train_part))]
  f_held = [held[i]['frequency'] for i in range(len(held))]
  assert all(f < 1.0 or f > 2.0 for f in f_train)
  assert all(1.0 <= f <= 2.0 for f in f_held)
  assert len(train_part) + len(held) == 40
  assert f'{len(train_part)} of 40 clips outside' in note


@pytest.mark.parametrize('kw, match', [
    (dict(train_fraction=0.0), 'train_fraction'),
    (dict(train_fraction=1.5), 'train_fraction'),
    (dict(holdout_band=(3.0, 2.0)), 'holdout_band'),
    (dict(holdout_band=(10.0, 20.0)), 'no clips left'),
])
def test_select_refuses_bad_settings(kw, match):
  role = 'heldout' if 'holdout_band' in kw else 'train'
  with pytest.raises(ValueError, match=match):
    _select(_Source(10), _data_cfg(**kw), role=role, seed=0)


def test_clip_array_keeps_uint8_and_standardizes_floats():
  video = np.arange(24, dtype=np.uint8).reshape(2, 2, 3, 2)
  assert input_pipeline.clip_array(video).dtype == np.uint8
  patches = np.zeros((2, 1, 1, 2), np.float64)
  patches[..., 0] = [[[300.0]], [[270.0]]]
  patches[..., 1] = 1.0
  out = input_pipeline.clip_array(patches, ((290.0, 0.0), (20.0, 1.0)))
  assert out.dtype == np.float32
  np.testing.assert_allclose(out[:, 0, 0, 0], [0.5, -1.0])
  np.testing.assert_allclose(out[..., 1], 1.0)


@pytest.mark.parametrize('depth', [0, 1, 3])
def test_prefetch_keeps_the_order_and_resumes_where_the_trainer_was(depth):
  make = lambda: iter(input_pipeline.train_loader(  # noqa: E731
      _Source(14), global_batch_size=4, seed=2))
  plain = _take(make(), 9)
  it = input_pipeline.Prefetch(make(), depth)
  assert _take(it, 4) == plain[:4]
  state = it.get_state()  # after the 4 batches returned, not those ahead
  assert _take(it, 5) == plain[4:]
  resumed = input_pipeline.Prefetch(make(), depth)
  resumed.set_state(state)
  assert _take(resumed, 5) == plain[4:]
  # Closing drops what was read ahead and rewinds to the trainer.
  again = input_pipeline.Prefetch(make(), depth)
  _take(again, 2)
  again.close()
  assert _take(again, 3) == plain[2:5]
  again.close()


def test_prefetch_places_batches_and_raises_errors_in_the_trainer():
  mesh = partitioning.make_mesh()
  it = input_pipeline.Prefetch(
      iter(input_pipeline.train_loader(_Source(8), global_batch_size=4,
                                       seed=0)), 2,
      transform=lambda b: input_pipeline.to_global(b, mesh))
  batch = next(it)
  assert isinstance(batch['clip'], jax.Array)
  assert batch['clip'].sharding.spec == jax.sharding.PartitionSpec('data')
  it.close()

  class _Broken:
    def get_state(self):
      return b''

    def set_state(self, state):
      del state

    def __next__(self):
      raise OSError('disk gone')

  with pytest.raises(OSError, match='disk gone'):
    next(input_pipeline.Prefetch(_Broken(), 2))


@pytest.mark.slow
def test_grain_workers_give_the_same_batches():
  plain = _take(iter(input_pipeline.train_loader(
      _Source(14), global_batch_size=4, seed=2)), 6)
  workers = iter(input_pipeline.train_loader(
      _Source(14), global_batch_size=4, seed=2, worker_count=2))
  assert _take(workers, 6) == plain
