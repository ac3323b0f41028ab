r"""The original TensorFlow SimPer update beside ours, in one run.

    python benchmarks/tf_compare.py [--tf_python=PATH] [--steps=10]
        [--shapes=small,tutorial] [--json=tf_compare.json]

TensorFlow is never a dependency of the project. Without ``--tf_python``
this script makes a throwaway virtual environment in a temp folder,
installs ``tensorflow-cpu`` into it (a few minutes; needs the package
index) and removes it afterwards; with ``--tf_python`` it uses that
interpreter (which must import tensorflow).

The TensorFlow side is the original release's update re-derived in our own
code (``_TF_UPDATE`` below; the same computation, not its text): a Keras
encoder of the reference shape (Conv3D (5,3,3) -> BatchNorm -> ReLU -> 2x2
max pool per width, a 1x1x1 Conv3D to one channel, BatchNorm, ReLU,
spatial mean) run eagerly over every view of the batch, then a Python loop
over the clips, each clip's similarity matrix built row by row with
``tf.map_fn`` inside ``tf.function`` (max normalized cross-correlation
over lags by FFTs zero-padded to 2L), soft speed targets, cross-entropy,
Adam, all under one ``GradientTape``. Like the original, the views come
ready-made (its data pipeline made them before the update); ours includes
making the views on device.

Both sides run the same shapes in the same invocation, one after the
other, on the same machine; each figure is the median of ``--steps``
steps after 2 warm-up steps. Printed: seconds per step each, the ratio,
and our step's achieved FLOP rate (XLA's count) beside the measured f32
matmul peak.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

from absl import app
from absl import flags

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# --shapes, --steps and --json are train_step.py's flags.
import train_step  # pylint: disable=g-import-not-at-top,wrong-import-position

_TF_PYTHON = flags.DEFINE_string('tf_python', None, 'A Python with '
                                 'TensorFlow (default: a throwaway venv).')

# Run by the TensorFlow interpreter: argv = shape name, clips, M, frames,
# size, channels (comma-separated), steps. Prints one JSON line.
_TF_UPDATE = r'''
import json, os, statistics, sys, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np
import tensorflow as tf

name, b, m, frames, size = sys.argv[1], *map(int, sys.argv[2:6])
widths = [int(c) for c in sys.argv[6].split(',')]
steps = int(sys.argv[7])
K = tf.keras.layers


class Encoder(tf.keras.Model):
  # Per width: Conv3D (5,3,3) 'same' -> BatchNorm -> ReLU -> 2x2 max pool
  # of every frame; then Conv3D 1x1x1 to one channel -> BatchNorm -> ReLU ->
  # spatial mean: one scalar per frame.
  def __init__(self):
    super().__init__()
    self.blocks = [(K.Conv3D(w, (5, 3, 3), padding='same'),
                    K.BatchNormalization(),
                    K.TimeDistributed(K.MaxPool2D((2, 2)))) for w in widths]
    self.head = K.Conv3D(1, (1, 1, 1))
    self.head_bn = K.BatchNormalization()

  def call(self, x):
    for conv, bn, pool in self.blocks:
      x = pool(tf.nn.relu(bn(conv(x))))
    x = tf.nn.relu(self.head_bn(self.head(x)))
    return tf.reduce_mean(x[..., 0], axis=(2, 3))


encoder = Encoder()
opt = tf.keras.optimizers.Adam(1e-3)
xent = tf.keras.losses.CategoricalCrossentropy(from_logits=True)


@tf.function
def row_xcorr(a, rows):
  # a [1, L], rows [M, L]: max over lags of the normalized cross-correlation,
  # by FFTs zero-padded to 2L.
  a = a - tf.reduce_mean(a, axis=-1, keepdims=True)
  rows = rows - tf.reduce_mean(rows, axis=-1, keepdims=True)
  n = a.shape[-1]
  pa = tf.pad(a, [[0, 0], [0, n]])
  pr = tf.pad(rows, [[0, 0], [0, n]])
  spec = tf.signal.rfft(pa) * tf.math.conj(tf.signal.rfft(pr))
  scale = tf.math.reduce_std(a, -1, keepdims=True) * tf.math.reduce_std(
      rows, -1, keepdims=True)
  scale = tf.where(scale == 0, tf.ones_like(scale), scale)
  spec = spec / tf.cast(scale, spec.dtype)
  return tf.reduce_max(tf.signal.irfft(spec) / (n - 1), axis=-1)


@tf.function
def similarity(za, zb):  # [M, L] x [M, L] -> [M, M], one map_fn per row
  return tf.map_fn(lambda i: row_xcorr(za[i:i + 1], zb),
                   tf.range(tf.shape(za)[0]), fn_output_signature=za.dtype)


def update(views, speeds):
  # Eager, as the release's update: the encoder over every view at once
  # (called without training=True, as there), then a Python loop over the
  # clips for the loss, then Adam.
  v = tf.reshape(views, [b * 2 * m] + views.shape[2:].as_list())
  dist = -tf.abs(speeds[:, :, None] - speeds[:, None, :])
  targets = tf.nn.softmax(dist / 0.1, axis=-1)
  with tf.GradientTape() as tape:
    z = tf.reshape(encoder(v), [b, 2 * m, -1])
    loss = 0.0
    for clip_z, target in zip(z, targets):
      loss += xent(target, similarity(clip_z[:m], clip_z[m:]))
    loss /= b
  grads = tape.gradient(loss, encoder.trainable_variables)
  opt.apply_gradients(zip(grads, encoder.trainable_variables))
  return loss


rng = np.random.default_rng(0)
views = tf.constant(rng.random((b, 2 * m, frames, size, size, 1), np.float32))
speeds = tf.constant(np.sort(rng.uniform(0.5, 3.0, (b, m)), 1).astype(
    np.float32))
for _ in range(2):
  update(views, speeds).numpy()
times = []
for _ in range(steps):
  t0 = time.perf_counter()
  update(views, speeds).numpy()
  times.append(time.perf_counter() - t0)
print(json.dumps({'shape': name, 'tf_step_s': statistics.median(times),
                  'tf_version': tf.__version__}))
'''


def _tf_python(tmp: str) -> str:
  if _TF_PYTHON.value:
    return _TF_PYTHON.value
  env_dir = os.path.join(tmp, 'tfenv')
  print(f'making a throwaway TensorFlow environment in {env_dir} ...',
        flush=True)
  subprocess.run([sys.executable, '-m', 'venv', env_dir], check=True)
  python = os.path.join(env_dir, 'bin', 'python')
  subprocess.run([python, '-m', 'pip', 'install', '-q', 'tensorflow-cpu'],
                 check=True)
  return python


def tf_step(python: str, name: str, steps: int) -> dict:
  b, m, frames, size, channels = train_step.SHAPES[name]
  with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
    f.write(_TF_UPDATE)
  try:
    out = subprocess.run(
        [python, f.name, name, str(b), str(m), str(frames), str(size),
         ','.join(map(str, channels)), str(steps)],
        capture_output=True, text=True, check=False)
  finally:
    os.remove(f.name)
  if out.returncode != 0:
    raise RuntimeError(f'the TensorFlow update failed:\n{out.stderr[-3000:]}')
  return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv):
  del argv
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  tmp = tempfile.mkdtemp(prefix='simper_tf_')
  rows = []
  try:
    python = _tf_python(tmp)
    peak = train_step.matmul_gflops()
    print(f'device: {jax.devices()[0].device_kind} ({jax.default_backend()}'
          f'), jax {jax.__version__}; f32 matmul 4096^3: {peak:.0f} GFLOP/s',
          flush=True)
    print('| shape | TF update (s) | ours (s) | ours vs TF | ours GFLOP/s '
          '(XLA count) | share of matmul peak |')
    print('|---|---|---|---|---|---|')
    for name in train_step._SHAPES.value:
      tf = tf_step(python, name, train_step._STEPS.value)
      ours = train_step.bench_shape(name, 'auto', jnp.float32, train_step._STEPS.value)
      row = {**tf, 'ours_step_s': ours['step_s'], 'ours_gflops':
             ours['gflops'], 'matmul_gflops': peak,
             'ratio': tf['tf_step_s'] / ours['step_s']}
      rows.append(row)
      print(f"| {name} | {tf['tf_step_s']:.3f} | {ours['step_s']:.3f} | "
            f"{row['ratio']:.2f}x | {ours['gflops']:.0f} | "
            f"{100 * ours['gflops'] / peak:.0f}% |", flush=True)
    print(f"TensorFlow {rows[0]['tf_version'] if rows else '?'}")
  finally:
    shutil.rmtree(tmp, ignore_errors=True)
  if train_step._JSON.value:
    with open(train_step._JSON.value, 'w') as f:
      json.dump(rows, f, indent=1)


if __name__ == '__main__':
  app.run(main)
