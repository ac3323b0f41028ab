"""The method interface: exactly what the trainer (``simper_jax.train``) uses.

A method is a Python module (any object with these attributes will do)
that satisfies :class:`Method` structurally: it defines every member below
at module level, ``NEEDS_LABELS`` and ``TRAINABLE`` included (the trainer
assumes no defaults). :func:`check` verifies that at run time;
``simper_jax.methods.get`` runs it on every lookup.

The trainer's use, in order::

    cfg     = method.config_from(config.method, fps=config.data.fps)
    learner = method.build(encoder, cfg, rngs=rngs)
    opt     = nnx.Optimizer(learner, tx, wrt=method.TRAINABLE)
    # input pipeline yields labels iff method.NEEDS_LABELS
    # each step, under one jax.jit over the ('data',) mesh:
    views        = jax.vmap(lambda k, c: method.make_views(k, c, cfg))(keys,
                                                                       clips)
    (loss, aux)  = method.compute_loss(learner, views, batch, cfg)  # grads
                   # w.r.t. the TRAINABLE variables of learner
    optimizer.update(learner, grads)
    method.after_update(learner, cfg)
    # after training:
    encoder = method.encoder_of(learner)   # evaluated frozen
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping, Protocol

import jax
from flax import nnx
from flax.nnx import filterlib

from simper_jax import augment

Array = jax.Array


class MethodConfig(Protocol):
  """A method's static config, as returned by ``config_from``.

  A frozen (immutable) dataclass in every method here: it is closed over by
  the compiled step, so it must not change after ``config_from``. Besides
  passing it back to the method, the trainer reads only ``views`` (to check
  that the clips are long enough for the views).
  """

  @property
  def views(self) -> augment.ViewConfig:
    """The view maker's settings (``num_frames``, ``speed_range``, ...)."""
    ...


class Method(Protocol):
  """A self-supervised (or supervised reference) training method.

  Shapes: ``B`` clips per (global) batch, ``T`` frames per clip, ``M``
  views per view set (speeds for SimPer, 1 for the instance baselines),
  ``L`` frames per view, ``H, W, C`` a view's frame size and channels.
  """

  NEEDS_LABELS: bool
  """Whether ``compute_loss`` reads ``batch['label']``: when True the input
  pipeline yields the configured target as ``label`` ``[B]`` float32."""

  TRAINABLE: filterlib.Filter
  """The ``nnx`` filter of the learner's variables that the optimizer and
  the gradients see (``nnx.Param`` unless, e.g., a target network must be
  left out)."""

  def config_from(self, method_cfg: Any, *, fps: float) -> MethodConfig:
    """The method's static config.

    Args:
      method_cfg: the experiment's ``method`` section (an
        ``ml_collections.ConfigDict``; ``config_common`` lists its fields).
      fps: the dataset's frame rate in Hz (passed by keyword).

    Returns:
      A :class:`MethodConfig`; invalid settings raise ``ValueError`` here,
      before anything is compiled.
    """
    ...

  def build(self, encoder: nnx.Module, cfg: MethodConfig, *,
            rngs: nnx.Rngs) -> nnx.Module:
    """The learner: the encoder plus whatever the method trains or keeps
    beside it (heads, target networks, queues), initialized from ``rngs``
    (``encoder`` itself may be the learner). Its state is what the trainer
    optimizes and checkpoints."""
    ...

  def make_views(self, key: Array, clip: Array,
                 cfg: MethodConfig) -> augment.Views:
    """Views of ONE clip, traced under ``jax.vmap`` and ``jax.jit``.

    Args:
      key: this clip's PRNG key (depends on the step and the clip's global
        index only).
      clip: ``[T, H0, W0, C]`` uint8 or float frames.
      cfg: from ``config_from``.

    Returns:
      :class:`augment.Views` with ``views`` ``[2, M, L, H, W, C]`` float32
      in ``[0, 1]`` (sets A and B) and ``speeds`` ``[M]``; the trainer
      batches them to ``[B, 2, M, L, H, W, C]`` and ``[B, M]``.
    """
    ...

  def compute_loss(self, learner: nnx.Module, views: augment.Views,
                   batch: Mapping[str, Array], cfg: MethodConfig
                   ) -> tuple[Array, dict[str, Array]]:
    """The loss to minimize, traced inside ``nnx.value_and_grad``.

    Args:
      learner: from ``build``, in train mode.
      views: the batched views, ``views`` ``[B, 2, M, L, H, W, C]`` and
        ``speeds`` ``[B, M]``, sharded over the batch.
      batch: ``clip`` ``[B, T, H0, W0, C]``, ``index`` int32 ``[B]`` (the
        clips' global indices) and, if ``NEEDS_LABELS``, ``label`` ``[B]``.
      cfg: from ``config_from``.

    Returns:
      ``(loss, aux)``: the scalar loss and a dict of scalar metrics that
      are logged beside ``loss`` and ``grad_norm`` (may be empty). It may
      update non-trainable state of ``learner`` (e.g. a queue).
    """
    ...

  def after_update(self, learner: nnx.Module, cfg: MethodConfig) -> None:
    """Runs, inside the compiled step, after each optimizer update (e.g. an
    EMA target network's update); in place, returns nothing."""
    ...

  def encoder_of(self, learner: nnx.Module) -> nnx.Module:
    """The encoder inside ``learner``, evaluated frozen after training."""
    ...


def _members() -> tuple[tuple[str, ...], tuple[str, ...]]:
  """(attributes, functions) of :class:`Method`, in declaration order."""
  attrs = tuple(Method.__annotations__)
  funcs = tuple(n for n, v in vars(Method).items()
                if inspect.isfunction(v) and not n.startswith('_'))
  return attrs, funcs


ATTRIBUTES, FUNCTIONS = _members()
MEMBERS = ATTRIBUTES + FUNCTIONS


def _call_shape(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
  """(positional, keyword-only) parameter names the trainer passes."""
  params = list(inspect.signature(getattr(Method, name)).parameters.values())
  params = params[1:]  # self
  return (tuple(p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD),
          tuple(p.name for p in params if p.kind == p.KEYWORD_ONLY))


def check(method: Any) -> None:
  """Raises ``TypeError`` unless ``method`` satisfies :class:`Method`.

  Checks that every member is defined, that ``NEEDS_LABELS`` is a bool,
  ``TRAINABLE`` an ``nnx`` filter, and that each function accepts the
  arguments the trainer passes it.
  """
  what = getattr(method, '__name__', None) or repr(method)
  missing = [n for n in MEMBERS if not hasattr(method, n)]
  if missing:
    raise TypeError(f'method {what} lacks {", ".join(missing)}: a method '
                    f'must define all of {", ".join(MEMBERS)} '
                    '(simper_jax.methods.base.Method).')
  problems = []
  if not isinstance(method.NEEDS_LABELS, bool):
    problems.append(f'NEEDS_LABELS must be a bool, got '
                    f'{method.NEEDS_LABELS!r}')
  try:
    filterlib.to_predicate(method.TRAINABLE)
  except Exception:  # pylint: disable=broad-except
    problems.append(f'TRAINABLE must be an nnx filter, got '
                    f'{method.TRAINABLE!r}')
  for name in FUNCTIONS:
    fn = getattr(method, name)
    if not callable(fn):
      problems.append(f'{name} must be callable, got {fn!r}')
      continue
    try:
      sig = inspect.signature(fn)
    except (TypeError, ValueError):
      continue  # no signature to inspect (e.g. a builtin): trust it
    positional, kwonly = _call_shape(name)
    try:
      sig.bind(*positional, **{k: None for k in kwonly})
    except TypeError:
      want = ', '.join(positional + (('*',) + kwonly if kwonly else ()))
      problems.append(f'{name}{sig} cannot be called as {name}({want})')
  if problems:
    raise TypeError(f'method {what}: ' + '; '.join(problems) + '.')
