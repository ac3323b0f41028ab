"""Countix TFDS builder (repetition counting; manual download) and its
synthetic stand-in."""

from __future__ import annotations

from tfds_builders.countix.countix_dataset_builder import (
    Builder,
    CountixConfig,
    read_annotations,
    read_segment,
    synthetic_clip,
)

__all__ = ['Builder', 'CountixConfig', 'read_annotations', 'read_segment',
           'synthetic_clip']
