"""Each heart-rate experiment trains and evaluates on its dummy data.

The smoke variants of ``experiments/{scamps,ubfc,pure}.py``: prepare from
the builder's ``dummy_data/`` (the real raw format), a few SimPer steps with
the dataset's encoder on 4 fake devices, then the heart-rate evaluation in
bpm (FFT, probe, rPPG-Toolbox ``hr_fft`` with its ``rppg`` metrics). SCAMPS
runs its cross-dataset variant: also tested on UBFC-rPPG and PURE.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os

import pytest

from simper_jax import train

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(name, arg):
  spec = importlib.util.spec_from_file_location(
      f'cfg_{name}', os.path.join(_ROOT, 'experiments', f'{name}.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


@pytest.mark.slow
@pytest.mark.parametrize('name,arg,model,extra', [
    ('scamps', 'smoke,cross', 'tscan', ('ubfc_rppg_test', 'pure_test')),
    ('ubfc', 'smoke', 'tscan', ()),
    ('pure', 'smoke', 'tscan', ()),
])
def test_smoke_training_and_heart_rate_evaluation(name, arg, model, extra,
                                                  tmp_path):
  config = _config(name, arg)
  assert config.model.name == model
  config.data.data_dir = str(tmp_path / 'tfds')
  out = train.train_and_evaluate(config, str(tmp_path / 'work'))
  with open(tmp_path / 'work' / 'eval' / 'metrics.json') as f:
    metrics = json.load(f)
  assert set(out['eval']) >= {'train', 'test', *extra}
  for split in ('test', *extra):
    for readout in ('fft', 'fft_scaled', 'linear_probe', 'hr_fft'):
      mae = metrics[split][readout]['mae']
      assert math.isfinite(mae) and 0 <= mae < 150  # bpm
    rppg = metrics[split]['rppg']
    assert rppg['n'] == metrics['num_clips'][split]
    assert rppg['MAE'] == pytest.approx(metrics[split]['hr_fft']['mae'])
  with open(tmp_path / 'work' / 'metrics.jsonl') as f:
    steps = [json.loads(line) for line in f if '"loss"' in line]
  assert steps and all(math.isfinite(s['loss']) for s in steps)


def test_configs_refuse_unknown_variants():
  with pytest.raises(ValueError, match='unknown variant'):
    _config('ubfc', 'cross')  # only SCAMPS pretrains for cross-dataset
  assert _config('scamps', '').model.name == 'cnn3d'
  assert _config('pure', 'method=simclr').method.name == 'simclr'
