"""One of several JAX processes on this machine (run by test_multiprocess).

    python tests/multiprocess_worker.py PORT NUM_PROCESSES PROCESS_ID \
        WORKDIR DATA_DIR STEPS

Each process has 2 fake CPU devices; together they form one mesh. Runs the
smoke config through ``train_and_evaluate`` and prints one JSON line.
"""

import json
import os
import sys

os.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=2'
os.environ['JAX_PLATFORMS'] = 'cpu'

import importlib.util  # pylint: disable=g-import-not-at-top,wrong-import-position

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position


def main(port, num_processes, process_id, workdir, data_dir, steps):
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(coordinator_address=f'127.0.0.1:{port}',
                             num_processes=int(num_processes),
                             process_id=int(process_id))
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  spec = importlib.util.spec_from_file_location(
      'rd', os.path.join(root, 'experiments', 'rotating_digits.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config('smoke')
  config.data.data_dir = data_dir
  config.num_train_steps = int(steps)
  result = train.train_and_evaluate(config, workdir)
  print(json.dumps({'process': jax.process_index(),
                    'devices': jax.device_count(),
                    'local_devices': jax.local_device_count(),
                    'test_mae': result['eval']['test']['linear_probe']['mae'],
                    }), flush=True)
  jax.distributed.shutdown()


if __name__ == '__main__':
  main(*sys.argv[1:])
