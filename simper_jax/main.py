r"""Command line: train and evaluate one experiment.

    python -m simper_jax.main --config=experiments/rotating_digits.py:cpu \
        --workdir=/tmp/rd_cpu [--config.FIELD=VALUE ...]

The config is locked, so a misspelt override is an error naming the field.
On several hosts (TPU pods, SLURM, or JAX_COORDINATOR_ADDRESS set) JAX's
multi-process runtime is started first; every host runs the same command.
Hosts without a cluster manager say who they are with the flags of
``jax.distributed.initialize``, e.g. two processes on one machine::

    python -m simper_jax.main --config=... --workdir=/tmp/run \
        --coordinator_address=127.0.0.1:12355 --num_processes=2 \
        --process_id=0     # and --process_id=1 in the second process
"""

from __future__ import annotations

import sys

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config file[:variants].', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output directory, local or '
                               'gs://bucket/path (resumes from its latest '
                               'checkpoint).')
flags.mark_flags_as_required(['config', 'workdir'])
_COORDINATOR = flags.DEFINE_string(
    'coordinator_address', None, 'host:port of process 0, for a job of '
    'several processes without a cluster manager (TPU pods and SLURM are '
    'detected); with --num_processes and --process_id.')
_NUM_PROCESSES = flags.DEFINE_integer(
    'num_processes', None, 'Processes in the job (with --coordinator_address).')
_PROCESS_ID = flags.DEFINE_integer(
    'process_id', None, 'This process, 0 .. num_processes - 1 (with '
    '--coordinator_address).')


def _parse_flags(argv):
  """absl's parser, with config errors (a misspelt field, a bad value or
  variant) reported as one line instead of a traceback."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    # A config file's own exception arrives as a whole traceback: keep its
    # last line, the message.
    msg = lines[-1] if 'Traceback' in str(e) else ' '.join(lines)
  except (AttributeError, KeyError) as e:  # ml_collections: unknown field
    text = str(e).replace('\\n', ' ').replace("\\'", '').strip('\'" ')
    field = text.split()[0].strip('\'"') if text else '?'
    bad = [a.split('=')[0] for a in argv[1:] if a.startswith('--config.')
           and field in a.split('=')[0]]
    hint = text[len(field):].strip(' \'"')
    msg = f'{bad[0] if bad else field}: no such config field. {hint}'
  sys.exit(f'error: {msg.strip()} (see --helpfull).')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)  # no backend-probing chatter
  from simper_jax import processes  # pylint: disable=g-import-not-at-top
  try:
    processes.start(_COORDINATOR.value, _NUM_PROCESSES.value,
                    _PROCESS_ID.value)
  except ValueError as e:
    sys.exit(f'error: {e}')
  import jax  # pylint: disable=g-import-not-at-top
  from simper_jax import tasks  # pylint: disable=g-import-not-at-top
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import report  # pylint: disable=g-import-not-at-top
  config = _CONFIG.value
  try:
    results = train.train_and_evaluate(config, _WORKDIR.value)
  except (ValueError, FloatingPointError, OSError) as e:
    # OSError: FileNotFoundError, PermissionError (e.g. a data folder that
    # cannot be written), each already naming its path.
    sys.exit(f'error: {e}')
  if jax.process_index() == 0:
    columns = [('untrained' if config.eval.init_only else 'trained',
                results['eval'])]
    if 'eval_init' in results:
      columns.append(('untrained', results['eval_init']))
    print(report.format_table(columns, tasks.get(config.data.target_unit),
                              config.data.eval_splits[-1]))
    from simper_jax import paths  # pylint: disable=g-import-not-at-top
    out = results['eval_dir']
    print(f'metrics: {paths.join(out, "metrics.json")}')
    print(f'figure:  {paths.join(out, "figure.png")}')


if __name__ == '__main__':
  app.run(main, flags_parser=_parse_flags)
