"""The README's main command, `bash scripts/run.sh`, at a tiny data size.

The full-size demo takes ~3 minutes and is measured in README.md; here the
same script runs the same `cpu` config with the dataset and step count
overridden, which checks the script, the command line and the printed
report as a user sees them.
"""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_run_script_prints_the_table_and_the_figure(tmp_path):
  env = dict(os.environ, WORKDIR=str(tmp_path / 'run'),
             TFDS_DATA_DIR=str(tmp_path / 'tfds'))
  env.pop('XLA_FLAGS', None)  # one CPU device, as for a user
  proc = subprocess.run(
      ['bash', os.path.join(ROOT, 'scripts', 'run.sh'),
       '--config.data.train_per_class=2',
       '--config.data.test_per_class=3', '--config.num_train_steps=3',
       '--config.log_every_steps=1'],
      capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
  assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
  out = proc.stdout
  assert 'step      3/3' in out and 'steps/s' in out and 'ETA' in out
  header = next(line for line in out.splitlines()
                if line.startswith('test split'))
  assert header.split()[-2:] == ['trained', 'untrained']
  assert 'linear_probe   mae (Hz)' in out
  figure = os.path.join(tmp_path, 'run', 'eval', 'figure.png')
  assert f'figure:  {figure}' in out
  assert os.path.exists(figure)
  assert os.path.exists(os.path.join(tmp_path, 'run', 'eval_init',
                                     'metrics.json'))
