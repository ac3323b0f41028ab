r"""Command line: train and evaluate one experiment.

    python -m simper_jax.main --config=experiments/rotating_digits.py:cpu \
        --workdir=/tmp/rd_cpu [--config.FIELD=VALUE ...]

The config is locked, so a misspelt override is an error naming the field.
On several hosts (TPU pods, SLURM, or JAX_COORDINATOR_ADDRESS set) JAX's
multi-process runtime is started first; every host runs the same command.
"""

from __future__ import annotations

import os
import sys

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config file[:variants].', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output directory (resumes '
                               'from its latest checkpoint).')
flags.mark_flags_as_required(['config', 'workdir'])


def _several_processes() -> bool:
  """Whether this job spans several processes (then JAX must be told):
  a coordinator is set, a multi-host TPU slice, or several SLURM tasks."""
  env = os.environ.get
  return bool(env('JAX_COORDINATOR_ADDRESS')) or ',' in env(
      'TPU_WORKER_HOSTNAMES', '') or int(env('SLURM_NTASKS', '1')) > 1


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
  import jax  # pylint: disable=g-import-not-at-top
  if _several_processes():
    jax.distributed.initialize()
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
    out = results['eval_dir']
    print(f'metrics: {os.path.join(out, "metrics.json")}')
    print(f'figure:  {os.path.join(out, "figure.png")}')


if __name__ == '__main__':
  app.run(main, flags_parser=_parse_flags)
