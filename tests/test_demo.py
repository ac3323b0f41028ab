"""The first demo (``python -m simper_jax.demo``) runs as a user runs it."""

import os
import subprocess
import sys


def test_demo_runs_and_loss_falls():
  env = dict(os.environ)
  env.pop('XLA_FLAGS', None)  # one CPU device, as for a user
  proc = subprocess.run(
      [sys.executable, '-m', 'simper_jax.demo', '--steps=24',
       '--batch_size=4', '--learning_rate=3e-3'],
      capture_output=True, text=True, timeout=600, env=env,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert proc.returncode == 0, proc.stdout + proc.stderr
  assert 'step   24/24' in proc.stdout
  assert 'loss fell' in proc.stdout


def test_demo_rejects_bad_arguments():
  env = dict(os.environ)
  env.pop('XLA_FLAGS', None)
  proc = subprocess.run(
      [sys.executable, '-m', 'simper_jax.demo', '--steps=1'],
      capture_output=True, text=True, timeout=300, env=env)
  assert proc.returncode != 0
  assert 'steps >= 2' in proc.stderr
