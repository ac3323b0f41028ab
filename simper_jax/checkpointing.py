"""Orbax checkpoints of the train state and the grain iterator position.

One checkpoint holds everything exact resume needs: the model and optimizer
state (parameters, BatchNorm statistics, optimizer moments and step) and the
data iterator's state, so a resumed run reads the same batches and, with
the step-keyed RNG, draws the same augmentations as an uninterrupted run.
"""

from __future__ import annotations

from etils import epath
import grain
import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from flax import nnx

from simper_jax import paths


def all_finite(tree) -> bool:
  """Whether every floating-point leaf of ``tree`` is finite everywhere."""
  leaves = [x for x in jax.tree.leaves(tree)
            if hasattr(x, 'dtype') and jnp.issubdtype(x.dtype, jnp.floating)]
  if not leaves:
    return True
  return bool(_all_finite(leaves))


@jax.jit
def _all_finite(leaves):
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def _first_line(error: BaseException, limit: int = 240) -> str:
  text = (str(error).strip().splitlines() or [type(error).__name__])[0]
  return text if len(text) <= limit else text[:limit] + ' ...'


def check_directory(directory: str) -> None:
  """One line, before any work, when Orbax cannot keep checkpoints in
  ``directory``: a URI other than ``gs://`` (Orbax gives TensorStore's
  ``gcs`` driver to ``gs://`` and treats other URIs as local paths), or
  ``gs://`` without ``google-cloud-storage`` (Orbax asks the bucket whether
  it has a hierarchical namespace before listing or deleting steps)."""
  if not paths.is_remote(directory):
    return
  if not directory.startswith('gs://'):
    raise ValueError(
        f'cannot keep checkpoints in {directory}: Orbax writes them to a '
        'local folder or gs:// only; use --workdir=gs://... or a local one.')
  try:
    from orbax.checkpoint._src.path import gcs_utils  # pylint: disable=g-import-not-at-top
  except ImportError:  # another Orbax layout: let Orbax speak for itself
    return
  try:
    gcs_utils.is_hierarchical_namespace_enabled(directory)
  except ImportError as e:
    raise ValueError(
        f'checkpoints in {directory} need google-cloud-storage ({e}); '
        'pip install google-cloud-storage gcsfs') from e


class Checkpointer:
  """Saves and restores ``(nnx state, grain iterator)`` under a directory.

  Args:
    directory: where the numbered step folders go (created if missing): a
      local folder or ``gs://...`` (Orbax: metadata through epath, arrays
      through TensorStore's GCS driver).
    max_to_keep: how many recent checkpoints to keep.
  """

  def __init__(self, directory: str, *, max_to_keep: int = 3):
    if max_to_keep < 1:
      raise ValueError(f'keep_checkpoints must be >= 1, got {max_to_keep}.')
    self.directory = paths.resolve(directory)
    check_directory(self.directory)
    self._manager = ocp.CheckpointManager(
        epath.Path(self.directory),
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True),
        item_names=('state', 'data'))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def steps(self) -> list[int]:
    """The saved steps, newest first."""
    return sorted(self._manager.all_steps(), reverse=True)

  def restore_intact(self, state: nnx.State,
                     data_iter: grain.DataLoaderIterator,
                     log=print) -> tuple[int, nnx.State]:
    """Restores the newest checkpoint that reads back whole and finite.

    A checkpoint whose files are damaged or missing, or whose arrays hold a
    NaN or infinity, is skipped with one line (``log``); the previous one is
    tried. Orbax verifies the structure, shapes and dtypes against
    ``state`` as it reads.

    Returns:
      ``(step, state)``.

    Raises:
      ValueError: no checkpoint could be restored (one line: the steps
        tried and why).
    """
    tried = []
    for step in self.steps():
      try:
        state = self.restore(step, state, data_iter)
      except RuntimeError as e:
        tried.append(f'{step}: {_first_line(e.__cause__ or e)}')
        log(f'Checkpoint {step} in {self.directory} cannot be restored '
            f'({tried[-1]}); trying the one before.')
        continue
      if not all_finite(state):
        tried.append(f'{step}: holds non-finite values')
        log(f'Checkpoint {step} in {self.directory} holds non-finite '
            'values; trying the one before.')
        continue
      for bad in self.steps():
        if bad > step:  # damaged: a resumed run saves these steps anew
          log(f'Removing the damaged checkpoint {bad}.')
          self._manager.delete(bad)
      return step, state
    raise ValueError(
        f'no checkpoint in {self.directory} can be restored (tried '
        f'{"; ".join(tried)}). If the config changed since they were '
        'written (model, sizes, optimizer), use a new --workdir; otherwise '
        'delete the damaged checkpoints.')

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

