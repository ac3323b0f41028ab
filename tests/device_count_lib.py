"""Two train steps of a method on a given set of devices (any batch size).

Shared by test_device_count.py (in the test process, 4 devices) and
device_count_worker.py (a subprocess with 8 or 16 devices).
"""

from __future__ import annotations

import jax
import ml_collections
import numpy as np
import optax
from flax import nnx

from simper_jax import config_common
from simper_jax import input_pipeline
from simper_jax import methods
from simper_jax import partitioning
from simper_jax import synthetic
from simper_jax import train
from simper_jax.models import cnn3d

METHODS = ('simper', 'simclr', 'moco_v2', 'byol', 'cvrl', 'supervised')
FRAMES, SIZE = 48, 8


def method_config(name: str, num_frames: int = 16):
  cfg = ml_collections.ConfigDict(dict(
      name=name, num_speeds=10, num_frames=num_frames,
      speed_range=(0.5, 2.0),
      out_size=(), similarity='mxcorr', feature_temperature=1.0,
      label_kernel='l1', label_temperature=0.1, band=(0.25, 15.0),
      proj_hidden=16, proj_dim=8, temperature=0.1, ema=0.9, queue_size=12,
      supervised_loss='mae',
      augment=config_common.base('simper').method.augment.to_dict()))
  method = methods.get(name)
  return method, method.config_from(cfg, fps=30.0)


def run_steps(name: str, devices, batch_size: int, steps: int = 2, *,
              encoder=None, channels: int = 1, num_frames: int = 16,
              size: int = SIZE) -> dict:
  """``steps`` SGD steps on ``devices``; losses, final params, layout.

  ``encoder(rngs)``: the encoder (default a 4/8-channel 3-D CNN) for clips
  of ``channels`` channels, ``size`` pixels square; ``num_frames``
  frames per view.
  """
  method, mcfg = method_config(name, num_frames)
  rngs = nnx.Rngs(0)
  encoder = (encoder or (lambda r: cnn3d.CNN3D(channels=(4, 8), rngs=r)))(
      rngs)
  learner = method.build(encoder, mcfg, rngs=rngs)
  learner.train()
  optimizer = nnx.Optimizer(learner, optax.sgd(0.05), wrt=method.TRAINABLE)
  graphdef, state = train.split_state(learner, optimizer)
  mesh = partitioning.make_mesh(devices)
  clips, freqs = synthetic.periodic_clips(0, steps * batch_size,
                                          num_frames=FRAMES, size=size,
                                          channels=channels)
  layout = partitioning.batch_layout(batch_size, len(devices),
                                     clips.shape[1:])
  fns = train.make_train_step(graphdef, method=method, method_cfg=mcfg,
                              mesh=mesh, layout=layout)
  state = partitioning.replicate(state, mesh)
  losses = []
  for step in range(steps):
    rows = slice(step * batch_size, (step + 1) * batch_size)
    batch = {'clip': clips[rows]}
    if method.NEEDS_LABELS:
      batch['label'] = np.asarray(freqs[rows], np.float32)
    state, metrics = fns.step(state, input_pipeline.to_global(
        batch, mesh, layout), jax.random.key(3))
    losses.append(float(metrics['loss']))
  learner = train.merge_state(fns.graphdef, state)[0]
  params = [np.asarray(x) for x in jax.tree.leaves(
      nnx.state(learner, nnx.Param))]
  return {'losses': losses, 'params': params,
          'layout': [layout.factor, layout.split_axis]}
