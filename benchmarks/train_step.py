r"""Throughput of the compiled SimPer train step.

    python benchmarks/train_step.py [--shapes=small,tutorial] [--impl=auto]
        [--dtype=float32] [--steps=10] [--json=results.json]

For each shape: median step time over ``--steps`` steps after 2 warm-up
steps, clips/s, views/s, peak memory (on CPU the process's maximum RSS so
far: run one shape per process for per-shape figures), the share of the
step spent making views (a jitted view-maker alone, median over the same
number of runs, divided by the step time), and achieved GFLOP/s beside the
machine's f32 matmul rate (4096^3, median of 5): once as XLA counts the compiled step's
FLOPs, once as direct-convolution FLOPs per second (the work a direct
convolution would do, so Winograd's saving shows as speed).

Shapes (README.md, "Performance"):
  small     8 clips, M=5, 45 frames of 16x16x1, 16/32 channels
  tutorial  4 clips, M=10, 50 frames of 28x28x1, 64/128 channels
  paper     32 clips, M=10, 50 frames of 28x28x1, 64/128 channels (GPU)
No ratio to the original TensorFlow step is printed here: a ratio counts
only when both ran in the same run on the same machine, which is what
``benchmarks/tf_compare.py`` does.
"""

from __future__ import annotations

import json
import os
import resource
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from simper_jax import augment
from simper_jax import partitioning
from simper_jax import synthetic
from simper_jax import train
from simper_jax.methods import simper
from simper_jax.models import cnn3d
from simper_jax.models import conv as conv_lib

import timing  # benchmarks/timing.py (this script's folder is on sys.path)

SHAPES = {
    # name: (clips, M, frames, size, channels)
    'small': (8, 5, 45, 16, (16, 32)),
    'tutorial': (4, 10, 50, 28, (64, 128)),
    'paper': (32, 10, 50, 28, (64, 128)),
}

_SHAPES = flags.DEFINE_list('shapes', ['small', 'tutorial'],
                            f'Shapes to run, of {sorted(SHAPES)}.')
_IMPL = flags.DEFINE_enum('impl', 'auto', list(conv_lib.IMPLS),
                          'Convolution formulation.')
_DTYPE = flags.DEFINE_enum('dtype', 'float32', ['float32', 'bfloat16'],
                           'Encoder compute dtype.')
_STEPS = flags.DEFINE_integer('steps', 10, 'Timed steps after warm-up.')
_JSON = flags.DEFINE_string('json', None, 'Also write results here.')




def matmul_gflops() -> float:
  a = jnp.ones((4096, 4096), jnp.float32)
  t = timing.median_time(jax.jit(jnp.dot), a, a, runs=5)
  return 2 * 4096 ** 3 / t / 1e9


def direct_conv_gflop(views: int, frames: int, size: int,
                      channels: tuple[int, ...]) -> float:
  """Convolution GFLOP of one step counted as direct convolution.

  Forward, input gradient (not for the first layer, whose input is data)
  and kernel gradient of every (5,3,3) block plus the 1x1x1 head. Lets
  formulations that do fewer FLOPs (Winograd) be compared with the others.
  """
  total, size_l, cin = 0.0, size, 1
  for i, cout in enumerate(channels):
    fwd = 2.0 * views * frames * size_l ** 2 * 45 * cin * cout
    total += fwd * (2 if i == 0 else 3)
    size_l, cin = size_l // 2, cout
  total += 3 * 2.0 * views * frames * size_l ** 2 * cin
  return total / 1e9


def _peak_memory_gb() -> float:
  stats = jax.devices()[0].memory_stats() or {}
  if 'peak_bytes_in_use' in stats:
    return stats['peak_bytes_in_use'] / 2 ** 30
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def bench_shape(name: str, impl: str, dtype, steps: int) -> dict:
  clips_n, m, frames, size, channels = SHAPES[name]
  cfg = simper.Config(views=augment.ViewConfig(
      num_speeds=m, num_frames=frames, speed_range=(0.5, 3.0)))
  clips, _ = synthetic.periodic_clips(0, clips_n, num_frames=150, size=size)
  mesh = partitioning.make_mesh()
  model = cnn3d.CNN3D(channels=channels, conv_impl=impl, dtype=dtype,
                      rngs=nnx.Rngs(0))
  model.train()
  optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)
  graphdef, state = train.split_state(model, optimizer)
  fns = train.make_train_step(graphdef, method=simper, method_cfg=cfg,
                              mesh=mesh)
  state = partitioning.replicate(state, mesh)
  batch = partitioning.shard_batch(
      {'clip': clips, 'index': np.arange(clips_n, dtype=np.int32)}, mesh)
  key = jax.random.key(0)
  # Compile once; the same executable gives XLA's FLOP count and is timed.
  step = fns.step.lower(state, batch, key).compile()
  flops = step.cost_analysis()
  flops = (flops[0] if isinstance(flops, list) else flops).get('flops', 0.0)
  for _ in range(2):  # warm-up
    state, metrics = step(state, batch, key)
  jax.block_until_ready(metrics)
  times = []
  for _ in range(steps):
    start = time.perf_counter()
    state, metrics = step(state, batch, key)
    jax.block_until_ready(metrics)
    times.append(time.perf_counter() - start)
  step_s = float(np.median(times))
  keys = train.clip_keys(key, jnp.int32(0), batch['index'])
  views_fn = jax.jit(jax.vmap(lambda k, c: simper.make_views(k, c, cfg)))
  views_s = timing.median_time(views_fn, keys, batch['clip'], runs=steps)
  direct = direct_conv_gflop(clips_n * 2 * m, frames, size, channels)
  return {
      'direct_gflop_per_step': direct,
      'direct_gflops': direct / step_s,
      'shape': name, 'backend': jax.default_backend(),
      'devices': mesh.size, 'impl': '/'.join(
          conv_lib.resolve_impl(impl, (5, 3, 3, c, o)) for c, o in zip(
              (1,) + tuple(channels[:-1]), channels)),
      'dtype': jnp.dtype(dtype).name, 'step_s': step_s,
      'step_s_min': float(np.min(times)), 'step_s_max': float(np.max(times)),
      'clips_per_s': clips_n / step_s, 'views_per_s': clips_n * 2 * m / step_s,
      'peak_mem_gb': _peak_memory_gb(), 'view_share': views_s / step_s,
      'gflop_per_step': flops / 1e9, 'gflops': flops / step_s / 1e9,
  }


def main(argv):
  del argv
  dtype = jnp.bfloat16 if _DTYPE.value == 'bfloat16' else jnp.float32
  peak = matmul_gflops()
  device = jax.devices()[0]
  print(f'device: {device.device_kind} x{jax.device_count()} '
        f'({jax.default_backend()}), jax {jax.__version__}; f32 matmul '
        f'4096^3: {peak:.0f} GFLOP/s; GLIBC_TUNABLES='
        f"{os.environ.get('GLIBC_TUNABLES', '(unset)')}", flush=True)
  rows = []
  header = ('| shape | impl | dtype | step (s, median) | clips/s | views/s | '
            'peak mem (GB) | views share | XLA GFLOP/step | XLA GFLOP/s | '
            'direct-conv GFLOP/s |')
  print(header)
  print('|' + '---|' * 11)
  for name in _SHAPES.value:
    if name not in SHAPES:
      raise app.UsageError(f'unknown shape {name!r}; choose from '
                           f'{sorted(SHAPES)}')
    r = bench_shape(name, _IMPL.value, dtype, _STEPS.value)
    rows.append(r)
    print(f"| {name} | {r['impl']} | {r['dtype']} | {r['step_s']:.3f} | "
          f"{r['clips_per_s']:.2f} | {r['views_per_s']:.1f} | "
          f"{r['peak_mem_gb']:.2f} | {100 * r['view_share']:.1f}% | "
          f"{r['gflop_per_step']:.1f} | {r['gflops']:.1f} | "
          f"{r['direct_gflops']:.1f} |",
          flush=True)
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump({'matmul_gflops': peak, 'device': device.device_kind,
                 'rows': rows}, f, indent=2)


if __name__ == '__main__':
  app.run(main)
