"""Starting JAX's multi-process runtime for a job on several hosts.

Clusters with a manager (multi-host TPU slices, SLURM, or
``JAX_COORDINATOR_ADDRESS`` set) are detected; plain hosts give the three
parameters of ``jax.distributed.initialize``. CPU processes exchange
collectives through gloo.
"""

from __future__ import annotations

import os


def several_processes() -> bool:
  """Whether the environment says this job spans several processes: a
  coordinator is set, a multi-host TPU slice, or several SLURM tasks."""
  env = os.environ.get
  return bool(env('JAX_COORDINATOR_ADDRESS')) or ',' in env(
      'TPU_WORKER_HOSTNAMES', '') or int(env('SLURM_NTASKS', '1')) > 1


def start(coordinator_address: str | None, num_processes: int | None,
          process_id: int | None) -> None:
  """Starts ``jax.distributed`` when the job spans processes.

  From the three arguments when given (all three are needed), else from
  the cluster's environment; otherwise does nothing.

  Raises:
    ValueError: some but not all of the three are given, or
      ``process_id`` is out of range (one line, naming the flags).
  """
  given = {'--coordinator_address': coordinator_address,
           '--num_processes': num_processes, '--process_id': process_id}
  if any(v is not None for v in given.values()):
    missing = [k for k, v in given.items() if v is None]
    if missing:
      raise ValueError(f'{", ".join(missing)} missing: a job of several '
                       'processes needs --coordinator_address, '
                       '--num_processes and --process_id together.')
    if not 0 <= process_id < num_processes:
      raise ValueError(f'--process_id={process_id} must be in 0 .. '
                       f'{num_processes - 1} (--num_processes='
                       f'{num_processes}).')
    kwargs = dict(coordinator_address=coordinator_address,
                  num_processes=num_processes, process_id=process_id)
  elif several_processes():
    kwargs = {}
  else:
    return
  import jax  # pylint: disable=g-import-not-at-top
  if not os.environ.get('JAX_CPU_COLLECTIVES_IMPLEMENTATION'):
    jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(**kwargs)
