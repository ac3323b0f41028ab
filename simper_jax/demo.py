r"""Demo: SimPer learns on synthetic periodic clips; the loss falls.

    python -m simper_jax.demo [--steps=60] [--batch_size=8]

Trains the reference 3-D CNN (16/32 channels) with the compiled, sharded
SimPer step on clips of a spot circling at a random frequency (no labels
used), printing the loss and throughput, then compares the loss of the
first and last steps. Runs on whatever devices JAX sees (CPU, GPU, TPU);
about a minute on a 2-core CPU. The full RotatingDigits pipeline replaces
this demo as the main job.
"""

from __future__ import annotations

import sys
import time

from absl import app
from absl import flags
from absl import logging
import jax
import numpy as np
import optax
from flax import nnx

from simper_jax import augment
from simper_jax import partitioning
from simper_jax import synthetic
from simper_jax import train
from simper_jax.methods import simper
from simper_jax.models import cnn3d

_STEPS = flags.DEFINE_integer('steps', 60, 'Training steps.')
_BATCH = flags.DEFINE_integer('batch_size', 8, 'Clips per step (global).')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed for data, init and views.')
_LR = flags.DEFINE_float('learning_rate', 3e-3, 'Adam learning rate.')


def run(steps: int, batch_size: int, seed: int, learning_rate: float,
        log_every: int = 10) -> list[float]:
  """Trains for ``steps`` steps and returns the per-step losses."""
  if steps < 2 or batch_size < 1:
    raise ValueError(f'need steps >= 2 and batch_size >= 1, got {steps}, '
                     f'{batch_size}.')
  mesh = partitioning.make_mesh()
  if batch_size % mesh.size:
    raise ValueError(f'batch_size {batch_size} must be a multiple of the '
                     f'{mesh.size} devices.')
  cfg = simper.Config(views=augment.ViewConfig(
      num_speeds=5, num_frames=45, speed_range=(0.5, 2.0)))
  clips, _ = synthetic.periodic_clips(seed, 256, num_frames=100, size=16)
  model = cnn3d.CNN3D(channels=(16, 32), rngs=nnx.Rngs(seed))
  model.train()
  optimizer = nnx.Optimizer(model, optax.adam(learning_rate), wrt=nnx.Param)
  graphdef, state = train.split_state(model, optimizer)
  fns = train.make_train_step(graphdef, method=simper, method_cfg=cfg,
                              mesh=mesh)
  state = partitioning.replicate(state, mesh)
  root_key = jax.random.key(seed)
  print(f'SimPer demo: {steps} steps of {batch_size} clips on {mesh.size} '
        f'{jax.default_backend()} device(s); views {cfg.views.num_speeds} '
        f'speeds x 2 x {cfg.views.num_frames} frames of 16x16', flush=True)
  losses, start = [], None
  for step in range(steps):
    index = (np.arange(batch_size) + step * batch_size).astype(np.int32)
    batch = partitioning.shard_batch(
        {'clip': clips[index % len(clips)], 'index': index}, mesh)
    state, metrics = fns.step(state, batch, root_key)
    train.check_finite(metrics, step)
    losses.append(float(metrics['loss']))
    if step == 0:  # Rates and ETA exclude the first step's compilation.
      start = time.perf_counter()
    if (step + 1) % log_every == 0 or step + 1 == steps:
      done = step + 1
      rate = step / (time.perf_counter() - start)  # step >= 1 here
      print(f'step {done:4d}/{steps}  loss {np.mean(losses[-log_every:]):.4f}'
            f'  {rate:.2f} steps/s  ETA {(steps - done) / rate:5.0f} s',
            flush=True)
  return losses


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)  # no backend-probing chatter
  try:
    losses = run(_STEPS.value, _BATCH.value, _SEED.value, _LR.value)
  except (ValueError, FloatingPointError) as e:
    sys.exit(f'error: {e}')
  k = max(1, len(losses) // 6)
  first, last = float(np.mean(losses[:k])), float(np.mean(losses[-k:]))
  verdict = 'fell' if last < first else 'did NOT fall'
  print(f'loss {verdict}: {first:.4f} (mean of first {k} steps) -> '
        f'{last:.4f} (mean of last {k} steps)')
  if last >= first:
    sys.exit(1)


if __name__ == '__main__':
  app.run(main)
