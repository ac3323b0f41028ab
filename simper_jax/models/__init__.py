"""Flax NNX encoders, chosen from a config's ``model`` section."""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections
from flax import nnx

from simper_jax.models import cnn3d

_DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16,
           'float16': jnp.float16}


def create(cfg: ml_collections.ConfigDict, *, in_channels: int,
           rngs: nnx.Rngs) -> nnx.Module:
  """The encoder named by ``cfg.name`` (``[N, T, H, W, C]`` -> ``[N, T]``)."""
  if cfg.dtype not in _DTYPES:
    raise ValueError(f'model.dtype={cfg.dtype!r}; choose one of '
                     f'{sorted(_DTYPES)}.')
  if cfg.name == 'cnn3d':
    return cnn3d.CNN3D(in_channels=in_channels, channels=tuple(cfg.channels),
                       kernel_size=tuple(cfg.kernel_size),
                       conv_impl=cfg.conv_impl, dtype=_DTYPES[cfg.dtype],
                       bn_momentum=cfg.bn_momentum, rngs=rngs)
  raise ValueError(f'unknown model.name {cfg.name!r}; choose one of '
                   "['cnn3d'].")
