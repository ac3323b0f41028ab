"""Any device count: a recipe's batch need not divide over the devices.

Two train steps give the 1-device loss and parameters on 4 devices (here,
3 clips per step: nothing divides) and, in a subprocess with 16 fake
devices, on 16 devices at the RotatingDigits recipe's 4 clips per step
(SimPer: views split over B x 2 x M; SimCLR: negatives across the
batch). 8 devices: tests/test_multiprocess.py and the notebook test.
``python tests/device_count_worker.py 16 4 out.json`` runs every method
on 1, 2, 4, 8 and 16 devices (4 min on the 2-core CPU; README).
"""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from tests import device_count_lib as lib

HERE = os.path.dirname(os.path.abspath(__file__))


def _close(runs):
  ref = runs[1]
  for count, r in runs.items():
    np.testing.assert_allclose(r['losses'], ref['losses'], rtol=2e-5,
                               err_msg=f'{count} devices')
    for a, b in zip(r['params'], ref['params']):
      np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4,
                                 err_msg=f'{count} devices')


# Per-clip spectra (SimPer) and labels (supervised); the subprocess test
# runs every method.
@pytest.mark.parametrize('name', ['simper', 'supervised'])
def test_three_clips_on_four_devices_match_one(name):
  runs = {c: lib.run_steps(name, jax.devices()[:c], 3) for c in (1, 4)}
  assert runs[4]['layout'] == [4, 1]  # 3 clips: each split into 4 parts
  _close(runs)
  assert all(np.isfinite(runs[1]['losses']))


@pytest.mark.slow
def test_four_clips_on_16_devices_match_one(tmp_path):
  out = tmp_path / 'result.json'
  env = {k: v for k, v in os.environ.items() if k != 'XLA_FLAGS'}
  proc = subprocess.run(
      [sys.executable, os.path.join(HERE, 'device_count_worker.py'), '16',
       '4', str(out), 'simper,simclr', '16'],
      capture_output=True, text=True, env=env, timeout=600)
  assert proc.returncode == 0, proc.stderr[-3000:]
  result = json.loads(out.read_text())
  for name in ('simper', 'simclr'):
    runs = result[name]
    assert set(runs) == {'1', '16'}
    assert runs['16']['layout'] == [4, 1]
    for count in ('16',):
      np.testing.assert_allclose(runs[count]['losses'], runs['1']['losses'],
                                 rtol=2e-5, err_msg=f'{name} {count}')
      assert runs[count]['max_param_diff'] < 1e-4, (name, count)
