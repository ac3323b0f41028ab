"""Countix as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import common
from tfds_builders.countix.countix_dataset_builder import Builder

_SHORT = {'num_frames': 't', 'image_size': 's'}
_SYNTHETIC_SHORT = {**_SHORT, 'num_train': 'tr', 'num_test': 'te',
                    'count_range': 'c'}


def make_builder(cfg, data_dir):
  """``data.source``: ``default`` (the user's clips) or ``synthetic``; sizes
  (and, for ``synthetic``, split sizes and counts) other than the config's
  defaults give a self-describing name (e.g. ``synthetic_t32_s16``)."""
  base = common.named_config(Builder, common.option(cfg, 'source',
                                                    'default'))
  return common.configured_builder(
      Builder, base, cfg, data_dir,
      _SYNTHETIC_SHORT if base.synthetic else _SHORT,
      convert=lambda k, v: tuple(int(x) for x in v) if k == 'count_range'
      else int(v))


DATASET = common.Dataset(name='countix', make_builder=make_builder,
                         clip='video', target='count',
                         options=('source', *_SYNTHETIC_SHORT))
