"""Two JAX processes on this machine form one 8-device mesh, as two hosts
without a cluster manager would: ``python -m simper_jax.main`` with
``--coordinator_address``, ``--num_processes`` and ``--process_id``, 4 fake
CPU devices each, collectives through gloo. The dataset is prepared once,
each process reads its own shard (2 of the recipe's 4 clips per step: the
batch does not divide over its 4 devices and travels packed), the result
equals one process with 8 devices, the checkpoint is written across both
processes, and evaluation gathers the features of both. (A process
resuming its slice exactly: tests/test_input_pipeline.py.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, 'experiments', 'rotating_digits.py')


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _command(workdir, data_dir, steps, *extra):
  # Plain SGD: parameter differences are lr * gradient differences (Adam
  # would blow float reduction-order noise in near-zero gradients up to lr).
  return [sys.executable, '-m', 'simper_jax.main', f'--config={CONFIG}:smoke',
          f'--workdir={workdir}', f'--config.data.data_dir={data_dir}',
          f'--config.num_train_steps={steps}', '--config.optim.name=sgd',
          '--config.optim.learning_rate=0.05', *extra]


def _env(devices):
  return {**{k: v for k, v in os.environ.items() if k != 'XLA_FLAGS'},
          'XLA_FLAGS': f'--xla_force_host_platform_device_count={devices}',
          'JAX_PLATFORMS': 'cpu'}


def _two_processes(workdir, data_dir, steps):
  port = _free_port()
  procs = [subprocess.Popen(
      _command(workdir, data_dir, steps,
               f'--coordinator_address=127.0.0.1:{port}',
               '--num_processes=2', f'--process_id={i}'),
      cwd=ROOT, env=_env(4), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True) for i in range(2)]
  outs = []
  for p in procs:
    try:
      out, err = p.communicate(timeout=400)
    except subprocess.TimeoutExpired:
      for q in procs:
        q.kill()
      raise
    assert p.returncode == 0, out[-2000:] + err[-4000:]
    outs.append(out)
  return outs


def _state(workdir: str, step: int):
  """The saved train state, read back onto this process's first device."""
  path = os.path.join(workdir, 'checkpoints', str(step), 'state')
  checkpointer = ocp.StandardCheckpointer()
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  target = jax.tree.map(
      lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=device),
      checkpointer.metadata(path).item_metadata)
  return jax.tree.map(np.asarray, checkpointer.restore(path, target))


def _metrics(workdir):
  with open(os.path.join(workdir, 'eval', 'metrics.json')) as f:
    return json.load(f)


@pytest.mark.slow
def test_two_processes_equal_one_with_8_devices(tmp_path):
  data_dir = str(tmp_path / 'tfds')
  one = str(tmp_path / 'one')
  proc = subprocess.run(_command(one, data_dir, 6,
                                 '--config.checkpoint_every_steps=2',
                                 '--config.keep_checkpoints=5'),
                        cwd=ROOT, env=_env(8), capture_output=True, text=True,
                        timeout=400)
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert 'on 8 cpu device(s)' in proc.stdout
  assert '4 clips per step on 8 devices: each clip travels as 2' in proc.stdout

  two = str(tmp_path / 'two')
  out = _two_processes(two, data_dir, 6)
  assert 'on 8 cpu device(s)' in out[0]
  assert 'linear_probe' in out[0] and 'linear_probe' not in out[1]
  a, b = _state(one, 6), _state(two, 6)
  flat_a, flat_b = jax.tree.leaves_with_path(a), jax.tree.leaves_with_path(b)
  assert [p for p, _ in flat_a] == [p for p, _ in flat_b]
  for (path, x), (_, y) in zip(flat_a, flat_b):
    np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5,
                               err_msg=jax.tree_util.keystr(path))
  # Steps 3 to 6 moved the parameters far more than the tolerance above:
  # the equality is not that of an idle run.
  assert max(float(np.max(np.abs(x - y))) for x, y in zip(
      jax.tree.leaves(_state(one, 2)), jax.tree.leaves(a))) > 1e-2
  m1, m2 = _metrics(one), _metrics(two)
  for split in ('train', 'test'):
    for readout, values in m1[split].items():
      for name, v in values.items():
        if isinstance(v, float):
          np.testing.assert_allclose(m2[split][readout][name], v,
                                     rtol=1e-3, atol=1e-4,
                                     err_msg=f'{split} {readout} {name}')


def test_incomplete_process_flags_are_one_line(tmp_path):
  proc = subprocess.run(
      _command(str(tmp_path / 'w'), str(tmp_path / 'd'), 1,
               '--coordinator_address=127.0.0.1:1'),
      cwd=ROOT, env=_env(1), capture_output=True, text=True, timeout=120)
  assert proc.returncode != 0
  assert proc.stderr.strip().splitlines()[-1] == (
      'error: --num_processes, --process_id missing: a job of several '
      'processes needs --coordinator_address, --num_processes and '
      '--process_id together.')
