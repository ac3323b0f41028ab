"""Pieces the methods share: heads, target networks, instance views, NT-Xent.

Every method module imports what it shares from here; no method imports
another method.

Instance views (SimCLR, MoCo v2, BYOL, supervised): two invariant-augmented
copies of ONE temporal window of the clip at speed 1 (no speed change):
with a per-frame series as the embedding, views from different windows
differ by a phase shift, which makes positives dissimilar (README.md,
"Baselines, ablations and studies"). The encoder's per-frame series ``[L]``
is the pooled embedding the losses see, through a projection head.

Target networks (BYOL, MoCo v2): :func:`copy_module` starts one,
:func:`ema_update` moves it toward the online network after each step.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax import augment

Array = jax.Array


# --- Instance views.


def view_settings(method_cfg) -> dict:
  """The view maker's settings an experiment's ``method`` section sets
  (output size and the periodicity-invariant augmentations)."""
  aug = method_cfg.augment
  return dict(out_size=tuple(method_cfg.out_size) or None,
              crop_scale=tuple(aug.crop_scale), brightness=aug.brightness,
              blur_prob=aug.blur_prob, flip_prob=aug.flip_prob,
              grayscale_prob=aug.grayscale_prob,
              reverse_prob=aug.reverse_prob)


def view_config(method_cfg) -> augment.ViewConfig:
  """One speed fixed at 1: two augmented views of the same window."""
  return augment.ViewConfig(
      num_speeds=1, num_frames=method_cfg.num_frames, speed_range=(1.0, 1.0),
      **view_settings(method_cfg))


def make_views(key: Array, clip: Array, cfg) -> augment.Views:
  """``[T, H, W, C]`` clip -> views ``[2, 1, L, H', W', C]``."""
  return augment.make_views(key, clip, cfg.views)


def encode_pairs(encoder: nnx.Module, views: augment.Views) -> Array:
  """Encodes the two views of each clip: ``[B, 2, L]`` feature series."""
  v = views.views[:, :, 0]  # [B, 2, L, H, W, C]
  b = v.shape[0]
  return encoder(v.reshape(b * 2, *v.shape[2:])).reshape(b, 2, -1)


def encoder_of(learner: nnx.Module) -> nnx.Module:
  """The encoder to evaluate, frozen, after training (``learner.encoder``)."""
  return learner.encoder


# --- Heads.


class MLP(nnx.Module):
  """``Linear -> ReLU -> Linear`` (projection and prediction heads)."""

  def __init__(self, d_in: int, d_hidden: int, d_out: int, *,
               rngs: nnx.Rngs):
    self.fc1 = nnx.Linear(d_in, d_hidden, rngs=rngs)
    self.fc2 = nnx.Linear(d_hidden, d_out, rngs=rngs)

  def __call__(self, x: Array) -> Array:
    return self.fc2(jax.nn.relu(self.fc1(x)))


@dataclasses.dataclass(frozen=True)
class HeadConfig:
  """Projection-head sizes shared by the contrastive baselines."""
  hidden: int = 128
  dim: int = 64


@dataclasses.dataclass(frozen=True)
class ContrastiveConfig:
  """Static settings of the NT-Xent baselines (SimCLR, CVRL)."""
  views: augment.ViewConfig
  temperature: float = 0.1
  head: HeadConfig = HeadConfig()

  def __post_init__(self):
    if not self.temperature > 0:
      raise ValueError(f'method.temperature must be > 0, got '
                       f'{self.temperature}.')


def head_config(method_cfg) -> HeadConfig:
  """The projection head's sizes from an experiment's ``method`` section."""
  return HeadConfig(method_cfg.proj_hidden, method_cfg.proj_dim)


def projector(cfg, *, rngs: nnx.Rngs) -> MLP:
  """The projection head: the ``[L]`` series -> ``[cfg.head.dim]``."""
  return MLP(cfg.views.num_frames, cfg.head.hidden, cfg.head.dim, rngs=rngs)


class ProjectionLearner(nnx.Module):
  """The encoder and a projection head (SimCLR, CVRL)."""

  def __init__(self, encoder: nnx.Module, cfg, *, rngs: nnx.Rngs):
    self.encoder = encoder
    self.projector = projector(cfg, rngs=rngs)


# --- Target networks.


def copy_module(module: nnx.Module) -> nnx.Module:
  """A deep copy with buffers of its own (a target network's start: shared
  buffers could not both be donated to the train step)."""
  clone = nnx.clone(module)
  nnx.update(clone, jax.tree.map(jnp.copy, nnx.state(clone)))
  return clone


def ema_update(target: nnx.Module, online: nnx.Module, rate: float) -> None:
  """``target <- rate * target + (1 - rate) * online`` (parameters only)."""
  t, o = nnx.state(target, nnx.Param), nnx.state(online, nnx.Param)
  nnx.update(target, jax.tree.map(lambda a, b: rate * a + (1 - rate) * b,
                                  t, o))


# --- Losses.


def l2_normalize(x: Array, eps: float = 1e-12) -> Array:
  return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(x * x, -1, keepdims=True),
                                       eps))


def nt_xent(z_a: Array, z_b: Array, temperature: float) -> Array:
  """NT-Xent (normalized temperature-scaled cross-entropy; SimCLR, CVRL).

  Args:
    z_a, z_b: ``[B, D]`` projections of the two views of each clip.
    temperature: ``tau``.

  Returns:
    Scalar: mean over the ``2B`` views of ``-log softmax`` of the positive
    among the other ``2B - 1`` views (cosine similarity / tau).
  """
  if z_a.shape != z_b.shape or z_a.ndim != 2:
    raise ValueError(f'nt_xent: need two [B, D] arrays, got {z_a.shape} and '
                     f'{z_b.shape}.')
  b = z_a.shape[0]
  z = l2_normalize(jnp.concatenate([z_a, z_b]).astype(jnp.float32))
  logits = z @ z.T / temperature
  logits = jnp.where(jnp.eye(2 * b, dtype=bool), -jnp.inf, logits)
  positive = jnp.concatenate([jnp.arange(b) + b, jnp.arange(b)])
  logp = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.mean(jnp.take_along_axis(logp, positive[:, None], axis=1))
