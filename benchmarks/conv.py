r"""Speed of each 3-D convolution formulation on the encoder's layer shapes.

    python benchmarks/conv.py [--layers=small1,small2,tutorial2]
        [--impls=native,taps2d,im2col,winograd] [--runs=3]

Prints, per layer and formulation, the median time of the forward pass and
of forward + both gradients (input and kernel), and the forward GFLOP/s
counted as direct convolution FLOPs (2 * positions * kt*kh*kw * C * O), so
that formulations doing fewer FLOPs (Winograd) show as faster than direct.
Layers are those of the train-step benchmark (80 views per step).
"""

from __future__ import annotations


from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from simper_jax.models import conv

import timing  # benchmarks/timing.py (this script's folder is on sys.path)

LAYERS = {
    # name: (input [N, T, H, W, C], output channels)
    'small1': ((80, 45, 16, 16, 1), 16),
    'small2': ((80, 45, 8, 8, 16), 32),
    'tutorial1': ((80, 50, 28, 28, 1), 64),
    'tutorial2': ((80, 50, 14, 14, 64), 128),
}
_LAYERS = flags.DEFINE_list('layers', ['small1', 'small2', 'tutorial2'],
                            f'Layers, of {sorted(LAYERS)}.')
_IMPLS = flags.DEFINE_list('impls', ['native', 'taps2d', 'im2col',
                                     'winograd'], 'Formulations.')
_RUNS = flags.DEFINE_integer('runs', 3, 'Timed runs after warm-up.')




def main(argv):
  del argv
  print(f'device: {jax.devices()[0].device_kind} ({jax.default_backend()})')
  print('| layer | impl | fwd (s) | fwd GFLOP/s (direct-equivalent) | '
        'fwd+dx+dw (s) |')
  print('|---|---|---|---|---|')
  for name in _LAYERS.value:
    shape, out = LAYERS[name]
    x = jax.random.normal(jax.random.key(0), shape)
    w = jax.random.normal(jax.random.key(1), (5, 3, 3, shape[-1], out)) * 0.1
    flops = 2 * np.prod(shape[:4]) * 45 * shape[-1] * out
    for impl in _IMPLS.value:
      fwd = jax.jit(lambda a, b, impl=impl: conv.conv3d(a, b, impl=impl))
      both = jax.jit(jax.grad(
          lambda a, b, impl=impl: jnp.sum(conv.conv3d(a, b, impl=impl) ** 2),
          argnums=(0, 1)))
      t_fwd = timing.median_time(fwd, x, w, runs=_RUNS.value)
      t_all = timing.median_time(both, x, w, runs=_RUNS.value)
      print(f'| {name} | {conv.resolve_impl(impl, w.shape)} | {t_fwd:.3f} | '
            f'{flops / t_fwd / 1e9:.1f} | {t_all:.3f} |', flush=True)


if __name__ == '__main__':
  app.run(main)
