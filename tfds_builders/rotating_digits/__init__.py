"""RotatingDigits TFDS builder (SimPer's synthetic periodic videos)."""

from __future__ import annotations

from tfds_builders.rotating_digits.rotating_digits_dataset_builder import (
    Builder,
    RotatingDigitsConfig,
    clip_angles,
    rotate_frames,
)

__all__ = ['Builder', 'RotatingDigitsConfig', 'clip_angles', 'rotate_frames']
