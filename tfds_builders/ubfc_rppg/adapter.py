"""ubfc_rppg as a dataset plug-in (``tfds_builders.registry``)."""

from __future__ import annotations

from tfds_builders import rppg_adapter
from tfds_builders.ubfc_rppg.ubfc_rppg_dataset_builder import Builder

DATASET = rppg_adapter.dataset('ubfc_rppg', Builder)
