"""simper_jax.predict: the error paths (the end-to-end run on a tiny
video-folder run is in tests/test_predict_folder.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from simper_jax import predict
from simper_jax import studies
from simper_jax import writers

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_windows():
  assert predict.windows(10, 4, 3) == [0, 3, 6]
  assert predict.windows(3, 4, 1) == []


def test_a_workdir_without_a_trained_run_is_one_line(tmp_path):
  with pytest.raises(FileNotFoundError, match='not a trained run.*'
                     'config.json is missing.*simper_jax.main'):
    predict.load_run(str(tmp_path))
  proc = subprocess.run(
      [sys.executable, '-m', 'simper_jax.predict', f'--workdir={tmp_path}',
       f'--output={tmp_path / "out"}', str(tmp_path)], cwd=_ROOT,
      capture_output=True, text=True, timeout=120)
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines() == [
      f'error: {tmp_path} is not a trained run (config.json is missing); '
      'train and evaluate one with python -m simper_jax.main --config=... '
      f'--workdir={tmp_path}.']


def test_a_run_on_a_dataset_without_files_is_refused(tmp_path):
  config = studies.base_config('experiments/rotating_digits.py:smoke')
  writers.write_json(str(tmp_path / 'config.json'), config.to_dict())
  os.makedirs(tmp_path / 'eval')
  with open(tmp_path / 'eval' / 'readouts.json', 'w') as f:
    json.dump({'readouts': ['fft'], 'length': 48, 'fps': 30.0,
               'band': [0.25, 15.0], 'per_hz': 1.0, 'scale': 'NaN',
               'probe': None, 'num_labelled': 0,
               'clip_shape': [48, 28, 28, 1]}, f)
  with pytest.raises(ValueError, match="trained on 'rotating_digits'.*"
                     'video_folder or time_series'):
    predict.predict(str(tmp_path), str(tmp_path / 'out'), [str(tmp_path)])
