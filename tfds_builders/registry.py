"""The datasets ``data.name`` can select: one line per dataset plug-in.

A new dataset is a builder folder with an ``adapter.py`` defining a
``common.Dataset``, plus its line here (see docs/extending.md).
"""

from __future__ import annotations

from tfds_builders import common
from tfds_builders.countix import adapter as countix
from tfds_builders.lst import adapter as lst
from tfds_builders.pure import adapter as pure
from tfds_builders.rotating_digits import adapter as rotating_digits
from tfds_builders.scamps import adapter as scamps
from tfds_builders.time_series import adapter as time_series
from tfds_builders.ubfc_rppg import adapter as ubfc_rppg
from tfds_builders.video_folder import adapter as video_folder

DATASETS: dict[str, common.Dataset] = {d.name: d for d in (
    rotating_digits.DATASET,
    scamps.DATASET,
    ubfc_rppg.DATASET,
    pure.DATASET,
    countix.DATASET,
    lst.DATASET,
    time_series.DATASET,
    video_folder.DATASET,
)}


def get(name: str) -> common.Dataset:
  """The plug-in registered as ``name``, or a ValueError listing them."""
  if name not in DATASETS:
    raise ValueError(f'unknown dataset {name!r} (data.name); choose one of '
                     f'{sorted(DATASETS)}.')
  return DATASETS[name]
