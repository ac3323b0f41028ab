"""Flax NNX encoders, chosen from a config's ``model`` section.

Every encoder maps clips ``[N, T, H, W, C]`` to one value per frame,
``[N, T]``. ``MODELS`` maps ``model.name`` to a factory ``(model section,
in_channels, dtype, rngs) -> module``; a new encoder is its module plus one
line there.
"""

from __future__ import annotations

from typing import Callable

import jax.numpy as jnp
import ml_collections
from flax import nnx

from simper_jax.models import cnn3d
from simper_jax.models import r3d
from simper_jax.models import tcn1d
from simper_jax.models import tscan

_DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16,
           'float16': jnp.float16}


def _cnn3d(cfg, in_channels, dtype, rngs):
  return cnn3d.CNN3D(in_channels=in_channels, channels=tuple(cfg.channels),
                     kernel_size=tuple(cfg.kernel_size),
                     conv_impl=cfg.conv_impl, dtype=dtype,
                     bn_momentum=cfg.bn_momentum, rngs=rngs)


def _tscan(cfg, in_channels, dtype, rngs):
  # Fields absent from a config take TS-CAN's defaults (paper widths 32/64,
  # dense 128, shift segments of 10 frames, spatial-mean head, no dropout).
  # frame_depth 0 or None shifts over the whole clip.
  return tscan.TSCAN(
      in_channels=in_channels, channels=tuple(cfg.get('channels', (32, 64))),
      dense=cfg.get('dense', 128),
      frame_depth=cfg.get('frame_depth', 10) or None,
      image_size=cfg.get('image_size', None),
      dropout=cfg.get('dropout', 0.0),
      dense_dropout=cfg.get('dense_dropout', None), dtype=dtype, rngs=rngs)


def _r3d18(cfg, in_channels, dtype, rngs):
  # Absent fields take R3D-18's defaults (widths 64/128/256/512, two blocks
  # per stage, 3x7x7 stem); no temporal striding (see r3d.py).
  return r3d.R3D18(
      in_channels=in_channels,
      widths=tuple(cfg.get('widths', None) or r3d.DEFAULT_WIDTHS),
      blocks_per_stage=tuple(cfg.get('blocks_per_stage', None)
                             or r3d.DEFAULT_BLOCKS),
      stem_kernel=tuple(cfg.get('stem_kernel', None) or (3, 7, 7)),
      conv_impl=cfg.get('conv_impl', 'auto'), dtype=dtype,
      bn_momentum=cfg.get('bn_momentum', 0.9), rngs=rngs)


MODELS: dict[str, Callable[..., nnx.Module]] = {
    'cnn3d': _cnn3d,
    'tscan': _tscan,
    'r3d18': _r3d18,
    'tcn1d': tcn1d.from_config,
}


def create(cfg: ml_collections.ConfigDict, *, in_channels: int,
           rngs: nnx.Rngs) -> nnx.Module:
  """The encoder named by ``cfg.name`` (``[N, T, H, W, C]`` -> ``[N, T]``)."""
  dtype = cfg.get('dtype', 'float32')
  if dtype not in _DTYPES:
    raise ValueError(f'model.dtype={dtype!r}; choose one of '
                     f'{sorted(_DTYPES)}.')
  if cfg.name not in MODELS:
    raise ValueError(f'unknown model.name {cfg.name!r}; choose one of '
                     f'{sorted(MODELS)}.')
  return MODELS[cfg.name](cfg, in_channels, _DTYPES[dtype], rngs)
