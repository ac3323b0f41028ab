"""PURE TFDS builder (face videos with PPG; manual download)."""

from __future__ import annotations

from tfds_builders.pure.pure_dataset_builder import (
    TEST_SUBJECTS,
    Builder,
    align,
    read_waveform,
)

__all__ = ['Builder', 'TEST_SUBJECTS', 'align', 'read_waveform']
