"""MoCo v2 baseline: a momentum key encoder and a queue of negatives.

He et al., CVPR 2020; Chen et al., 2020 (v2: MLP head, stronger
augmentation). Two views per clip (:mod:`common`): the query branch
(encoder + projector) is trained; the key branch is its exponential moving
average; the loss is InfoNCE of each query against its key (positive) and
the ``K`` keys of earlier steps held in a queue (negatives). The step's
whole global batch of keys is enqueued (the batch is one global array
under ``jit``, so no all-gather is written by hand).
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
TRAINABLE = nnx.All(nnx.Param, nnx.Not(nnx.PathContains('target')))


class Queue(nnx.Variable):
  """Non-trainable state: the negative keys and the write position."""


@dataclasses.dataclass(frozen=True)
class Config:
  views: augment.ViewConfig
  temperature: float = 0.2
  ema: float = 0.99
  queue_size: int = 256
  head: common.HeadConfig = common.HeadConfig()

  def __post_init__(self):
    if not self.temperature > 0 or not 0 <= self.ema < 1:
      raise ValueError(f'moco_v2: need temperature > 0 and 0 <= ema < 1, '
                       f'got {self.temperature}, {self.ema}.')
    if self.queue_size < 1:
      raise ValueError(f'moco_v2: queue_size must be >= 1, got '
                       f'{self.queue_size}.')


def config_from(method_cfg, fps: float) -> Config:
  del fps
  return Config(views=common.view_config(method_cfg),
                temperature=method_cfg.temperature, ema=method_cfg.ema,
                queue_size=method_cfg.queue_size,
                head=common.head_config(method_cfg))


class Learner(nnx.Module):
  def __init__(self, encoder: nnx.Module, cfg: Config, *, rngs: nnx.Rngs):
    self.encoder = encoder
    self.projector = common.projector(cfg, rngs=rngs)
    self.target_encoder = common.copy_module(encoder)
    self.target_projector = common.copy_module(self.projector)
    # Random unit keys until real ones replace them (as in MoCo).
    self.queue = Queue(common.l2_normalize(jax.random.normal(
        rngs.params(), (cfg.queue_size, cfg.head.dim))))
    self.queue_ptr = Queue(jnp.zeros((), jnp.int32))


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = common.encoder_of


make_views = common.make_views


def infonce_with_queue(q: Array, k: Array, queue: Array,
                       temperature: float) -> Array:
  """Mean over rows of ``-log softmax([q.k, q.queue] / tau)[0]``.

  Args:
    q: ``[B, D]`` queries; k: ``[B, D]`` their keys (positives); queue:
      ``[K, D]`` negatives. All are L2-normalized here.
    temperature: ``tau``.
  """
  q, k = common.l2_normalize(q), common.l2_normalize(k)
  queue = common.l2_normalize(queue)
  pos = jnp.sum(q * k, axis=-1, keepdims=True)
  logits = jnp.concatenate([pos, q @ queue.T], axis=1) / temperature
  return -jnp.mean(jax.nn.log_softmax(logits, axis=-1)[:, 0])


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  del batch
  q = learner.projector(common.encode_pairs(learner.encoder, views))[:, 0]
  k = jax.lax.stop_gradient(learner.target_projector(
      common.encode_pairs(learner.target_encoder, views)))[:, 1]
  loss = infonce_with_queue(q, k, learner.queue[...], cfg.temperature)
  # Enqueue this step's keys (overwriting the oldest) for later steps.
  b = k.shape[0]
  idx = (learner.queue_ptr[...] + jnp.arange(b)) % cfg.queue_size
  learner.queue[...] = learner.queue[...].at[idx].set(
      common.l2_normalize(k))
  learner.queue_ptr[...] = (learner.queue_ptr[...] + b) % cfg.queue_size
  return loss, {}


def after_update(learner: Learner, cfg: Config) -> None:
  common.ema_update(learner.target_encoder, learner.encoder, cfg.ema)
  common.ema_update(learner.target_projector, learner.projector, cfg.ema)
