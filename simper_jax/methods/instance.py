"""Shared parts of the instance-level baselines (SimCLR, BYOL, supervised).

Their views are two invariant-augmented copies of ONE temporal window of
the clip at speed 1 (no speed change): with a per-frame series as the
embedding, views from different windows differ by a phase shift, which
makes positives dissimilar (SPEC.md, "Baselines are budget-sensitive").
The encoder's per-frame series ``[L]`` is the pooled embedding the losses
see, through a projection head.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax import augment

Array = jax.Array


def view_config(method_cfg) -> augment.ViewConfig:
  """One speed fixed at 1: two augmented views of the same window."""
  return augment.ViewConfig(
      num_speeds=1, num_frames=method_cfg.num_frames, speed_range=(1.0, 1.0),
      out_size=tuple(method_cfg.out_size) or None)


def make_views(key: Array, clip: Array, cfg) -> augment.Views:
  """``[T, H, W, C]`` clip -> views ``[2, 1, L, H', W', C]``."""
  return augment.make_views(key, clip, cfg.views)


def encode_pairs(encoder: nnx.Module, views: augment.Views) -> Array:
  """Encodes the two views of each clip: ``[B, 2, L]`` feature series."""
  v = views.views[:, :, 0]  # [B, 2, L, H, W, C]
  b = v.shape[0]
  return encoder(v.reshape(b * 2, *v.shape[2:])).reshape(b, 2, -1)


class MLP(nnx.Module):
  """``Linear -> ReLU -> Linear`` (projection and prediction heads)."""

  def __init__(self, d_in: int, d_hidden: int, d_out: int, *,
               rngs: nnx.Rngs):
    self.fc1 = nnx.Linear(d_in, d_hidden, rngs=rngs)
    self.fc2 = nnx.Linear(d_hidden, d_out, rngs=rngs)

  def __call__(self, x: Array) -> Array:
    return self.fc2(jax.nn.relu(self.fc1(x)))


def copy_module(module: nnx.Module) -> nnx.Module:
  """A deep copy with buffers of its own (a target network's start: shared
  buffers could not both be donated to the train step)."""
  clone = nnx.clone(module)
  nnx.update(clone, jax.tree.map(jnp.copy, nnx.state(clone)))
  return clone


def l2_normalize(x: Array, eps: float = 1e-12) -> Array:
  return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(x * x, -1, keepdims=True),
                                       eps))


@dataclasses.dataclass(frozen=True)
class HeadConfig:
  """Projection-head sizes shared by the contrastive baselines."""
  hidden: int = 128
  dim: int = 64


def head_config(method_cfg) -> HeadConfig:
  """The projection head's sizes from an experiment's ``method`` section."""
  return HeadConfig(method_cfg.proj_hidden, method_cfg.proj_dim)


def projector(cfg, *, rngs: nnx.Rngs) -> MLP:
  """The projection head: the ``[L]`` series -> ``[cfg.head.dim]``."""
  return MLP(cfg.views.num_frames, cfg.head.hidden, cfg.head.dim, rngs=rngs)


def encoder_of(learner: nnx.Module) -> nnx.Module:
  """The encoder to evaluate, frozen, after training."""
  return learner.encoder
