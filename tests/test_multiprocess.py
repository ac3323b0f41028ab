"""Two JAX processes on this machine form one 4-device mesh (as two hosts
would): the dataset is prepared once, each process reads its own shard,
checkpoints and resume work across processes, and evaluation gathers the
features of both."""

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

HERE = os.path.dirname(os.path.abspath(__file__))


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _run(workdir: str, data_dir: str, steps: int) -> list[dict]:
  port = _free_port()
  env = {k: v for k, v in os.environ.items() if k != 'XLA_FLAGS'}
  procs = [subprocess.Popen(
      [sys.executable, os.path.join(HERE, 'multiprocess_worker.py'),
       str(port), '2', str(i), workdir, data_dir, str(steps)],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
           for i in range(2)]
  outs = []
  for p in procs:
    try:
      out, err = p.communicate(timeout=400)
    except subprocess.TimeoutExpired:
      for q in procs:
        q.kill()
      raise
    assert p.returncode == 0, out[-2000:] + err[-4000:]
    outs.append((out, err))
  return [json.loads(out.strip().splitlines()[-1]) for out, _ in outs], outs


def _state(workdir: str, step: int):
  """The saved train state, read back onto this process's first device
  (it was saved sharded over the 2 processes' devices)."""
  path = os.path.join(workdir, 'checkpoints', str(step), 'state')
  checkpointer = ocp.StandardCheckpointer()
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  target = jax.tree.map(
      lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=device),
      checkpointer.metadata(path).item_metadata)
  return jax.tree.map(np.asarray, checkpointer.restore(path, target))


@pytest.mark.slow
def test_two_processes_train_resume_and_evaluate(tmp_path):
  data_dir = str(tmp_path / 'tfds')
  full, part = str(tmp_path / 'full'), str(tmp_path / 'part')
  res_full, logs = _run(full, data_dir, 6)
  assert [r['process'] for r in res_full] == [0, 1]
  assert all(r['devices'] == 4 and r['local_devices'] == 2 for r in res_full)
  # Process 0 alone prepared the data and wrote the logs.
  assert 'Preparing' in logs[0][0] and 'Preparing' not in logs[1][0]
  assert os.path.exists(os.path.join(full, 'eval', 'metrics.json'))
  # Both processes evaluated the same gathered features.
  assert res_full[0]['test_mae'] == res_full[1]['test_mae']

  _run(part, data_dir, 4)
  res_part, logs = _run(part, data_dir, 6)
  assert 'Resuming from checkpoint 4' in logs[0][0]
  a, b = _state(full, 6), _state(part, 6)
  for (path, x), (_, y) in zip(jax.tree.leaves_with_path(a),
                               jax.tree.leaves_with_path(b)):
    np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))
  assert res_part[0]['test_mae'] == res_full[0]['test_mae']
  # Each process saved its own data-iterator state.
  step_dir = os.path.join(part, 'checkpoints', '6', 'data')
  assert len(os.listdir(step_dir)) >= 2, os.listdir(step_dir)
