"""scamps as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import rppg_adapter
from tfds_builders.scamps.scamps_dataset_builder import Builder

DATASET = rppg_adapter.dataset('scamps', Builder)
