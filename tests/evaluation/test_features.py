"""simper_jax.evaluation.features: every clip once, in order, through the
frozen encoder, over 4 fake devices."""

from __future__ import annotations

import numpy as np
import pytest
from flax import nnx

from simper_jax import partitioning
from simper_jax.evaluation import features


class _MeanEncoder(nnx.Module):
  """``[B, T, H, W, C] -> [B, T]``: BatchNorm'd frame means, then ``x w``.

  In inference mode with fresh statistics (mean 0, var 1) the BatchNorm is
  the identity (up to its epsilon), so the feature is ``w`` times the frame
  mean; in training mode it would standardize over the batch.
  """

  def __init__(self):
    self.norm = nnx.BatchNorm(1, epsilon=0.0, rngs=nnx.Rngs(0))
    self.w = nnx.Param(np.float32(2.0))

  def __call__(self, x):
    m = x.mean(axis=(2, 3, 4))[..., None]
    return self.norm(m)[..., 0] * self.w[...]


class _Source:
  """``n`` examples: clip ``i`` is ``[T, H, W, C]`` filled with ``value(i)``;
  its label is ``i / 10``."""

  def __init__(self, n, dtype=np.uint8, value=lambda i: i, shape=(5, 4, 4, 1)):
    self.n, self.dtype, self.value, self.shape = n, dtype, value, shape

  def __len__(self):
    return self.n

  def __getitem__(self, i):
    return {'frames': np.full(self.shape, self.value(i), self.dtype),
            'rate': np.float32(i / 10)}


def _extract(source, model=None, out_size=(), batch_size=4, devices=None,
             **kw):
  mesh = partitioning.make_mesh(devices)
  fn = features.make_feature_fn(model or _MeanEncoder(), mesh, out_size)
  return features.extract_features(fn, source, mesh=mesh,
                                   batch_size=batch_size, clip='frames',
                                   target='rate', **kw)


@pytest.mark.parametrize('n,batch_size', [(7, 3), (1, 1), (5, 6), (9, 2)])
def test_any_split_and_batch_size_on_four_devices(n, batch_size):
  # The batch is padded up to a multiple of the 4 devices and the padding
  # masked: every clip once, in order, as on one device.
  import jax  # pylint: disable=g-import-not-at-top
  feats, ys = _extract(_Source(n), batch_size=batch_size)
  one, ys1 = _extract(_Source(n), batch_size=batch_size,
                      devices=jax.devices()[:1])
  want = 2 * np.arange(n) / 255.0
  np.testing.assert_allclose(feats, np.repeat(want[:, None], 5, 1),
                             rtol=1e-5)
  np.testing.assert_array_equal(feats, one)
  np.testing.assert_array_equal(ys, ys1)


def test_every_clip_once_in_order_with_padding_masked():
  # 10 clips in global batches of 4: the last batch is half padding.
  feats, ys = _extract(_Source(10))
  assert feats.shape == (10, 5) and ys.shape == (10,)
  assert feats.dtype == np.float32 and ys.dtype == np.float32
  # uint8 clips are divided by 255 on device; w = 2; BatchNorm frozen.
  want = 2 * np.arange(10) / 255.0
  np.testing.assert_allclose(feats, np.repeat(want[:, None], 5, 1),
                             rtol=1e-5)
  np.testing.assert_allclose(ys, np.arange(10) / 10, rtol=1e-6)


def test_frozen_model_is_in_inference_mode():
  model = _MeanEncoder()
  _extract(_Source(8), model=model)
  assert model.norm.use_running_average
  # Running statistics untouched: evaluation never updates BatchNorm.
  np.testing.assert_array_equal(model.norm.mean[...], [0.0])


def test_float_clips_are_normalized_and_resized():
  src = _Source(4, np.float32, value=lambda i: 300.0 + i, shape=(3, 6, 6, 1))
  feats, _ = _extract(src, out_size=(2, 2), normalize=((290.0,), (10.0,)))
  want = 2 * (np.arange(4) + 10.0) / 10.0  # floats are not divided by 255
  np.testing.assert_allclose(feats, np.repeat(want[:, None], 3, 1),
                             rtol=1e-5)


def test_non_finite_features_are_an_error():
  src = _Source(4, np.float32, value=lambda i: np.nan if i == 2 else 1.0)
  with pytest.raises(FloatingPointError, match='1 of 4 feature series'):
    _extract(src)
