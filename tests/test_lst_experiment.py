"""``experiments/lst.py:smoke``: SimPer on the LST builder's dummy NetCDF
grids, then the nowcast probe (no FFT readout for a temperature)."""

from __future__ import annotations

import importlib.util
import json
import math
import os

import pytest

from simper_jax import train

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(arg):
  spec = importlib.util.spec_from_file_location(
      'cfg_lst', os.path.join(_ROOT, 'experiments', 'lst.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


@pytest.mark.slow
def test_lst_smoke_trains_and_nowcasts(tmp_path):
  config = _config('smoke')
  config.data.data_dir = str(tmp_path / 'tfds')
  out = train.train_and_evaluate(config, str(tmp_path / 'work'))
  test = out['eval']['test']
  assert set(test) == {'linear_probe'}  # the FFT readouts do not apply
  mae = test['linear_probe']['mae']
  assert math.isfinite(mae) and 0 <= mae < 50  # kelvin
  with open(tmp_path / 'work' / 'eval' / 'metrics.json') as f:
    metrics = json.load(f)
  assert metrics['num_clips']['train'] > metrics['num_clips']['test'] > 0
  assert 'build_report' in metrics['dataset_report']


def test_lst_config_normalizes_kelvin():
  config = _config('')
  from tfds_builders import registry  # pylint: disable=g-import-not-at-top
  assert registry.get(config.data.name).clip == 'patches'
  assert config.data.input_normalize == ((290.0, 0.0), (20.0, 1.0))
  with pytest.raises(ValueError, match='unknown variant'):
    _config('synthetic')
