"""Every experiment config and variant builds a valid method, model and
optimizer (without data), and bad variants are refused."""

from __future__ import annotations

import importlib.util
import os

import jax
import pytest
from flax import nnx

from simper_jax import methods
from simper_jax import models
from simper_jax import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _module(name: str):
  spec = importlib.util.spec_from_file_location(
      name, os.path.join(ROOT, 'experiments', f'{name}.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize('arg', ['', 'cpu', 'smoke', 'init_only',
                                 'cpu,init_only', 'smoke,init_only'])
def test_rotating_digits_variants_are_consistent(arg):
  config = _module('rotating_digits').get_config(arg)
  assert _module('rotating_digits').__doc__.count('python -m simper_jax.main')
  method = methods.get(config.method.name)
  method_cfg = method.config_from(config.method, fps=config.data.fps)
  # The views fit in the dataset's clips, and batches split over 4 devices.
  assert method_cfg.views.min_clip_frames() <= config.data.num_frames
  assert config.batch_size % 4 == 0 and config.eval.batch_size % 4 == 0
  steps_per_epoch, total = train.num_train_steps(
      config, 10 * config.data.train_per_class)
  assert total > 0 and steps_per_epoch > 0
  train.make_optimizer(config.optim, steps_per_epoch=steps_per_epoch,
                       total_steps=total)
  model = models.create(config.model, in_channels=1, rngs=nnx.Rngs(0))
  model.eval()  # eval_shape must not update BatchNorm statistics
  out = jax.eval_shape(model, jax.ShapeDtypeStruct(
      (2, config.method.num_frames, 28, 28, 1), jax.numpy.float32))
  assert out.shape == (2, config.method.num_frames)
  assert config.eval.init_only == ('init_only' in arg)


def test_default_is_the_tutorial_scale():
  config = _module('rotating_digits').get_config('')
  assert (config.method.num_speeds, config.method.num_frames,
          tuple(config.method.speed_range)) == (10, 50, (0.5, 3.0))
  assert tuple(config.model.channels) == (64, 128)
  assert config.batch_size == 4 and config.num_epochs == 20
  assert (config.optim.name, config.optim.learning_rate,
          tuple(config.optim.decay_epochs),
          tuple(config.optim.decay_factors)) == (
              'adam', 1e-3, (12.0, 16.0), (0.1, 0.01))
  assert config.data.source == 'mnist_offline'
  assert (config.data.train_per_class, config.data.test_per_class) == (
      100, 200)


def test_unknown_variant_is_refused():
  with pytest.raises(ValueError, match='unknown variant'):
    _module('rotating_digits').get_config('smok')
