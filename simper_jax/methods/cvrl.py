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

from simper_jax import augment
from simper_jax.methods import simclr

Array = jax.Array
NEEDS_LABELS = False
Config = simclr.Config
Learner = simclr.Learner
build = simclr.build
encoder_of = simclr.encoder_of
after_update = simclr.after_update


def config_from(method_cfg, fps: float) -> Config:
  cfg = simclr.config_from(method_cfg, fps)
  # Two windows: the view maker draws one start per "speed" (both at 1).
  views = augment.ViewConfig(
      num_speeds=2, num_frames=cfg.views.num_frames, speed_range=(1.0, 1.0),
      out_size=cfg.views.out_size)
  return Config(views=views, temperature=cfg.temperature, head=cfg.head)


def make_views(key: Array, clip: Array, cfg: Config) -> augment.Views:
  """Two windows with independent starts; view set A of the first and set
  B of the second: ``[2, 1, L, H', W', C]``."""
  v = augment.make_views(key, clip, cfg.views)  # [2 sets, 2 windows, ...]
  views = jax.numpy.stack([v.views[0, 0], v.views[1, 1]])[:, None]
  return augment.Views(views=views, speeds=v.speeds[:1])


compute_loss = simclr.compute_loss
