r"""Where a SimPer train step's time goes, operation by operation.

    python benchmarks/profile_step.py [--shape=tutorial] [--runs=5]

Times, each as its own jitted function on the shape's batch (median of
``--runs`` after a warm-up), the parts of the step in order:

  views          making the 2 x M views of every clip (augment.make_views)
  conv k fwd     the k-th 3-D convolution alone, forward
  conv k bwd     its input and kernel gradients (jax.vjp), without forward
  rest fwd+bwd   the encoder and loss forward and backward minus the convs
                 (BatchNorm, ReLU, pooling, head, FFT similarity, InfoNCE)
  update         the Adam update of the parameters
  step           the whole compiled train step

and each part's share of the step (the parts need not sum to the step:
XLA fuses across them inside the step). With each convolution's FLOPs
(counted as a direct convolution) and its achieved GFLOP/s beside the f32
matmul peak.
"""

from __future__ import annotations

import sys
import os

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import timing  # pylint: disable=g-import-not-at-top,wrong-import-position
import train_step  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import augment  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import partitioning  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import train  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax.methods import simper  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax.models import cnn3d  # pylint: disable=g-import-not-at-top,wrong-import-position

_SHAPE = flags.DEFINE_string('shape', 'tutorial', 'A train_step.py shape.')
_RUNS = flags.DEFINE_integer('runs', 5, 'Timed runs per part.')


def main(argv):
  del argv
  clips_n, m, frames, size, channels = train_step.SHAPES[_SHAPE.value]
  runs = _RUNS.value
  peak = train_step.matmul_gflops()
  cfg = simper.Config(views=augment.ViewConfig(
      num_speeds=m, num_frames=frames, speed_range=(0.5, 3.0)))
  clips, _ = synthetic.periodic_clips(0, clips_n, num_frames=150, size=size)
  mesh = partitioning.make_mesh()
  model = cnn3d.CNN3D(channels=channels, rngs=nnx.Rngs(0))
  model.train()
  tx = optax.adam(1e-3)
  optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
  graphdef, state = train.split_state(model, optimizer)
  fns = train.make_train_step(graphdef, method=simper, method_cfg=cfg,
                              mesh=mesh, donate=False)
  state = partitioning.replicate(state, mesh)
  batch = partitioning.shard_batch(
      {'clip': clips, 'index': np.arange(clips_n, dtype=np.int32)}, mesh)
  key = jax.random.key(0)
  rows = []
  step_s = timing.median_time(fns.step, state, batch, key, runs=runs)

  keys = train.clip_keys(key, jnp.int32(0), batch['index'])
  views_fn = jax.jit(jax.vmap(lambda k, c: simper.make_views(k, c, cfg)))
  views = views_fn(keys, batch['clip'])
  rows.append(('views', timing.median_time(views_fn, keys, batch['clip'],
                                           runs=runs), None))

  # Each convolution alone, on the activations it sees in the step.
  x = views.views.reshape((-1,) + views.views.shape[3:])
  conv_s = 0.0
  for k, conv in enumerate(model.convs):
    g, p = nnx.split(conv)
    fwd = jax.jit(lambda p, x, g=g: nnx.merge(g, p)(x))
    y = fwd(p, x)
    t_fwd = timing.median_time(fwd, p, x, runs=runs)
    # The convolution is linear in each argument: its gradients need only
    # the inputs, so XLA drops the forward that jax.vjp traces here.
    bwd = jax.jit(lambda p, x, ct, g=g: jax.vjp(
        lambda p, x: nnx.merge(g, p)(x), p, x)[1](ct))
    t_bwd = timing.median_time(bwd, p, x, y, runs=runs)
    n, t, h, w, cin = x.shape
    flop = 2.0 * n * t * h * w * 45 * cin * y.shape[-1]
    rows.append((f'conv {k} fwd {cin}->{y.shape[-1]}', t_fwd, flop))
    rows.append((f'conv {k} bwd', t_bwd, flop * (1 if k == 0 else 2)))
    conv_s += t_fwd + t_bwd
    x = cnn3d.max_pool_2x2(jax.nn.relu(y))

  def loss_fn(model, views):
    return simper.compute_loss(model, views, batch, cfg)[0]

  grad_fn = jax.jit(lambda s, v: nnx.grad(loss_fn)(nnx.merge(
      graphdef, s)[0], v))
  t_grad = timing.median_time(grad_fn, state, views, runs=runs)
  rows.append(('rest fwd+bwd', max(t_grad - conv_s, 0.0), None))
  grads = grad_fn(state, views)
  params = nnx.state(model, nnx.Param)
  opt_state = tx.init(params)
  upd = jax.jit(lambda g, o, p: optax.apply_updates(p, tx.update(g, o, p)[0]))
  rows.append(('update', timing.median_time(upd, grads, opt_state, params,
                                            runs=runs), None))
  rows.append(('step', step_s, None))

  print(f'{_SHAPE.value} shape ({clips_n} clips, M={m}, {frames} frames of '
        f'{size}x{size}, widths {channels}); {jax.devices()[0].device_kind}; '
        f'f32 matmul {peak:.0f} GFLOP/s')
  print('| part | ms (median) | share of step | GFLOP/s (direct conv) |')
  print('|---|---|---|---|')
  for name, s, flop in rows:
    rate = f'{flop / s / 1e9:.0f}' if flop else ''
    print(f'| {name} | {1000 * s:.1f} | {100 * s / step_s:.0f}% | {rate} |')


if __name__ == '__main__':
  app.run(main)
