"""CVRL baseline: video SimCLR with temporally distant positives.

Qian et al., CVPR 2021. Like :mod:`simclr` (projection head, NT-Xent over
the global batch), but the two views of a clip come from two independently
drawn temporal windows (speed 1), each with its own augmentation that is
consistent over its frames. Deviation: CVRL draws the gap between the two
windows from a decreasing distribution; here both starts are uniform over
the clip.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax import augment
from simper_jax.methods import common

Array = jax.Array
NEEDS_LABELS = False
TRAINABLE = nnx.Param


Config = common.ContrastiveConfig


def config_from(method_cfg, fps: float) -> Config:
  del fps
  # Two windows: the view maker draws one start per "speed" (both at 1).
  views = augment.ViewConfig(
      num_speeds=2, num_frames=method_cfg.num_frames, speed_range=(1.0, 1.0),
      **common.view_settings(method_cfg))
  return Config(views=views, temperature=method_cfg.temperature,
                head=common.head_config(method_cfg))


Learner = common.ProjectionLearner  # the encoder and a projection head


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = common.encoder_of


def make_views(key: Array, clip: Array, cfg: Config) -> augment.Views:
  """Two windows with independent starts; view set A of the first and set
  B of the second: ``[2, 1, L, H', W', C]``."""
  v = augment.make_views(key, clip, cfg.views)  # [2 sets, 2 windows, ...]
  views = jnp.stack([v.views[0, 0], v.views[1, 1]])[:, None]
  return augment.Views(views=views, speeds=v.speeds[:1])


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  del batch
  z = learner.projector(common.encode_pairs(learner.encoder, views))
  return common.nt_xent(z[:, 0], z[:, 1], cfg.temperature), {}


def after_update(learner: Learner, cfg: Config) -> None:
  del learner, cfg
