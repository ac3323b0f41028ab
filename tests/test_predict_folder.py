"""simper_jax.predict end to end: a tiny video_folder run (smoke variant on
the builder's dummy videos), then predict on its files, a folder, a
corrupt and a too-short file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from simper_jax import predict
from simper_jax import studies
from simper_jax import train
from tfds_builders.video_folder import adapter as video_adapter

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DUMMY = os.path.join(_ROOT, 'tfds_builders', 'video_folder', 'dummy_data')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('vf_run'))
  config = studies.base_config('experiments/video_folder.py:smoke',
                               str(tmp_path_factory.mktemp('tfds')))
  train.train_and_evaluate(config, workdir)
  return workdir


def test_predict_writes_rows_json_and_plots(run, tmp_path):
  out = str(tmp_path / 'out')
  result = predict.predict(run, out, [os.path.join(_DUMMY, 'a.mp4'),
                                      os.path.join(_DUMMY, 'sub')],
                           hop_s=0.4)
  with open(os.path.join(out, 'predictions.json')) as f:
    assert json.load(f) == json.loads(json.dumps(result))
  with open(os.path.join(run, 'config.json')) as f:
    fps = json.load(f)['data']['fps']
  length = 16  # the smoke clips: 16 frames at 10 fps
  with open(os.path.join(out, 'predictions.csv')) as f:
    rows = list(csv.DictReader(f))
  assert list(rows[0]) == ['file', 'start_s', 'end_s', 'readout', 'value',
                           'unit']
  assert {r['unit'] for r in rows} == {'Hz'}
  assert 'fft' in result['readouts']
  # Each file: its frames at the run's rate (the dataset's reader, tested
  # with the builder), whole windows every 0.4 s.
  cfg = predict.load_run(run)[0].data
  for name, res in result['files'].items():
    path = name if os.path.isabs(name) else os.path.join(
        os.path.dirname(_DUMMY), name.replace('sub', 'dummy_data/sub', 1))
    frames = len(video_adapter.read(path, cfg))
    starts = list(range(0, frames - length + 1, int(round(0.4 * fps))))
    assert starts
    assert [w['start_s'] for w in res['windows']] == pytest.approx(
        [s / fps for s in starts])
    assert [w['end_s'] - w['start_s'] for w in res['windows']] == (
        pytest.approx([length / fps] * len(starts)))
    assert len([r for r in rows if r['file'] == name]) == (
        len(starts) * len(result['readouts']))
    png = os.path.join(out, 'plots', predict.plot_name(name))
    assert os.path.getsize(png) > 1000
  assert set(result['files']) == {os.path.join(_DUMMY, 'a.mp4'),
                                  os.path.join('sub', 'b.mkv')}


def test_bad_inputs_are_one_line_each_and_others_still_predicted(run,
                                                                 tmp_path):
  short = str(tmp_path / 'short.avi')
  w = cv2.VideoWriter(short, cv2.VideoWriter_fourcc(*'MJPG'), 10, (16, 16))
  for i in range(5):
    w.write(np.full((16, 16, 3), 20 * i, np.uint8))
  w.release()
  out = str(tmp_path / 'out')
  good = os.path.join(_DUMMY, 'a.mp4')
  broken = os.path.join(_DUMMY, 'broken.mp4')
  result = predict.predict(run, out, [broken, short, good])
  assert list(result['files']) == [good]
  assert len(result['problems']) == 2
  assert result['problems'][0].startswith(f'{broken}: cannot be read')
  assert result['problems'][1].startswith(f'{short}: 0.50 s is shorter '
                                          'than one window (1.60 s')
  # Nothing predictable: one line per file on stderr, exit status 1.
  proc = subprocess.run(
      [sys.executable, '-m', 'simper_jax.predict', f'--workdir={run}',
       f'--output={tmp_path / "none"}', broken, short], cwd=_ROOT,
      capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1
  errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error:')]
  assert len(errors) == 2 and broken in errors[0] and short in errors[1]
