"""The 1-D ``('data',)`` device mesh and placement of state and batches.

Params are replicated (``P()``) and batches sharded over their leading axis
(``P('data')``); under ``jax.jit`` the compiler inserts the gradient
all-reduce and BatchNorm/contrastive losses see the global batch. The same
code runs on 1 CPU, 8 TPU cores or many hosts.

The number of clips per step is the recipe's, not the hardware's: a batch
that does not divide over the devices (4 clips on 8 devices) travels
packed (:class:`BatchLayout`: each clip's frames split into ``factor``
rows), is unpacked inside the step, and the work that does divide (the
``B x 2 x M`` views the encoder sees) is what is split
(:func:`constrain_leading`). The maths is the global batch's either way.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DATA_AXIS = 'data'


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D ``('data',)`` mesh over ``devices`` (default: all devices).

  Axes are ``Auto`` (jax >= 0.7 defaults ``make_mesh`` to Explicit axes).
  """
  devices = list(jax.devices() if devices is None else devices)
  if not devices:
    raise ValueError('make_mesh: no devices given.')
  axis_types = (jax.sharding.AxisType.Auto,)
  return jax.make_mesh((len(devices),), (DATA_AXIS,), devices=devices,
                       axis_types=axis_types)


def check_divisible(name: str, size: int, parts: int, what: str) -> None:
  """The one check that a batch splits evenly: ``size`` must be a positive
  multiple of ``parts`` (devices, processes), else a ValueError naming
  ``name`` and the nearest sizes that would work."""
  if size >= 1 and size % parts == 0:
    return
  below = max(parts, size - size % parts)
  raise ValueError(f'{name}={size} must be a positive multiple of the '
                   f'{parts} {what}; e.g. {below} or {below + parts}.')


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def data_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P(DATA_AXIS))


def replicate(tree: Any, mesh: Mesh) -> Any:
  """Places every leaf of ``tree`` on all devices of ``mesh``."""
  return jax.device_put(tree, replicated(mesh))


def shard_batch(batch: Any, mesh: Mesh) -> Any:
  """Assembles a global batch sharded over ``'data'`` from this host's part.

  Args:
    batch: pytree of host arrays ``[per_host_batch, ...]`` (this process's
      slice of the global batch).
    mesh: the ``('data',)`` mesh.

  Returns:
    Pytree of global ``jax.Array`` of leading size
    ``per_host_batch * process_count``.
  """
  sharding = data_sharded(mesh)
  local_devices = local_device_count(mesh)

  def put(x):
    x = np.asarray(x)
    if x.ndim == 0:
      raise ValueError('shard_batch: a batch leaf has no batch dimension.')
    check_divisible('the per-host batch', x.shape[0], local_devices,
                    'local devices of the mesh')
    return jax.make_array_from_process_local_data(sharding, x)

  return jax.tree.map(put, batch)


def local_device_count(mesh: Mesh) -> int:
  """Devices of ``mesh`` that belong to this process."""
  return sum(d.process_index == jax.process_index()
             for d in mesh.devices.flat)


class BatchLayout(NamedTuple):
  """How a step's batch travels to the devices when it does not divide.

  Each clip becomes ``factor`` rows: the clip (key ``'clip'``) is split
  into ``factor`` parts along ``split_axis`` (an axis of the clip, e.g. its
  frames), every other leaf is repeated ``factor`` times; so a host's
  ``n`` clips become ``n * factor`` rows, a multiple of its devices.
  ``factor == 1``: the batch travels as it is.

  Attributes:
    factor: rows per clip.
    split_axis: axis of ``clip`` (1 = frames) divided by ``factor``; None
      when no axis divides (the clip is then repeated, costing memory).
  """
  factor: int = 1
  split_axis: int | None = None


def batch_layout(per_host: int, local_devices: int,
                 clip_shape: Sequence[int]) -> BatchLayout:
  """The :class:`BatchLayout` for ``per_host`` clips of ``clip_shape``
  (``[T, H, W, C]``, no batch axis) on ``local_devices`` devices."""
  factor = local_devices // math.gcd(per_host, local_devices)
  if factor == 1:
    return BatchLayout()
  axis = next((a + 1 for a, size in enumerate(clip_shape)
               if size % factor == 0), None)
  return BatchLayout(factor, axis)


def pack(batch: dict[str, np.ndarray], layout: BatchLayout
         ) -> dict[str, np.ndarray]:
  """Host side: ``[n, ...]`` leaves -> ``[n * factor, ...]`` rows."""
  k = layout.factor
  if k == 1:
    return batch
  out = {}
  for key, x in batch.items():
    x = np.asarray(x)
    if key == 'clip' and layout.split_axis is not None:
      a = layout.split_axis
      shape = x.shape[:a] + (k, x.shape[a] // k) + x.shape[a + 1:]
      x = np.moveaxis(x.reshape(shape), a, 1)  # [n, k, ..., d/k, ...]
    else:
      x = np.broadcast_to(x[:, None], (x.shape[0], k) + x.shape[1:])
    out[key] = np.ascontiguousarray(x).reshape((-1,) + x.shape[2:])
  return out


def unpack(batch: dict[str, jax.Array], layout: BatchLayout
           ) -> dict[str, jax.Array]:
  """Inside the step: the inverse of :func:`pack` (global arrays)."""
  k = layout.factor
  if k == 1:
    return batch
  out = {}
  for key, x in batch.items():
    x = x.reshape((x.shape[0] // k, k) + x.shape[1:])
    if key == 'clip' and layout.split_axis is not None:
      a = layout.split_axis
      x = jnp.moveaxis(x, 1, a)  # [n, ..., k, d/k, ...]
      x = x.reshape(x.shape[:a] + (-1,) + x.shape[a + 2:])
    else:
      x = x[:, 0]
    out[key] = x
  return out


def split_prefix(shape: Sequence[int], parts: int, max_axes: int) -> int:
  """The fewest leading axes (up to ``max_axes``) whose product is a
  multiple of ``parts``; 0 when none is."""
  size = 1
  for n in range(1, min(max_axes, len(shape)) + 1):
    size *= shape[n - 1]
    if size % parts == 0:
      return n
  return 0


def constrain_leading(x: jax.Array, mesh: Mesh, max_axes: int) -> jax.Array:
  """Shards ``x`` over ``'data'`` along its leading axes taken together.

  E.g. views ``[B, 2, M, ...]`` with ``B = 4`` on 8 devices: ``4 x 2``
  divides, so each device encodes one clip's view set. When no product of
  the first ``max_axes`` axes divides, ``x`` is left to the compiler.
  """
  n = split_prefix(x.shape, mesh.size, max_axes)
  if n == 0:
    return x
  lead = x.shape[:n]
  flat = x.reshape((-1,) + x.shape[n:])
  flat = jax.lax.with_sharding_constraint(flat, data_sharded(mesh))
  return flat.reshape(lead + x.shape[n:])


# The mesh of the train step being traced (set by ``simper_jax.train``).
_STEP_MESH: contextvars.ContextVar[Mesh | None] = contextvars.ContextVar(
    'step_mesh', default=None)


@contextlib.contextmanager
def step_mesh(mesh: Mesh):
  """Marks the code traced inside as the step on ``mesh`` (for
  :func:`gather`)."""
  token = _STEP_MESH.set(mesh)
  try:
    yield
  finally:
    _STEP_MESH.reset(token)


def gather(x: Any) -> Any:
  """Inside a train step: ``x`` replicated on every device; elsewhere ``x``.

  For the small per-view feature series a loss compares all against all:
  every device needs them anyway, and XLA's CPU FFT rejects the layouts
  that a view-split sharding (:func:`constrain_leading` over 3 axes) leaves
  on them.
  """
  mesh = _STEP_MESH.get()
  if mesh is None or mesh.size == 1:
    return x
  return jax.tree.map(
      lambda a: jax.lax.with_sharding_constraint(a, replicated(mesh)), x)
