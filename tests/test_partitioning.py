"""Batches that do not divide over the devices: layout, packing, sharding."""

import jax
import numpy as np
import pytest

from simper_jax import partitioning


@pytest.mark.parametrize('per_host,devices,shape,want', [
    (8, 4, (48, 8, 8, 1), (1, None)),   # divides: as it is
    (4, 8, (48, 8, 8, 1), (2, 1)),      # 4 clips on 8 devices: frames / 2
    (4, 16, (48, 8, 8, 1), (4, 1)),
    (3, 8, (48, 8, 8, 3), (8, 1)),
    (2, 8, (30, 12, 12, 3), (4, 2)),    # 30 frames: split the rows
    (1, 8, (5, 7, 7, 3), (8, None)),    # nothing divides: repeated
])
def test_batch_layout(per_host, devices, shape, want):
  layout = partitioning.batch_layout(per_host, devices, shape)
  assert (layout.factor, layout.split_axis) == want
  assert (per_host * layout.factor) % devices == 0


@pytest.mark.parametrize('layout', [
    partitioning.BatchLayout(2, 1), partitioning.BatchLayout(4, 2),
    partitioning.BatchLayout(3, None), partitioning.BatchLayout()])
def test_pack_rows_and_unpack_round_trip(layout):
  rng = np.random.default_rng(0)
  n, k = 3, layout.factor
  batch = {'clip': rng.integers(0, 255, (n, 8, 4, 4, 3), dtype=np.uint8),
           'index': np.arange(n, dtype=np.int32) + 10,
           'label': rng.normal(size=n).astype(np.float32)}
  packed = partitioning.pack(batch, layout)
  for key in batch:
    assert packed[key].shape[0] == n * k
  # Row r of the packed clip is part r % k of clip r // k, by a direct loop.
  for r in range(n * k):
    clip, part = divmod(r, k)
    assert packed['index'][r] == batch['index'][clip]
    assert packed['label'][r] == batch['label'][clip]
    if layout.split_axis is None:
      np.testing.assert_array_equal(packed['clip'][r], batch['clip'][clip])
    else:
      a = layout.split_axis - 1  # axis of one clip
      size = batch['clip'].shape[1 + a] // k
      want = np.take(batch['clip'][clip],
                     range(part * size, (part + 1) * size), axis=a)
      np.testing.assert_array_equal(packed['clip'][r], want)
  back = jax.jit(lambda b: partitioning.unpack(b, layout))(packed)
  for key in batch:
    np.testing.assert_array_equal(np.asarray(back[key]), batch[key])


def test_split_prefix():
  assert partitioning.split_prefix((4, 2, 10, 5), 8, 3) == 2
  assert partitioning.split_prefix((8, 2, 10), 8, 3) == 1
  assert partitioning.split_prefix((4, 2, 10), 16, 3) == 3  # 80 = 16 x 5
  assert partitioning.split_prefix((4, 2, 1), 16, 3) == 0
  assert partitioning.split_prefix((3, 5), 1, 2) == 1
