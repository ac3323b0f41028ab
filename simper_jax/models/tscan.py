"""TS-CAN: a temporal shift convolutional attention network for rPPG.

Liu, Fromm, Patel and McDuff, "Multi-Task Temporal Shift Attention Networks
for On-Device Contactless Vitals Measurement", NeurIPS 2020. Written from the
paper and the public descriptions of its reference implementations (the
authors' Keras MTTS-CAN and rPPG-Toolbox ``TS_CAN.py``); no code is copied.

The encoder maps ``[N, T, H, W, C]`` frames in ``[0, 1]`` to ``[N, T]``, one
pulse value per frame, like :class:`simper_jax.models.cnn3d.CNN3D`. Inside:

* **Inputs** (computed in float32 from the frames, :func:`preprocess`).
  Motion: difference-normalized frames
  ``d_t = (x_{t+1} - x_t) / (x_{t+1} + x_t + eps)`` for ``t < T - 1``,
  divided by their standard deviation over the clip (all of ``T-1, H, W, C``,
  no mean subtraction), then a **zero frame appended** as ``d_{T-1}`` so there
  are ``T`` motion frames (as rPPG-Toolbox pads its DiffNormalized data).
  Frames are clamped to ``>= 0`` first so ``|d| <= 1`` even if an augmentation
  undershoots. Appearance: each frame standardized by the clip's mean and
  standard deviation (over ``T, H, W, C``), one appearance frame per motion
  frame. (The original TS-CAN averages the appearance frames of each
  ``frame_depth`` window; we keep them per frame as rPPG-Toolbox's model
  does, which leaves the network's computation per frame.)
* **Motion branch**: ``TSM -> conv3x3 'SAME' -> tanh -> TSM -> conv3x3
  'VALID' -> tanh -> x mask1 -> avgpool 2x2 -> [dropout] -> TSM -> conv3x3
  'SAME' -> tanh -> TSM -> conv3x3 'VALID' -> tanh -> x mask2 -> avgpool 2x2
  -> [dropout]``, widths ``channels = (c1, c2)`` (paper: 32, 64).
* **Appearance branch**: the same per-frame convolutions without temporal
  shifts; after each pair, the attention mask is ``sigmoid(conv1x1(r))``
  normalized per frame to ``m * H * W / (2 * sum |m|)`` (:func:`attention_norm`)
  and gates the motion features.
* **Head**, per frame: with ``image_size`` given, the paper's flatten ->
  dense(``dense``, tanh) -> [dropout] -> dense(1); with ``image_size=None``
  (default) a spatial mean of the ``c2`` features replaces the flatten so any
  ``H, W >= 10`` works (the view size comes from the data config).

**Temporal shift** (:func:`temporal_shift`): channels are split in
``fold_div = 3`` folds of ``C // 3``; fold 0 at frame ``t`` takes frame
``t + 1`` ("shift left"), fold 1 takes frame ``t - 1``, the rest stay. The
shift happens within consecutive segments of ``frame_depth`` frames starting
at frame 0 of each clip, with zeros where the source frame lies in another
segment or outside the clip. ``T`` need not be a multiple of ``frame_depth``:
the last segment is then shorter (e.g. T=45, depth 10: 10,10,10,10,5).
``frame_depth=None`` shifts over the whole clip. As four shifts precede the
four motion convolutions, an output frame sees motion frames at most 4 steps
away (and within its segment); motion frame ``t`` depends on input frames
``t, t+1``. The clip-level standardization of both inputs is the only
clip-wide coupling.

``dropout`` (after each pooling; paper 0.25) and ``dense_dropout`` (after the
first dense; paper 0.5) default to 0 so evaluation is deterministic. With
rates > 0 they are ``nnx.Dropout`` layers active in ``model.train()`` mode.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

Array = jax.Array

MIN_SIZE = 10  # smallest H, W leaving a >= 1x1 map after the two blocks


def diff_normalize(x: Array, eps: float = 1e-7) -> Array:
  """Normalized frame differences ``[N, T, H, W, C]`` -> ``[N, T-1, ...]``.

  ``d_t = (x_{t+1} - x_t) / (x_{t+1} + x_t + eps)`` (no clip scaling, no
  padding; see :func:`preprocess`). Negative inputs are clamped to 0.
  """
  x = jnp.maximum(x.astype(jnp.float32), 0.0)
  return (x[:, 1:] - x[:, :-1]) / (x[:, 1:] + x[:, :-1] + eps)


def _clip_moments(x: Array) -> tuple[Array, Array]:
  axes = tuple(range(1, x.ndim))
  mean = jnp.mean(x, axis=axes, keepdims=True)
  var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
  return mean, var


def preprocess(x: Array, eps: float = 1e-7,
               std_eps: float = 1e-12) -> tuple[Array, Array]:
  """Frames ``[N, T, H, W, C]`` -> float32 ``(motion, appearance)``, both
  ``[N, T, H, W, C]`` (see the module docstring). ``std_eps`` is added to
  the variances so constant (e.g. padded) clips give zeros, not NaNs."""
  if x.ndim != 5 or x.shape[1] < 2:
    raise ValueError(f'TS-CAN: expected [N, T >= 2, H, W, C] frames, got '
                     f'{x.shape}.')
  x = x.astype(jnp.float32)
  d = diff_normalize(x, eps)
  d = d / jnp.sqrt(_clip_moments(d)[1] + std_eps)
  motion = jnp.concatenate([d, jnp.zeros_like(d[:, :1])], axis=1)
  mean, var = _clip_moments(x)
  appearance = (x - mean) / jnp.sqrt(var + std_eps)
  return motion, appearance


def _shift_masks(t: int, frame_depth: int | None) -> tuple[np.ndarray,
                                                            np.ndarray]:
  """Static ``[T]`` masks: frame ``t`` may read ``t + 1`` / ``t - 1``."""
  seg = np.arange(t) // (frame_depth or t)
  nxt = np.zeros(t, bool)
  nxt[:-1] = seg[1:] == seg[:-1]
  prv = np.zeros(t, bool)
  prv[1:] = seg[1:] == seg[:-1]
  return nxt, prv


def temporal_shift(x: Array, frame_depth: int | None = 10,
                   fold_div: int = 3) -> Array:
  """TSM of ``[N, T, ..., C]`` within ``frame_depth``-frame segments.

  Channels ``[0, f)`` (``f = C // fold_div``) at frame ``t`` take frame
  ``t + 1``; channels ``[f, 2f)`` take frame ``t - 1``; the rest are kept.
  A source frame outside the clip or in another segment gives zeros.
  """
  if frame_depth is not None and frame_depth < 1:
    raise ValueError(f'temporal_shift: frame_depth must be >= 1 or None, '
                     f'got {frame_depth}.')
  t, c = x.shape[1], x.shape[-1]
  fold = c // fold_div
  if fold == 0 or t == 1:
    return x
  nxt, prv = _shift_masks(t, frame_depth)
  bshape = (1, t) + (1,) * (x.ndim - 2)
  nxt = jnp.asarray(nxt, x.dtype).reshape(bshape)
  prv = jnp.asarray(prv, x.dtype).reshape(bshape)
  a, b, rest = x[..., :fold], x[..., fold:2 * fold], x[..., 2 * fold:]
  zero_a = jnp.zeros_like(a[:, :1])
  zero_b = jnp.zeros_like(b[:, :1])
  a = jnp.concatenate([a[:, 1:], zero_a], axis=1) * nxt
  b = jnp.concatenate([zero_b, b[:, :-1]], axis=1) * prv
  return jnp.concatenate([a, b, rest], axis=-1)


def attention_norm(mask: Array) -> Array:
  """``m * H * W / (2 * sum_{H,W} |m|)`` of ``[..., H, W, K]`` masks, per
  leading index and channel ``K`` (the paper's L1 normalization)."""
  h, w = mask.shape[-3], mask.shape[-2]
  total = jnp.sum(jnp.abs(mask), axis=(-3, -2), keepdims=True)
  return mask * (h * w * 0.5) / total


def avg_pool_2x2(x: Array) -> Array:
  """2x2 average pool of ``[B, H, W, C]`` (odd edges are dropped)."""
  b, h, w, c = x.shape
  x = x[:, :h // 2 * 2, :w // 2 * 2]
  return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _out_size(n: int) -> int:
  return ((n - 2) // 2 - 2) // 2


class TSCAN(nnx.Module):
  """TS-CAN encoder: ``[N, T, H, W, C]`` frames in [0, 1] -> ``[N, T]``.

  Args:
    in_channels: channels of the input frames (3 for RGB).
    channels: ``(c1, c2)`` convolution widths (paper: (32, 64)).
    dense: width of the hidden dense layer (paper: 128).
    frame_depth: temporal shift segment length (default 10, as the paper);
      ``None`` shifts over the whole clip. Need not divide ``T``.
    image_size: ``None`` (default): spatial-mean head, any ``H, W >= 10``;
      an int or ``(H, W)``: the paper's flatten head, for that size only.
    dropout: rate after each pooling (paper 0.25; default 0).
    dense_dropout: rate after the hidden dense (paper 0.5); ``None``: same
      as ``dropout``.
    kernel_size: spatial kernel of the convolutions (paper: 3).
    dtype: compute dtype of convolutions and dense layers (parameters stay
      float32; inputs, masks and the output are float32).
    rngs: ``nnx.Rngs`` for initialization (and dropout, if used).
  """

  def __init__(self, *, in_channels: int = 3,
               channels: Sequence[int] = (32, 64), dense: int = 128,
               frame_depth: int | None = 10,
               image_size: int | Sequence[int] | None = None,
               dropout: float = 0.0, dense_dropout: float | None = None,
               kernel_size: int = 3, dtype=None, rngs: nnx.Rngs):
    channels = tuple(int(c) for c in channels)
    if len(channels) != 2 or min(channels) < 1 or dense < 1:
      raise ValueError(f'TSCAN: need channels=(c1, c2) >= 1 and dense >= 1, '
                       f'got channels={channels}, dense={dense}.')
    if frame_depth is not None and frame_depth < 1:
      raise ValueError(f'TSCAN: frame_depth must be >= 1 or None, got '
                       f'{frame_depth}.')
    dense_dropout = dropout if dense_dropout is None else dense_dropout
    for rate in (dropout, dense_dropout):
      if not 0.0 <= rate < 1.0:
        raise ValueError(f'TSCAN: dropout rates must be in [0, 1), got '
                         f'{rate}.')
    if isinstance(image_size, int):
      image_size = (image_size, image_size)
    if image_size is not None:
      image_size = tuple(int(s) for s in image_size)
      if len(image_size) != 2 or min(image_size) < MIN_SIZE:
        raise ValueError(f'TSCAN: image_size must be (H, W) >= {MIN_SIZE}, '
                         f'got {image_size}.')
    c1, c2 = channels
    k = (kernel_size, kernel_size)

    def conv(cin, cout, padding, kernel=k):
      return nnx.Conv(cin, cout, kernel, padding=padding, dtype=dtype,
                      param_dtype=jnp.float32, rngs=rngs)

    self.motion = nnx.List([conv(in_channels, c1, 'SAME'),
                            conv(c1, c1, 'VALID'), conv(c1, c2, 'SAME'),
                            conv(c2, c2, 'VALID')])
    self.appearance = nnx.List([conv(in_channels, c1, 'SAME'),
                                conv(c1, c1, 'VALID'), conv(c1, c2, 'SAME'),
                                conv(c2, c2, 'VALID')])
    self.attention = nnx.List([conv(c1, 1, 'VALID', (1, 1)),
                               conv(c2, 1, 'VALID', (1, 1))])
    flat = (c2 if image_size is None else
            c2 * _out_size(image_size[0]) * _out_size(image_size[1]))
    self.dense1 = nnx.Linear(flat, dense, dtype=dtype,
                             param_dtype=jnp.float32, rngs=rngs)
    self.dense2 = nnx.Linear(dense, 1, dtype=dtype, param_dtype=jnp.float32,
                             rngs=rngs)
    self.drop = (nnx.Dropout(dropout, rngs=rngs) if dropout > 0 else None)
    self.dense_drop = (nnx.Dropout(dense_dropout, rngs=rngs)
                       if dense_dropout > 0 else None)
    self.in_channels = in_channels
    self.frame_depth = frame_depth
    self.image_size = image_size
    self.dtype = dtype

  def encode(self, motion: Array, appearance: Array) -> Array:
    """The network on preprocessed ``[N, T, H, W, C]`` inputs -> ``[N, T]``."""
    n, t, h, w, c = motion.shape
    dtype = self.dtype or jnp.float32

    def tsm(v):  # [N*T, h, w, c] -> shifted, same shape
      v = v.reshape(n, t, *v.shape[1:])
      v = temporal_shift(v, self.frame_depth)
      return v.reshape(n * t, *v.shape[2:])

    def gate(m, r, att):
      g = jax.nn.sigmoid(att(r).astype(jnp.float32))
      return m * attention_norm(g).astype(m.dtype)

    def pool(v):
      v = avg_pool_2x2(v)
      return v if self.drop is None else self.drop(v)

    m = motion.reshape(n * t, h, w, c).astype(dtype)
    r = appearance.reshape(n * t, h, w, c).astype(dtype)
    for blk in range(2):
      conv_a, conv_b = self.motion[2 * blk], self.motion[2 * blk + 1]
      m = jnp.tanh(conv_a(tsm(m)))
      m = jnp.tanh(conv_b(tsm(m)))
      r = jnp.tanh(self.appearance[2 * blk + 1](
          jnp.tanh(self.appearance[2 * blk](r))))
      m = pool(gate(m, r, self.attention[blk]))
      if blk == 0:
        r = pool(r)
    if self.image_size is None:
      feat = jnp.mean(m.astype(jnp.float32), axis=(1, 2)).astype(dtype)
    else:
      feat = m.reshape(n * t, -1)
    hid = jnp.tanh(self.dense1(feat))
    if self.dense_drop is not None:
      hid = self.dense_drop(hid)
    return self.dense2(hid)[:, 0].astype(jnp.float32).reshape(n, t)

  def __call__(self, x: Array) -> Array:
    if x.ndim != 5 or x.shape[-1] != self.in_channels:
      raise ValueError(f'TSCAN: expected [N, T, H, W, {self.in_channels}] '
                       f'frames, got {x.shape}.')
    h, w = x.shape[2:4]
    if self.image_size is not None and (h, w) != self.image_size:
      raise ValueError(f'TSCAN: built for image_size={self.image_size} '
                       f'(flatten head), got frames {h}x{w}; use '
                       'image_size=None for any size.')
    if min(h, w) < MIN_SIZE:
      raise ValueError(f'TSCAN: frames must be at least {MIN_SIZE}x'
                       f'{MIN_SIZE}, got {h}x{w}.')
    return self.encode(*preprocess(x))


def tiny_tscan(*, in_channels: int = 3, frame_depth: int | None = 10,
               rngs: nnx.Rngs, **kwargs) -> TSCAN:
  """A 4/8-channel, dense-8 variant for tests."""
  return TSCAN(in_channels=in_channels, channels=(4, 8), dense=8,
               frame_depth=frame_depth, rngs=rngs, **kwargs)
