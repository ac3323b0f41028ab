"""SimCLR baseline: InfoNCE across instances over the GLOBAL batch.

Chen et al., ICML 2020. Two views per clip (:mod:`instance`), embedding =
the encoder's per-frame series, an MLP projection head, cosine similarity,
NT-Xent with temperature ``tau``. Under ``jax.jit`` over the data mesh the
projected batch is one global array, so every clip's negatives are the
other ``2B - 2`` views of the whole global batch, on every device, with no
hand-written all-gather.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx

from simper_jax import augment
from simper_jax.methods import instance

Array = jax.Array
NEEDS_LABELS = False


@dataclasses.dataclass(frozen=True)
class Config:
  views: augment.ViewConfig
  temperature: float = 0.1
  head: instance.HeadConfig = instance.HeadConfig()

  def __post_init__(self):
    if not self.temperature > 0:
      raise ValueError(f'simclr: temperature must be > 0, got '
                       f'{self.temperature}.')


def config_from(method_cfg, fps: float) -> Config:
  del fps
  return Config(views=instance.view_config(method_cfg),
                temperature=method_cfg.temperature,
                head=instance.head_config(method_cfg))


class Learner(nnx.Module):
  def __init__(self, encoder: nnx.Module, cfg: Config, *, rngs: nnx.Rngs):
    self.encoder = encoder
    self.projector = instance.projector(cfg, rngs=rngs)


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = instance.encoder_of


make_views = instance.make_views


def nt_xent(z_a: Array, z_b: Array, temperature: float) -> Array:
  """NT-Xent (normalized temperature-scaled cross-entropy).

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
  z = instance.l2_normalize(jnp.concatenate([z_a, z_b]).astype(jnp.float32))
  logits = z @ z.T / temperature
  logits = jnp.where(jnp.eye(2 * b, dtype=bool), -jnp.inf, logits)
  positive = jnp.concatenate([jnp.arange(b) + b, jnp.arange(b)])
  logp = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.mean(jnp.take_along_axis(logp, positive[:, None], axis=1))


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  del batch
  feats = instance.encode_pairs(learner.encoder, views)  # [B, 2, L]
  z = learner.projector(feats)
  return nt_xent(z[:, 0], z[:, 1], cfg.temperature), {}


def after_update(learner: Learner, cfg: Config) -> None:
  del learner, cfg
