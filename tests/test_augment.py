"""simper_jax.augment: speed resampling and the view maker."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simper_jax import augment
from tests import refs


@pytest.mark.parametrize('shape', [(40,), (30, 3), (25, 4, 5, 2)])
@pytest.mark.parametrize('speed,start', [(1.0, 0.0), (0.5, 3.3), (1.7, 2.25),
                                         (2.9, 0.6)])
def test_speed_resample_matches_reference(shape, speed, start):
  rng = np.random.default_rng(0)
  clip = rng.normal(size=shape).astype(np.float32)
  num = int((shape[0] - 1 - start) // speed)  # stays inside the clip
  fn = jax.jit(augment.speed_resample, static_argnums=3)
  got = fn(clip, jnp.float32(speed), jnp.float32(start), num)
  np.testing.assert_allclose(np.asarray(got),
                             refs.speed_resample(clip, speed, start, num),
                             atol=1e-5)


def test_speed_resample_uint8_and_identity():
  clip = np.arange(20, dtype=np.uint8).reshape(10, 2)
  out = augment.speed_resample(clip, 1.0, 0.0, 10)
  assert out.dtype == jnp.float32
  np.testing.assert_array_equal(np.asarray(out), clip.astype(np.float32))


@pytest.mark.parametrize('speed', [0.5, 1.5, 2.0])
def test_speed_resample_multiplies_frequency(speed):
  fps, f0 = 30.0, 1.0
  t = np.arange(400) / fps
  clip = np.sin(2 * np.pi * f0 * t).astype(np.float32)
  num = 120  # 4 s: bins every 0.25 Hz, so f0 * speed is a bin.
  out = np.asarray(augment.speed_resample(clip, speed, 5.0, num))
  power = np.abs(np.fft.rfft(out - out.mean())) ** 2
  peak = np.argmax(power) * fps / num
  assert peak == pytest.approx(f0 * speed, abs=1e-6)


CFG = augment.ViewConfig(num_speeds=4, num_frames=20, speed_range=(0.5, 2.0))


@pytest.mark.parametrize('channels', [1, 3])
def test_make_views_shapes_range_and_speeds(channels):
  rng = np.random.default_rng(1)
  clips = rng.integers(0, 256, size=(3, 60, 12, 10, channels), dtype=np.uint8)
  keys = jax.random.split(jax.random.key(0), 3)
  fn = jax.jit(jax.vmap(lambda k, c: augment.make_views(k, c, CFG)))
  out = fn(keys, clips)
  assert out.views.shape == (3, 2, 4, 20, 12, 10, channels)
  assert out.views.dtype == jnp.float32
  v = np.asarray(out.views)
  assert np.all(np.isfinite(v)) and v.min() >= 0.0 and v.max() <= 1.0
  s = np.asarray(out.speeds)
  assert s.shape == (3, 4)
  assert np.all(np.diff(s, axis=-1) >= 0)
  assert s.min() >= 0.5 and s.max() <= 2.0
  # Different clips draw different speeds; set A and B differ (own augs).
  assert not np.allclose(s[0], s[1])
  assert not np.allclose(v[:, 0], v[:, 1])


def test_make_views_out_size_and_determinism():
  cfg = augment.ViewConfig(num_speeds=3, num_frames=10, speed_range=(1.0, 2.0),
                           out_size=(8, 6))
  clip = np.random.default_rng(2).uniform(size=(30, 16, 16, 1))
  a = augment.make_views(jax.random.key(5), jnp.asarray(clip), cfg)
  b = augment.make_views(jax.random.key(5), jnp.asarray(clip), cfg)
  c = augment.make_views(jax.random.key(6), jnp.asarray(clip), cfg)
  assert a.views.shape == (2, 3, 10, 8, 6, 1)
  np.testing.assert_array_equal(np.asarray(a.views), np.asarray(b.views))
  assert not np.allclose(np.asarray(a.views), np.asarray(c.views))


def test_views_keep_frequency_times_speed():
  # A spatially uniform pulsing clip: every invariant augmentation keeps its
  # frequency, so each view's mean intensity oscillates at f0 * speed.
  fps, f0 = 30.0, 0.75
  t = np.arange(300) / fps
  pulse = 0.5 + 0.4 * np.sin(2 * np.pi * f0 * t)
  clip = np.broadcast_to(pulse[:, None, None, None], (300, 8, 8, 3))
  cfg = augment.ViewConfig(num_speeds=6, num_frames=120,
                           speed_range=(1.0, 2.4), brightness=0.2)
  out = augment.make_views(jax.random.key(1), jnp.asarray(clip, jnp.float32),
                           cfg)
  series = np.asarray(out.views).mean(axis=(3, 4, 5))  # [2, M, L]
  for half in range(2):
    for i, s in enumerate(np.asarray(out.speeds)):
      x = series[half, i] - series[half, i].mean()
      peak = np.argmax(np.abs(np.fft.rfft(x)) ** 2) * fps / 120
      assert abs(peak - f0 * s) <= fps / 120 + 1e-6


def test_invalid_inputs_raise():
  with pytest.raises(ValueError, match='too short'):
    augment.make_views(jax.random.key(0), jnp.zeros((30, 8, 8, 1)), CFG)
  with pytest.raises(ValueError, match='speed_range'):
    augment.ViewConfig(speed_range=(2.0, 1.0))
  with pytest.raises(ValueError, match=r'\[T, H, W, C\]'):
    augment.make_views(jax.random.key(0), jnp.zeros((60, 8, 8)), CFG)


def test_float_clips_keep_their_units_while_video_is_clipped():
  """Integer video becomes intensities in [0, 1] and stays there after the
  brightness scale; float data in its own units (a sensor series, kelvin)
  is scaled but never clipped."""
  cfg = augment.ViewConfig(num_speeds=2, num_frames=8, speed_range=(1.0, 1.0),
                           brightness=0.5, blur_prob=0.0, flip_prob=0.0,
                           grayscale_prob=0.0, reverse_prob=0.0,
                           crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0))
  t = np.arange(16, dtype=np.float32)
  series = (5.0 * np.sin(t))[:, None, None, None]  # [-5, 5], [T, 1, 1, 1]
  views = augment.make_views(jax.random.key(1), jnp.asarray(series), cfg)
  v = np.asarray(views.views)
  assert v.max() > 1.0 and v.min() < -1.0
  video = np.full((16, 4, 4, 1), 250, np.uint8)
  v = np.asarray(augment.make_views(jax.random.key(1), jnp.asarray(video),
                                    cfg).views)
  assert v.max() <= 1.0 and v.min() >= 0.0
