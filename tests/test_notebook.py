"""The Colab notebook, executed end to end as on a TPU v2-8.

The kernel is this interpreter (a ``python3`` kernel spec written to a temp
``JUPYTER_PATH``, which outranks any user or system spec) and inherits the
environment: 8 fake CPU devices (as the 8 cores of a TPU v2-8) and the
variables below that pick the accelerator recipe (the one the notebook
picks on a TPU or GPU runtime: 4 clips per step, which does not divide over
8 devices), shrink it (data, steps, channels), and give a temp work dir and
a temp TFDS data dir.
"""

from __future__ import annotations

import json
import os
import sys

from jupyter_client.kernelspec import KernelSpecManager
import nbclient
import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, 'notebooks')
NOTEBOOK = os.path.join(NOTEBOOKS, 'rotating_digits.ipynb')

READOUTS = {'fft', 'fft_scaled', 'linear_probe'}
METRICS = {'mae', 'mape', 'rmse', 'pearson'}


def _use_this_interpreter(monkeypatch, tmp_path) -> None:
  """Points the ``python3`` kernel at ``sys.executable`` (the venv's)."""
  jupyter = tmp_path / 'jupyter'
  spec_dir = jupyter / 'kernels' / 'python3'
  spec_dir.mkdir(parents=True)
  (spec_dir / 'kernel.json').write_text(json.dumps({
      'argv': [sys.executable, '-m', 'ipykernel_launcher', '-f',
               '{connection_file}'],
      'display_name': 'Python 3 (simper_jax tests)',
      'language': 'python',
  }))
  monkeypatch.setenv('JUPYTER_PATH', str(jupyter))
  monkeypatch.setenv('JUPYTER_RUNTIME_DIR', str(tmp_path / 'runtime'))
  monkeypatch.setenv('IPYTHONDIR', str(tmp_path / 'ipython'))
  spec = KernelSpecManager().get_kernel_spec('python3')
  assert spec.argv[0] == sys.executable, spec.argv


def _cell(nb, tag: str):
  (cell,) = [c for c in nb.cells if tag in c.metadata.get('tags', [])]
  return cell


def _text(cell) -> str:
  """The cell's stream and plain-text outputs, joined."""
  parts = []
  for out in cell.outputs:
    if out.output_type == 'stream':
      parts.append(out.text)
    elif 'data' in out:
      parts.append(out.data.get('text/plain', ''))
  return '\n'.join(parts)


def _has_image(cell) -> bool:
  return any('image/png' in out.get('data', {}) for out in cell.outputs)


def test_notebook_is_saved_clean():
  nb = nbformat.read(NOTEBOOK, as_version=4)
  nbformat.validate(nb)
  assert nb.metadata.kernelspec.name == 'python3'
  for cell in nb.cells:
    if cell.cell_type == 'code':
      assert not cell.outputs and cell.execution_count is None, cell.source


@pytest.mark.slow  # ~40 s on 2 CPU cores: kernel, dataset, train, eval
def test_notebook_runs_the_accelerator_recipe_on_8_devices(tmp_path,
                                                          monkeypatch):
  _use_this_interpreter(monkeypatch, tmp_path)
  workdir = tmp_path / 'run'
  monkeypatch.setenv('XLA_FLAGS', '--xla_force_host_platform_device_count=8')
  monkeypatch.setenv('SIMPER_JAX_VARIANT', '')  # the TPU/GPU recipe
  monkeypatch.setenv('SIMPER_JAX_OVERRIDES', ';'.join([
      'data.train_per_class=1', 'data.test_per_class=1', 'data.num_frames=60',
      'method.num_frames=20', 'num_train_steps=2', 'model.channels=(4, 8)']))
  monkeypatch.setenv('SIMPER_JAX_WORKDIR', str(workdir))
  monkeypatch.setenv('TFDS_DATA_DIR', str(tmp_path / 'tfds'))
  monkeypatch.setenv('SIMPER_JAX_NO_INSTALL', '1')  # never clone or pip
  monkeypatch.delenv('MPLBACKEND', raising=False)  # the kernel's inline one

  nb = nbformat.read(NOTEBOOK, as_version=4)
  nbclient.NotebookClient(
      nb, kernel_name='python3', timeout=300,
      resources={'metadata': {'path': NOTEBOOKS}}).execute()

  setup = _text(_cell(nb, 'setup'))  # the checkout, not a fresh clone
  (checkout,) = [ln.split(':', 1)[1].strip() for ln in setup.splitlines()
                 if ln.startswith('checkout:')]
  assert os.path.realpath(checkout) == os.path.realpath(ROOT), setup
  config = _text(_cell(nb, 'config'))
  assert "variant: ''" in config and config.count('CpuDevice') == 8, config
  assert 'batch_size: 4' in config and 'num_speeds: 10' in config
  assert '4 clips per step on 8 devices' in _text(_cell(nb, 'train'))
  assert _has_image(_cell(nb, 'dataset'))

  with open(workdir / 'eval' / 'metrics.json') as f:
    metrics = json.load(f)
  for split in ('train', 'test'):
    assert set(metrics[split]) == READOUTS, metrics[split]
    for readout in READOUTS:
      assert set(metrics[split][readout]) == METRICS
  assert (workdir / 'eval' / 'figure.png').stat().st_size > 0
  assert (workdir / 'metrics.jsonl').exists()

  table = _text(_cell(nb, 'results'))
  assert 'test split' in table and 'linear_probe' in table, table
  assert _has_image(_cell(nb, 'loss_curve'))
  assert _has_image(_cell(nb, 'figure'))
