"""``experiments/time_series.py``: every variant builds a consistent
method, model and views; ``:smoke`` trains on the builder's dummy_data/
and its run predicts a recording (``simper_jax.predict``)."""

from __future__ import annotations

import importlib.util
import json
import math
import os

import jax
import numpy as np
import pytest
from flax import nnx

from simper_jax import methods
from simper_jax import models
from simper_jax import predict
from simper_jax import train
from tfds_builders import registry

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DUMMY = os.path.join(_ROOT, 'tfds_builders', 'time_series', 'dummy_data')


def _module():
  spec = importlib.util.spec_from_file_location(
      'cfg_time_series', os.path.join(_ROOT, 'experiments',
                                      'time_series.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize('arg', ['', 'synthetic', 'smoke', 'init_only',
                                 'synthetic,init_only',
                                 'smoke,method=simclr'])
def test_variants_are_consistent(arg):
  config = _module().get_config(arg)
  assert _module().__doc__.startswith('SimPer on your own folder')
  assert registry.get(config.data.name).clip == 'series'
  fps = config.data.fps or 32.0  # 0: resolved from the folder
  method = methods.get(config.method.name)
  method_cfg = method.config_from(config.method, fps=fps)
  assert method_cfg.views.min_clip_frames() <= config.data.num_frames
  assert config.batch_size % 4 == 0 and config.eval.batch_size % 4 == 0
  c = config.data.channels
  model = models.create(config.model, in_channels=c, rngs=nnx.Rngs(0))
  model.eval()
  out = jax.eval_shape(model, jax.ShapeDtypeStruct(
      (2, config.method.num_frames, 1, 1, c), jax.numpy.float32))
  assert out.shape == (2, config.method.num_frames)
  # Spatial augmentations are off for a 1x1 "image"; channels never mix.
  aug = config.method.augment
  assert (tuple(aug.crop_scale), aug.blur_prob, aug.flip_prob,
          aug.grayscale_prob, aug.reverse_prob, aug.brightness) == (
              (1.0, 1.0), 0.0, 0.0, 0.0, 0.5, 0.3)
  assert config.eval.init_only == ('init_only' in arg)
  if 'synthetic' in arg:
    assert config.data.synthetic and config.data.channels == 3
    assert config.model.name == 'tcn1d'
    offsets, scales = (np.asarray(v) for v in config.data.input_normalize)
    # The generator's value range lands inside [0, 1 / (1 + brightness)].
    lo, hi = (-5.0 - offsets) / scales, (5.0 - offsets) / scales
    assert np.all(lo >= 0) and np.all(hi * (1 + aug.brightness) <= 1)


def test_smoke_trains_and_predicts(tmp_path):
  config = _module().get_config('smoke')
  config.data.data_dir = str(tmp_path / 'tfds')
  work = str(tmp_path / 'work')
  out = train.train_and_evaluate(config, work)
  test = out['eval']['test']
  assert 'fft' in test and math.isfinite(test['fft']['mae'])
  with open(os.path.join(work, 'eval', 'metrics.json')) as f:
    metrics = json.load(f)
  assert metrics['num_clips'] == {'train': 9, 'test': 4}  # d.csv unlabelled
  assert metrics['num_unlabelled']['train'] == 3
  report = metrics['dataset_report']['build_report']
  assert report['test']['filled_gaps'] == 1
  summary = predict.predict(work, str(tmp_path / 'pred'),
                            [os.path.join(_DUMMY, 'b.npy'),
                             os.path.join(_DUMMY, 'corrupt.npy')])
  # b.npy: 50 samples at 10 Hz, windows of 16 every 8: 5.
  assert len(summary['files'][os.path.join(_DUMMY, 'b.npy')]['windows']) == 5
  assert len(summary['problems']) == 1 and 'corrupt.npy' in summary[
      'problems'][0]
