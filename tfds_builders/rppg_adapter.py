"""The heart-rate datasets (SCAMPS, UBFC-rPPG, PURE) as plug-ins."""

from __future__ import annotations

from tfds_builders import common

# ``data.image_size`` and ``data.chunk_length`` other than the defaults
# (72, 180) give a self-describing config, e.g. ``default_s36_t90``.
_SHORT = {'image_size': 's', 'chunk_length': 't'}


def dataset(name: str, builder_cls) -> common.Dataset:
  """The plug-in of the heart-rate builder ``builder_cls``."""

  def make_builder(cfg, data_dir):
    return common.configured_builder(
        builder_cls, builder_cls.BUILDER_CONFIGS[0], cfg, data_dir, _SHORT,
        convert=lambda k, v: int(v))

  return common.Dataset(name=name, make_builder=make_builder, clip='video',
                        target='heart_rate', options=tuple(_SHORT))
