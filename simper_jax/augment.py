"""SimPer's view maker: speed changes plus frequency-preserving augmentations.

Pure JAX, run on the accelerator inside the compiled train step. One clip
and one key give ``2M`` views (set A and set B, both at the same ``M``
sorted speeds); ``jax.vmap`` over a batch of clips with one key per clip.

Spatial augmentations (crop-and-resize, horizontal flip, Gaussian blur) are
all linear maps along the height and width axes, so each view applies one
``[H_out, H]`` and one ``[W_out, W]`` matrix to every frame: one box, one
flip and one blur for all frames of a view (frame-consistent), computed as
two small matrix products instead of gathers.

Paper: Yang et al., ICLR 2023, Sec. 3.1 (periodicity-variant and
-invariant augmentations).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array

_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights.


def speed_resample(clip: Array, speed: Array | float, start: Array | float,
                   num_frames: int) -> Array:
  """Resamples a clip in time at ``speed`` (multiplies its frequencies by it).

  Output frame ``k`` is the clip at continuous time ``start + k * speed``,
  linearly interpolated between the two neighbouring frames. Times beyond
  the last frame are clamped to it (the view maker only draws starts that
  keep every time inside the clip).

  Deviation from the original code: its grid made the effective speed
  ``speed * (T - 1) / T``; here it is exactly ``speed``.

  Args:
    clip: ``[T, ...]`` frames (any trailing shape); integer clips are
      converted to float32 without rescaling.
    speed: scalar speed (may be traced).
    start: scalar start time in frames (may be traced).
    num_frames: number of output frames (static).

  Returns:
    ``[num_frames, ...]`` float frames.
  """
  if clip.ndim < 1:
    raise ValueError(f'speed_resample: clip must be [T, ...], got shape '
                     f'{clip.shape}.')
  if not isinstance(num_frames, (int, np.integer)) or num_frames < 1:
    raise ValueError(f'speed_resample: num_frames must be a positive Python '
                     f'int, got {num_frames!r}.')
  if not jnp.issubdtype(clip.dtype, jnp.floating):
    clip = clip.astype(jnp.float32)
  t_len = clip.shape[0]
  times = start + jnp.arange(num_frames, dtype=jnp.float32) * speed
  times = jnp.clip(times, 0.0, t_len - 1)
  lo = jnp.floor(times)
  frac = (times - lo).astype(clip.dtype)
  lo = lo.astype(jnp.int32)
  hi = jnp.minimum(lo + 1, t_len - 1)
  frac = frac.reshape((num_frames,) + (1,) * (clip.ndim - 1))
  return clip[lo] * (1 - frac) + clip[hi] * frac


@dataclasses.dataclass(frozen=True)
class ViewConfig:
  """Static settings of the SimPer view maker.

  Attributes:
    num_speeds: ``M``, speeds (and views per set) per clip.
    num_frames: ``L``, frames per view.
    speed_range: ``(s_min, s_max)``; speeds are drawn uniformly from it.
    out_size: ``(H, W)`` of the views; ``None`` keeps the clip's size.
    crop_scale: range of the crop box area as a fraction of the frame.
    crop_ratio: range of the crop box aspect ratio (width / height).
    brightness: brightness factor drawn from ``[1 - b, 1 + b]``.
    blur_prob: probability of a Gaussian blur per view.
    blur_sigma: range of the blur's standard deviation, in output pixels.
    flip_prob: probability of a horizontal flip per view.
    grayscale_prob: probability of grayscale per view (RGB clips only).
    reverse_prob: probability of time reversal per view.
  """
  num_speeds: int = 10
  num_frames: int = 50
  speed_range: tuple[float, float] = (0.5, 3.0)
  out_size: tuple[int, int] | None = None
  crop_scale: tuple[float, float] = (0.6, 1.0)
  crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
  brightness: float = 0.3
  blur_prob: float = 0.5
  blur_sigma: tuple[float, float] = (0.1, 1.5)
  flip_prob: float = 0.5
  grayscale_prob: float = 0.2
  reverse_prob: float = 0.5

  def __post_init__(self):
    def bad(msg):
      raise ValueError(f'ViewConfig: {msg} (got {self}).')
    if self.num_speeds < 1 or self.num_frames < 1:
      bad('num_speeds and num_frames must be >= 1')
    lo, hi = self.speed_range
    if not 0 < lo <= hi:
      bad('speed_range must satisfy 0 < s_min <= s_max')
    if not 0 < self.crop_scale[0] <= self.crop_scale[1] <= 1:
      bad('crop_scale must satisfy 0 < low <= high <= 1')
    if not 0 < self.crop_ratio[0] <= self.crop_ratio[1]:
      bad('crop_ratio must satisfy 0 < low <= high')
    if not 0 <= self.brightness < 1:
      bad('brightness must be in [0, 1)')
    if not 0 < self.blur_sigma[0] <= self.blur_sigma[1]:
      bad('blur_sigma must satisfy 0 < low <= high')
    for name in ('blur_prob', 'flip_prob', 'grayscale_prob', 'reverse_prob'):
      if not 0 <= getattr(self, name) <= 1:
        bad(f'{name} must be a probability')

  def min_clip_frames(self) -> int:
    """Shortest clip that fits ``num_frames`` frames at the top speed."""
    return int(math.floor((self.num_frames - 1) * self.speed_range[1])) + 1


class Views(NamedTuple):
  """Output of :func:`make_views` for one clip.

  Attributes:
    views: ``[2, M, L, H, W, C]`` float32 in ``[0, 1]``; ``views[0]`` is set
      A, ``views[1]`` set B.
    speeds: ``[M]`` sorted speeds, shared by both sets.
  """
  views: Array
  speeds: Array


def _interp_matrix(start: Array, length: Array, in_size: int,
                   out_size: int) -> Array:
  """``[out, in]`` linear-interpolation weights resizing a crop to ``out``."""
  centers = start + (jnp.arange(out_size) + 0.5) * (length / out_size) - 0.5
  centers = jnp.clip(centers, 0.0, in_size - 1)
  grid = jnp.arange(in_size, dtype=jnp.float32)
  return jnp.maximum(0.0, 1.0 - jnp.abs(centers[:, None] - grid[None, :]))


def _blur_matrix(sigma: Array, size: int, radius: int) -> Array:
  """``[size, size]`` Gaussian blur with edge renormalization."""
  idx = np.arange(size)
  offsets = idx[:, None] - idx[None, :]
  window = np.abs(offsets) <= radius  # static (NumPy) band mask
  w = jnp.exp(-(offsets.astype(np.float32) ** 2) / (2.0 * sigma ** 2))
  w = jnp.where(window, w, 0.0)
  return w / jnp.sum(w, axis=1, keepdims=True)


def _spatial_maps(key: Array, in_hw: tuple[int, int],
                  out_hw: tuple[int, int], cfg: ViewConfig
                  ) -> tuple[Array, Array]:
  """Row and column matrices for one view: crop, resize, flip, blur."""
  (h, w), (oh, ow) = in_hw, out_hw
  k_area, k_ratio, k_y, k_x, k_flip, k_blur, k_sigma = jax.random.split(key, 7)
  area = jax.random.uniform(k_area, minval=cfg.crop_scale[0],
                            maxval=cfg.crop_scale[1])
  log_ratio = jax.random.uniform(k_ratio, minval=math.log(cfg.crop_ratio[0]),
                                 maxval=math.log(cfg.crop_ratio[1]))
  ratio = jnp.exp(log_ratio)
  # Box as fractions of the frame, at most the whole frame.
  frac_w = jnp.minimum(jnp.sqrt(area * ratio), 1.0)
  frac_h = jnp.minimum(jnp.sqrt(area / ratio), 1.0)
  y0 = jax.random.uniform(k_y) * (1.0 - frac_h) * h
  x0 = jax.random.uniform(k_x) * (1.0 - frac_w) * w
  rows = _interp_matrix(y0, frac_h * h, h, oh)
  cols = _interp_matrix(x0, frac_w * w, w, ow)
  flip = jax.random.bernoulli(k_flip, cfg.flip_prob)
  cols = jnp.where(flip, cols[::-1], cols)
  sigma = jax.random.uniform(k_sigma, minval=cfg.blur_sigma[0],
                             maxval=cfg.blur_sigma[1])
  blur = jax.random.bernoulli(k_blur, cfg.blur_prob)
  radius = max(1, int(math.ceil(3 * cfg.blur_sigma[1])))
  blur_rows = jnp.where(blur, _blur_matrix(sigma, oh, radius), jnp.eye(oh))
  blur_cols = jnp.where(blur, _blur_matrix(sigma, ow, radius), jnp.eye(ow))
  return blur_rows @ rows, blur_cols @ cols


def invariant_augment(key: Array, frames: Array, cfg: ViewConfig,
                      bounded: bool = True) -> Array:
  """Frequency-preserving augmentations of one view, the same for every frame.

  Crop-and-resize (one box), horizontal flip, Gaussian blur, brightness
  scale, grayscale (3-channel inputs only) and time reversal, each drawn
  independently from ``key``.

  Args:
    key: PRNG key.
    frames: ``[L, H, W, C]`` float frames (in ``[0, 1]`` when
      ``bounded``).
    cfg: static :class:`ViewConfig`.
    bounded: the frames are intensities in ``[0, 1]`` (from an integer
      video), kept there after the brightness scale; False for float data
      in its own units (sensor series, temperatures), which clipping would
      distort.

  Returns:
    ``[L, H_out, W_out, C]`` float32 frames (in ``[0, 1]`` when bounded).
  """
  if frames.ndim != 4:
    raise ValueError(f'invariant_augment: frames must be [L, H, W, C], got '
                     f'{frames.shape}.')
  _, h, w, c = frames.shape
  out_hw = cfg.out_size or (h, w)
  k_space, k_bright, k_gray, k_rev = jax.random.split(key, 4)
  rows, cols = _spatial_maps(k_space, (h, w), tuple(out_hw), cfg)
  out = jnp.einsum('yh,lhwc,xw->lyxc', rows, frames, cols)
  factor = jax.random.uniform(k_bright, minval=1.0 - cfg.brightness,
                              maxval=1.0 + cfg.brightness)
  out = out * factor
  if bounded:
    out = jnp.clip(out, 0.0, 1.0)
  if c == 3:
    gray = jnp.einsum('lyxc,c->lyx', out, jnp.asarray(_LUMA))[..., None]
    out = jnp.where(jax.random.bernoulli(k_gray, cfg.grayscale_prob),
                    jnp.broadcast_to(gray, out.shape), out)
  reverse = jax.random.bernoulli(k_rev, cfg.reverse_prob)
  return jnp.where(reverse, out[::-1], out)


def resize_frames(frames: Array, out_size: tuple[int, int] | None) -> Array:
  """Whole-frame resize with the views' interpolation (for evaluation).

  Evaluation reads full clips at the resolution the encoder was trained on;
  this is the crop-and-resize of :func:`invariant_augment` with the box set
  to the whole frame.

  Args:
    frames: ``[..., H, W, C]`` float frames.
    out_size: ``(H_out, W_out)``; ``None`` or empty returns ``frames``.

  Returns:
    ``[..., H_out, W_out, C]`` frames.
  """
  if not out_size:
    return frames
  if frames.ndim < 3:
    raise ValueError(f'resize_frames: frames must be [..., H, W, C], got '
                     f'{frames.shape}.')
  h, w = frames.shape[-3:-1]
  rows = _interp_matrix(0.0, h, h, out_size[0])
  cols = _interp_matrix(0.0, w, w, out_size[1])
  return jnp.einsum('yh,...hwc,xw->...yxc', rows, frames.astype(jnp.float32),
                    cols)


def sample_speeds(key: Array, cfg: ViewConfig) -> Array:
  """``M`` sorted speeds drawn uniformly from ``cfg.speed_range``."""
  lo, hi = cfg.speed_range
  return jnp.sort(jax.random.uniform(key, (cfg.num_speeds,), minval=lo,
                                     maxval=hi))


def make_views(key: Array, clip: Array, cfg: ViewConfig) -> Views:
  """The SimPer views of one clip: ``M`` speeds, two augmented views each.

  Speeds ``s_1 < ... < s_M`` are drawn uniformly from ``cfg.speed_range``;
  for each, a start is drawn uniformly among those that keep all
  ``cfg.num_frames`` resampled frames inside the clip, and the resampled
  clip gets two independent sets of invariant augmentations (one for view
  set A, one for set B).

  Args:
    key: PRNG key for this clip.
    clip: ``[T, H, W, C]`` frames, uint8 in ``[0, 255]`` (views in
      ``[0, 1]``) or float in any units (not clipped).
    cfg: static :class:`ViewConfig`.

  Returns:
    :class:`Views` with ``views`` ``[2, M, L, H_out, W_out, C]`` and
    ``speeds`` ``[M]``.
  """
  if clip.ndim != 4:
    raise ValueError(f'make_views: clip must be [T, H, W, C], got '
                     f'{clip.shape}.')
  t_len = clip.shape[0]
  if t_len < cfg.min_clip_frames():
    raise ValueError(
        f'make_views: a clip of {t_len} frames is too short for '
        f'{cfg.num_frames}-frame views at speed up to {cfg.speed_range[1]}: '
        f'it needs at least {cfg.min_clip_frames()} frames. Use longer clips, '
        'fewer frames per view or a lower maximum speed.')
  bounded = bool(jnp.issubdtype(clip.dtype, jnp.integer))  # static
  if bounded:
    clip = clip.astype(jnp.float32) / 255.0
  else:
    clip = clip.astype(jnp.float32)
  k_speed, k_start, k_aug = jax.random.split(key, 3)
  speeds = sample_speeds(k_speed, cfg)
  max_start = (t_len - 1) - (cfg.num_frames - 1) * speeds
  starts = jax.random.uniform(k_start, (cfg.num_speeds,)) * max_start
  resampled = jax.vmap(speed_resample, in_axes=(None, 0, 0, None))(
      clip, speeds, starts, cfg.num_frames)  # [M, L, H, W, C]
  aug_keys = jax.random.split(k_aug, (2, cfg.num_speeds))
  one = functools.partial(invariant_augment, cfg=cfg, bounded=bounded)
  augment = jax.vmap(jax.vmap(one, in_axes=(0, 0)), in_axes=(0, None))
  views = augment(aug_keys, resampled)
  return Views(views=views, speeds=speeds)
