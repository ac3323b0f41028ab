"""The compiled SimPer train step: views, encoder, loss, optax update.

One ``jax.jit`` over the ``('data',)`` mesh, with the train state donated:

    key   = fold_in(root, step); per-clip keys = fold_in(key, global index)
    views = vmap(method.make_views)(keys, clips)        (on device)
    feats = encoder(views)                              (Flax NNX)
    loss  = method.loss(feats, views)
    grads -> optax update

Per-clip keys depend only on the step and the clip's global index, so the
augmentations, and hence the whole step, do not depend on how many devices
the batch is split over, and a resumed run draws what an uninterrupted one
would.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from simper_jax import partitioning

Array = jax.Array


class StepFns(NamedTuple):
  """A compiled step and what is needed to turn its state back into objects.

  Attributes:
    graphdef: static structure of ``(model, optimizer)``.
    step: jitted ``step(state, batch, root_key) -> (state, metrics)``;
      ``state`` is donated.
  """
  graphdef: Any
  step: Callable


def split_state(model: nnx.Module, optimizer: nnx.Optimizer):
  """``(graphdef, state)`` of the model and optimizer together."""
  return nnx.split((model, optimizer))


def merge_state(graphdef, state):
  """Inverse of :func:`split_state`: ``(model, optimizer)``."""
  return nnx.merge(graphdef, state)


def clip_keys(root_key: Array, step: Array, index: Array) -> Array:
  """Per-clip keys ``fold_in(fold_in(root, step), global_index)``."""
  step_key = jax.random.fold_in(root_key, step)
  return jax.vmap(lambda i: jax.random.fold_in(step_key, i))(index)


def make_train_step(graphdef, *, method, method_cfg, mesh,
                    donate: bool = True) -> StepFns:
  """Builds the jitted train step.

  Args:
    graphdef: from :func:`split_state` (model in train mode).
    method: a method module (``simper_jax.methods``) with ``make_views`` and
      ``loss``.
    method_cfg: its static config.
    mesh: the ``('data',)`` mesh; state replicated, batch sharded.
    donate: donate the input state buffers (the caller must not reuse it).

  Returns:
    :class:`StepFns`. The step takes ``state``, ``batch`` (a dict with
    ``clip`` uint8/float ``[B, T, H, W, C]`` and ``index`` int ``[B]``, the
    clips' global indices) and ``root_key``, and returns the new state and
    ``{'loss', 'grad_norm'}``.
  """
  repl = partitioning.replicated(mesh)
  data = partitioning.data_sharded(mesh)

  def step_fn(state, batch, root_key):
    model, optimizer = nnx.merge(graphdef, state)
    keys = clip_keys(root_key, optimizer.step[...], batch['index'])
    views = jax.vmap(lambda k, c: method.make_views(k, c, method_cfg))(
        keys, batch['clip'])
    views = jax.lax.with_sharding_constraint(views, data)

    def loss_fn(model):
      v = views.views  # [B, 2, M, L, H, W, C]
      b, two, m = v.shape[:3]
      feats = model(v.reshape(b * two * m, *v.shape[3:]))
      return method.loss(feats.reshape(b, two, m, -1), views, method_cfg)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    metrics = {'loss': loss, 'grad_norm': optax.tree.norm(grads)}
    return nnx.state((model, optimizer)), metrics

  step = jax.jit(step_fn, in_shardings=(repl, data, repl),
                 out_shardings=(repl, repl),
                 donate_argnums=(0,) if donate else ())
  return StepFns(graphdef=graphdef, step=step)


def check_finite(metrics: dict[str, Any], step: int) -> None:
  """Raises ``FloatingPointError`` naming the step if a metric is not finite."""
  bad = {k: float(v) for k, v in metrics.items()
         if not bool(jnp.all(jnp.isfinite(v)))}
  if bad:
    raise FloatingPointError(
        f'non-finite training metrics at step {step}: {bad}. Lower the '
        'learning rate, check the input data for NaNs, or raise the feature '
        'temperature.')
