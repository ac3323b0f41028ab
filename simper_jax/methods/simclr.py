"""SimCLR baseline: InfoNCE across instances over the GLOBAL batch.

Chen et al., ICML 2020. Two views per clip (:mod:`common`), embedding =
the encoder's per-frame series, an MLP projection head, cosine similarity,
NT-Xent with temperature ``tau``. Under ``jax.jit`` over the data mesh the
projected batch is one global array, so every clip's negatives are the
other ``2B - 2`` views of the whole global batch, on every device, with no
hand-written all-gather.
"""

from __future__ import annotations

import jax
from flax import nnx

from simper_jax import augment
from simper_jax.methods import common

Array = jax.Array
NEEDS_LABELS = False
TRAINABLE = nnx.Param


Config = common.ContrastiveConfig


def config_from(method_cfg, fps: float) -> Config:
  del fps
  return Config(views=common.view_config(method_cfg),
                temperature=method_cfg.temperature,
                head=common.head_config(method_cfg))


Learner = common.ProjectionLearner  # the encoder and a projection head


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = common.encoder_of


make_views = common.make_views


nt_xent = common.nt_xent


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  del batch
  feats = common.encode_pairs(learner.encoder, views)  # [B, 2, L]
  z = learner.projector(feats)
  return nt_xent(z[:, 0], z[:, 1], cfg.temperature), {}


def after_update(learner: Learner, cfg: Config) -> None:
  del learner, cfg
