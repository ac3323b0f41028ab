"""pure as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import rppg_adapter
from tfds_builders.pure.pure_dataset_builder import Builder

DATASET = rppg_adapter.dataset('pure', Builder)
