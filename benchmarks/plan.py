r"""On paper: what each experiment's default recipe costs on an accelerator.

    python benchmarks/plan.py [--experiments=rotating_digits,countix,...]
        [--devices=1,8] [--json=plan.json]

For each experiment's default recipe (``experiments/<name>.py`` with no
variant: the TPU/GPU recipe), with the native XLA convolution (what GPUs
and TPUs run; ``model.conv_impl=native``):

* parameters of the learner (encoder and any heads);
* FLOPs of one train step, from XLA's cost analysis of the compiled step
  on 1 device (views, encoder forward and backward, loss, update);
* memory per device at 1 and 8 devices, from XLA's memory analysis of the
  step compiled for a mesh of that many (fake CPU) devices: arguments
  (state and batch) + temporaries + outputs not aliased to arguments. The
  CPU compiler's buffer assignment is a guide to, not the figure of, a
  TPU's or GPU's (whose fusions differ);
* steps and FLOPs of the whole run (``num_epochs`` x the steps per epoch
  of the training clips in ``TRAIN_CLIPS``, or ``num_train_steps``);
* the run's wall-time lower bound at peak on each accelerator in ``PEAKS``
  (total FLOPs / peak dense bf16 FLOP/s of the whole slice or card): no
  real run is faster, and real ones reach a fraction of peak.

Nothing is trained and no dataset is read (clip shapes come from the
builders' feature specs); compiling the largest step takes minutes on a
2-core CPU.
"""

from __future__ import annotations

import json
import os
import sys

_DEVICES = max(int(d) for arg in sys.argv if arg.startswith('--devices=')
               for d in arg.split('=', 1)[1].split(',')) if any(
                   a.startswith('--devices=') for a in sys.argv) else 8
os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           f' --xla_force_host_platform_device_count='
                           f'{_DEVICES}').strip()
os.environ.setdefault('JAX_PLATFORMS', 'cpu')

import importlib.util  # pylint: disable=g-import-not-at-top,wrong-import-position

from absl import app  # pylint: disable=g-import-not-at-top,wrong-import-position
from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
from flax import nnx  # pylint: disable=g-import-not-at-top,wrong-import-position

from simper_jax import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import methods  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import models  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import partitioning  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import train  # pylint: disable=g-import-not-at-top,wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Training clips of each default recipe's dataset (for the run's total):
# RotatingDigits: the config's 100 per class x 10; SCAMPS: 60% of 2,800
# videos x 3 chunks of 180 of their 600 frames; UBFC-rPPG: 42 subjects of
# ~1 min (~1,800 frames), 10 chunks of 180 each, the test subjects out
# (~30 train); PURE: subjects 01-07 x 6 setups x ~1 min (10 chunks);
# Countix: the 4,588 rows of countix_train.csv (an upper bound: many
# Kinetics clips are gone); LST and the user-data recipes: 1,000 (a
# stand-in: the total scales with the user's data).
TRAIN_CLIPS = {'rotating_digits': 1000, 'scamps': 5040, 'ubfc': 300,
               'pure': 420, 'countix': 4588, 'lst': 1000,
               'video_folder': 1000, 'time_series': 1000}

# Peak dense bf16 throughput of the whole slice or card, FLOP/s, and where
# the figure comes from.
PEAKS = {
    'TPU v2-8': (180e12, 'Google Cloud TPU docs, "TPU v2": 45 TFLOP/s per '
                 'chip, 4 chips (8 cores)'),
    'TPU v5e-1': (197e12, 'Google Cloud TPU docs, "TPU v5e": 197 TFLOP/s '
                  'bf16 per chip'),
    'A100': (312e12, 'NVIDIA A100 datasheet: 312 TFLOP/s bf16 Tensor Core '
             '(dense)'),
    'H100': (989e12, 'NVIDIA H100 SXM datasheet: 989 TFLOP/s bf16 Tensor '
             'Core (dense; 1,979 with sparsity)'),
}

_EXPERIMENTS = flags.DEFINE_list('experiments', list(TRAIN_CLIPS),
                                 'Experiments to plan.')
flags.DEFINE_list('devices', ['1', '8'], 'Device counts for the memory.')
_JSON = flags.DEFINE_string('json', None, 'Also write the figures here.')


def load_config(name: str):
  spec = importlib.util.spec_from_file_location(
      name, os.path.join(ROOT, 'experiments', f'{name}.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config('')
  config.model.conv_impl = 'native'
  return config


# The user-data recipes' clip shapes follow from their options (their
# builders need the user's folder): a window of num_frames RGB frames of
# size x size; a window of num_frames samples of `channels` channels.
USER_CLIPS = {
    'video_folder': lambda d: (d.num_frames, d.size, d.size, 3),
    'time_series': lambda d: (d.num_frames, 1, 1, d.channels),
}


def clip_shape(config) -> tuple[int, ...]:
  """``[T, H, W, C]`` of the recipe's clips, from the builder's spec."""
  if config.data.name in USER_CLIPS:
    return tuple(USER_CLIPS[config.data.name](config.data))
  plugin = datasets.plugin(config.data)
  builder = datasets.get_builder(config.data)
  return tuple(builder.info.features[plugin.clip].shape)


def compiled_step(config, shape, devices):
  """The recipe's train step compiled for ``devices``; also the params."""
  method = methods.get(config.method.name)
  # fps 0 (user data: the folder's rate) does not change the step's cost.
  method_cfg = method.config_from(config.method, fps=config.data.fps or 30.)
  mesh = partitioning.make_mesh(devices)
  tx, _ = train.make_optimizer(config.optim, steps_per_epoch=100,
                               total_steps=1000)

  def make():
    rngs = nnx.Rngs(config.seed)
    encoder = models.create(config.model, in_channels=shape[-1], rngs=rngs)
    learner = method.build(encoder, method_cfg, rngs=rngs)
    learner.train()
    return learner, nnx.Optimizer(learner, tx, wrt=method.TRAINABLE)

  learner, optimizer = nnx.eval_shape(make)  # shapes only, no arrays
  graphdef, state = train.split_state(learner, optimizer)
  params = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(
      nnx.state(learner, nnx.Param)))
  repl = partitioning.replicated(mesh)
  state = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl), state)
  b = config.batch_size
  layout = partitioning.batch_layout(b, len(devices), shape)
  host = {'clip': np.zeros((b,) + shape, np.uint8),
          'index': np.zeros((b,), np.int32)}
  if method.NEEDS_LABELS:
    host['label'] = np.zeros((b,), np.float32)
  packed = partitioning.pack(host, layout)
  data = partitioning.data_sharded(mesh)
  batch = {k: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=data)
           for k, v in packed.items()}
  fns = train.make_train_step(graphdef, method=method, method_cfg=method_cfg,
                              mesh=mesh, layout=layout, donate=True)
  key = jax.ShapeDtypeStruct((), jax.random.key(0).dtype, sharding=repl)
  compiled = fns.step.lower(state, batch, key).compile()
  return compiled, params


def memory_bytes(compiled) -> int:
  m = compiled.memory_analysis()
  return int(m.argument_size_in_bytes + m.temp_size_in_bytes +
             m.output_size_in_bytes - m.alias_size_in_bytes)


def plan(name: str, device_counts) -> dict:
  config = load_config(name)
  shape = clip_shape(config)
  row = {'experiment': name, 'clip': list(shape),
         'batch': config.batch_size, 'model': config.model.name,
         'method': config.method.name}
  for n in device_counts:
    compiled, params = compiled_step(config, shape, jax.devices()[:n])
    if n == 1:
      cost = compiled.cost_analysis()
      cost = cost[0] if isinstance(cost, (list, tuple)) else cost
      row['params'] = params
      row['flops_per_step'] = float(cost['flops'])
    row[f'memory_per_device_{n}'] = memory_bytes(compiled)
  per_epoch = max(1, TRAIN_CLIPS[name] // config.batch_size)
  steps = (config.num_train_steps if config.num_train_steps > 0
           else int(round(config.num_epochs * per_epoch)))
  row['steps'] = steps
  row['total_flops'] = row['flops_per_step'] * steps
  row['lower_bound_s'] = {k: row['total_flops'] / peak
                          for k, (peak, _) in PEAKS.items()}
  return row


def _fmt_s(s: float) -> str:
  if s < 1:
    return f'{s * 1000:.1f} ms'
  return f'{s:.0f} s' if s < 120 else f'{s / 60:.1f} min' if s < 7200 else (
      f'{s / 3600:.1f} h')


def _fmt(x: float) -> str:
  return f'{x:,.0f}' if x >= 100 else f'{x:.3g}'


def table(rows) -> str:
  head = ('| experiment | clip, batch, model | params | GFLOP/step | '
          'memory/device 1 dev, 8 dev | steps | total PFLOP | ' +
          ' | '.join(PEAKS) + ' |')
  lines = [head, '|' + '---|' * (7 + len(PEAKS))]
  for r in rows:
    mem = ', '.join(f'{r[k] / 2**30:.2f} GiB' for k in sorted(r)
                    if k.startswith('memory_per_device_'))
    lines.append(
        f'| {r["experiment"]} | {"x".join(map(str, r["clip"]))}, '
        f'{r["batch"]}, {r["model"]} | {r["params"] / 1e6:.2f} M | '
        f'{_fmt(r["flops_per_step"] / 1e9)} | {mem} | {r["steps"]:,} | '
        f'{_fmt(r["total_flops"] / 1e15)} | ' +
        ' | '.join(_fmt_s(r['lower_bound_s'][k]) for k in PEAKS) + ' |')
  return '\n'.join(lines)


def main(argv):
  del argv
  counts = sorted({int(d) for d in flags.FLAGS.devices})
  rows = []
  for name in _EXPERIMENTS.value:
    print(f'planning {name} ...', flush=True)
    rows.append(plan(name, counts))
  print(table(rows))
  for k, (peak, source) in PEAKS.items():
    print(f'{k}: {peak / 1e12:.0f} TFLOP/s ({source})')
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump({'rows': rows, 'peaks': {k: v[0] for k, v in PEAKS.items()}},
                f, indent=1)


if __name__ == '__main__':
  app.run(main)
