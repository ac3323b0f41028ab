"""Land-surface temperature as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import common
from tfds_builders.lst.lst_dataset_builder import Builder

# Options other than the defaults give a self-describing config name (e.g.
# ``default_w24_p8``), so each pre-processing has its own data folder.
_SHORT = {'window_hours': 'w', 'patch': 'p', 'horizon_hours': 'h',
          'stride_hours': 's', 'centres': 'c', 'test_fraction': 'f',
          'split_time': 't', 'min_valid_fraction': 'v'}


def _convert(key, value):
  if key == 'centres':
    return tuple(tuple(int(v) for v in x) for x in (value or ()))
  return value


def make_builder(cfg, data_dir):
  return common.configured_builder(Builder, Builder.BUILDER_CONFIGS[0], cfg,
                                   data_dir, _SHORT, convert=_convert)


# The clip is a window of patches [T, P, P, 2] (kelvin, validity); the
# target the centre pixel's LST horizon_hours after it.
DATASET = common.Dataset(name='lst', make_builder=make_builder,
                         clip='patches', target='lst', options=tuple(_SHORT))
