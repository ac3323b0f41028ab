"""Orbax checkpoints of the train state and the grain iterator position.

One checkpoint holds everything exact resume needs: the model and optimizer
state (parameters, BatchNorm statistics, optimizer moments and step) and the
data iterator's state, so a resumed run reads the same batches and, with
the step-keyed RNG, draws the same augmentations as an uninterrupted run.
"""

from __future__ import annotations

import os
import grain
import jax
import orbax.checkpoint as ocp
from flax import nnx


class Checkpointer:
  """Saves and restores ``(nnx state, grain iterator)`` under a directory.

  Args:
    directory: where the numbered step folders go (created if missing).
    max_to_keep: how many recent checkpoints to keep.
  """

  def __init__(self, directory: str, *, max_to_keep: int = 3):
    if max_to_keep < 1:
      raise ValueError(f'keep_checkpoints must be >= 1, got {max_to_keep}.')
    self.directory = os.path.abspath(directory)
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True),
        item_names=('state', 'data'))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def save(self, step: int, state: nnx.State,
           data_iter: grain.DataLoaderIterator) -> None:
    """Saves asynchronously; the arrays are copied before this returns, so
    the caller may donate ``state`` to the next step right away."""
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(nnx.to_pure_dict(state)),
        data=grain.checkpoint.CheckpointSave(data_iter)), force=True)

  def restore(self, step: int, state: nnx.State,
              data_iter: grain.DataLoaderIterator) -> nnx.State:
    """Returns ``state`` with the values of checkpoint ``step``, and moves
    ``data_iter`` to where it was when that checkpoint was saved.

    ``state`` gives the structure, shapes, dtypes and shardings to restore
    into (a freshly initialized state is fine).
    """
    target = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
        nnx.to_pure_dict(state))
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(target),
          data=grain.checkpoint.CheckpointRestore(data_iter)))
    except Exception as e:  # pylint: disable=broad-except
      raise RuntimeError(
          f'could not restore checkpoint {step} from {self.directory}: {e}. '
          'If the config changed since it was written (model size, '
          'optimizer, batch size), use a new --workdir.') from e
    nnx.replace_by_pure_dict(state, restored['state'])
    return state

  def restore_state(self, step: int, state: nnx.State) -> nnx.State:
    """Like :meth:`restore` for the train state alone (no data iterator):
    inference on a finished run (``simper_jax.predict``)."""
    target = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
        nnx.to_pure_dict(state))
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(target)))
    nnx.replace_by_pure_dict(state, restored['state'])
    return state

  def wait(self) -> None:
    """Blocks until pending asynchronous saves are on disk."""
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.close()

