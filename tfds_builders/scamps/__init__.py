"""SCAMPS TFDS builder (synthetic avatar videos with PPG; manual download)."""

from __future__ import annotations

from tfds_builders.scamps.scamps_dataset_builder import (
    FPS,
    Builder,
    assign_splits,
    find_videos,
    read_mat,
)

__all__ = ['Builder', 'FPS', 'assign_splits', 'find_videos', 'read_mat']
