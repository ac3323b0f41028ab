"""The 1-D ``('data',)`` device mesh and placement of state and batches.

Params are replicated (``P()``) and batches sharded over their leading axis
(``P('data')``); under ``jax.jit`` the compiler inserts the gradient
all-reduce and BatchNorm/contrastive losses see the global batch. The same
code runs on 1 CPU, 8 TPU cores or many hosts.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
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
  local_devices = sum(d.process_index == jax.process_index()
                      for d in mesh.devices.flat)

  def put(x):
    x = np.asarray(x)
    if x.ndim == 0:
      raise ValueError('shard_batch: a batch leaf has no batch dimension.')
    check_divisible('the per-host batch', x.shape[0], local_devices,
                    'local devices of the mesh')
    return jax.make_array_from_process_local_data(sharding, x)

  return jax.tree.map(put, batch)
