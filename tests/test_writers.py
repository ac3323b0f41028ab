"""Tests of simper_jax.writers."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from simper_jax import writers


def _steps(path):
  with open(path) as f:
    return [json.loads(line)['step'] for line in f]


def test_resumed_writer_drops_the_steps_that_are_redone(tmp_path):
  w = writers.MetricWriter(str(tmp_path))
  for step in range(1, 6):
    w.write_scalars(step, {'loss': 1.0 / step})
  w.close()
  # Interrupted after logging step 5; the last checkpoint was at step 3.
  w = writers.MetricWriter(str(tmp_path), resume_step=3)
  w.write_scalars(4, {'loss': 0.5})
  w.close()
  assert _steps(os.path.join(tmp_path, 'metrics.jsonl')) == [1, 2, 3, 4]


def test_disabled_writer_writes_nothing(tmp_path):
  w = writers.MetricWriter(str(tmp_path / 'x'), enabled=False)
  w.write_scalars(1, {'loss': 1.0})
  w.close()
  assert not os.path.exists(tmp_path / 'x')


def test_json_is_strict_with_nan_as_null(tmp_path):
  path = str(tmp_path / 'm.json')
  writers.write_json(path, {'a': {'pearson': math.nan, 'mae': np.float32(2)},
                            'b': [np.int64(3), math.inf]})
  with open(path) as f:
    text = f.read()
  assert 'NaN' not in text and 'Infinity' not in text
  assert json.loads(text) == {'a': {'pearson': None, 'mae': 2.0},
                              'b': [3, None]}
