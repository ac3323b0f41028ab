"""Train steps of every method on 1 .. N devices from one process.

    python tests/device_count_worker.py NUM_DEVICES BATCH OUT.json \
        [METHOD,METHOD,...] [COUNT,COUNT,...]

Runs with ``NUM_DEVICES`` fake CPU devices (set here, before JAX starts)
and, for each method, two SGD steps of a global batch of ``BATCH`` clips
(SimPer at M=10, as in the RotatingDigits recipe) on meshes of 1, 2, 4, ...
``NUM_DEVICES`` devices (or the given methods and device counts),
whatever divides or not. Writes, per method and
device count, the losses and the largest parameter difference from the
1-device run (test_device_count.py asserts on them).
"""

import json
import os
import sys

os.environ['XLA_FLAGS'] = (
    f'--xla_force_host_platform_device_count={int(sys.argv[1])}')
os.environ['JAX_PLATFORMS'] = 'cpu'
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from tests import device_count_lib as lib  # pylint: disable=g-import-not-at-top,wrong-import-position


def main(num_devices: str, batch: str, out: str, names: str = '',
         counts: str = '') -> None:
  n, b = int(num_devices), int(batch)
  counts = ([int(c) for c in counts.split(',')] if counts else
            [c for c in (1, 2, 4, 8, 16) if c <= n])
  counts = sorted(set([1] + counts))
  result = {}
  for name in names.split(',') if names else lib.METHODS:
    runs = {c: lib.run_steps(name, jax.devices()[:c], b) for c in counts}
    ref = runs[1]
    result[name] = {
        str(c): {'losses': r['losses'], 'layout': r['layout'],
                 'max_param_diff': max(
                     float(np.max(np.abs(x - y)))
                     for x, y in zip(r['params'], ref['params'])),
                 'max_param': max(float(np.max(np.abs(x)))
                                  for x in ref['params'])}
        for c, r in runs.items()}
  with open(out, 'w') as f:
    json.dump(result, f, indent=1)


if __name__ == '__main__':
  main(*sys.argv[1:])
