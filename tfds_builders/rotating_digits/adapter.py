"""RotatingDigits as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import common
from tfds_builders.rotating_digits.rotating_digits_dataset_builder import (
    Builder)

# Builder options a ``data`` section may set, and their tags in the name of
# a custom config (e.g. ``mnist_offline_tr2_te4_t48``).
_SHORT = {'train_per_class': 'tr', 'test_per_class': 'te',
          'num_frames': 't', 'fps': 'fps'}


def make_builder(cfg, data_dir):
  """``data.source`` (``mnist_offline``, ``mnist``) and the sizes."""
  base = common.named_config(
      Builder, common.option(cfg, 'source', Builder.BUILDER_CONFIGS[0].name))
  return common.configured_builder(
      Builder, base, cfg, data_dir, _SHORT,
      convert=lambda k, v: float(v) if k == 'fps' else int(v))


DATASET = common.Dataset(name='rotating_digits', make_builder=make_builder,
                         clip='video', target='frequency',
                         options=('source', *_SHORT))
