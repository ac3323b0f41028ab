"""PURE TFDS builder (face videos with PPG; manual download)."""

from __future__ import annotations

from tfds_builders.pure.pure_dataset_builder import (
    GAP_FACTOR,
    TEST_SUBJECTS,
    Builder,
    align,
    frame_segments,
    in_holes,
    ppg_holes,
    read_waveform,
)

__all__ = ['Builder', 'GAP_FACTOR', 'TEST_SUBJECTS', 'align',
           'frame_segments', 'in_holes', 'ppg_holes', 'read_waveform']
