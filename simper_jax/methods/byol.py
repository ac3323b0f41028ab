"""BYOL baseline: online network + predictor regress an EMA target network.

Grill et al., NeurIPS 2020. Two views per clip (:mod:`common`). The online
branch (encoder, projector, predictor) predicts the target branch's
projection of the other view; the target (a copy of encoder and projector)
is never trained by gradients: after each optimizer step it moves toward
the online weights, ``target <- m * target + (1 - m) * online``. No
negatives. Loss ``2 - 2 cos(p, sg(z'))``, symmetrized over the two views.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax import augment
from simper_jax.methods import common

Array = jax.Array
NEEDS_LABELS = False
# The optimizer and the gradients see the online parameters only.
TRAINABLE = nnx.All(nnx.Param, nnx.Not(nnx.PathContains('target')))


@dataclasses.dataclass(frozen=True)
class Config:
  views: augment.ViewConfig
  ema: float = 0.99
  head: common.HeadConfig = common.HeadConfig()

  def __post_init__(self):
    if not 0 <= self.ema < 1:
      raise ValueError(f'byol: ema must be in [0, 1), got {self.ema}.')


def config_from(method_cfg, fps: float) -> Config:
  del fps
  return Config(views=common.view_config(method_cfg), ema=method_cfg.ema,
                head=common.head_config(method_cfg))


class Learner(nnx.Module):
  def __init__(self, encoder: nnx.Module, cfg: Config, *, rngs: nnx.Rngs):
    self.encoder = encoder
    self.projector = common.projector(cfg, rngs=rngs)
    self.predictor = common.MLP(cfg.head.dim, cfg.head.hidden,
                                cfg.head.dim, rngs=rngs)
    # The target starts as an exact copy of the online encoder + projector,
    # in buffers of its own (shared ones cannot both be donated to the step).
    self.target_encoder = common.copy_module(encoder)
    self.target_projector = common.copy_module(self.projector)


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = common.encoder_of


make_views = common.make_views


def regression_loss(p: Array, z: Array) -> Array:
  """``mean(2 - 2 cos(p, z))`` over rows of ``[B, D]`` arrays."""
  p, z = common.l2_normalize(p), common.l2_normalize(z)
  return jnp.mean(2.0 - 2.0 * jnp.sum(p * z, axis=-1))


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  del batch, cfg
  online = learner.projector(common.encode_pairs(learner.encoder, views))
  p = learner.predictor(online)  # [B, 2, D]
  target = jax.lax.stop_gradient(learner.target_projector(
      common.encode_pairs(learner.target_encoder, views)))
  loss = 0.5 * (regression_loss(p[:, 0], target[:, 1])
                + regression_loss(p[:, 1], target[:, 0]))
  return loss, {}


def after_update(learner: Learner, cfg: Config) -> None:
  common.ema_update(learner.target_encoder, learner.encoder, cfg.ema)
  common.ema_update(learner.target_projector, learner.projector, cfg.ema)
