"""UBFC-rPPG TFDS builder (face videos with PPG; manual download)."""

from __future__ import annotations

from tfds_builders.ubfc_rppg.ubfc_rppg_dataset_builder import (
    TEST_SUBJECTS,
    Builder,
    read_ground_truth,
    read_video,
)

__all__ = ['Builder', 'TEST_SUBJECTS', 'read_ground_truth', 'read_video']
