"""Synthetic periodic clips with a known frequency, for demos and tests.

A bright Gaussian spot circles the frame centre at ``f`` revolutions per
second, so every pixel's intensity is periodic with frequency ``f``.
"""

from __future__ import annotations

import numpy as np


def periodic_clips(seed: int, num_clips: int, *, num_frames: int = 150,
                   size: int = 16, channels: int = 1, fps: float = 30.0,
                   freq_range: tuple[float, float] = (0.5, 3.0)
                   ) -> tuple[np.ndarray, np.ndarray]:
  """Clips of a spot circling at a random frequency.

  Args:
    seed: NumPy seed (deterministic output).
    num_clips: number of clips.
    num_frames: frames per clip.
    size: frame height and width in pixels.
    channels: 1 (grayscale) or 3 (RGB, a random colour per clip).
    fps: frame rate in Hz.
    freq_range: frequencies are drawn uniformly from it, in Hz.

  Returns:
    ``clips`` uint8 ``[num_clips, num_frames, size, size, channels]`` and
    ``freqs`` float32 ``[num_clips]`` in Hz.
  """
  if channels not in (1, 3):
    raise ValueError(f'periodic_clips: channels must be 1 or 3, got '
                     f'{channels}.')
  rng = np.random.default_rng(seed)
  freqs = rng.uniform(*freq_range, size=num_clips).astype(np.float32)
  phases = rng.uniform(0, 2 * np.pi, size=num_clips)
  t = np.arange(num_frames) / fps
  angle = 2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]
  radius, width = size / 4, size / 8
  cy = size / 2 + radius * np.sin(angle)  # [N, T]
  cx = size / 2 + radius * np.cos(angle)
  grid = np.arange(size) + 0.5
  dist2 = ((grid[None, None, :, None] - cy[..., None, None]) ** 2 +
           (grid[None, None, None, :] - cx[..., None, None]) ** 2)
  spot = np.exp(-dist2 / (2 * width ** 2))  # [N, T, H, W]
  colour = (rng.uniform(0.5, 1.0, size=(num_clips, channels))
            if channels == 3 else np.ones((num_clips, 1)))
  clips = 0.1 + 0.85 * spot[..., None] * colour[:, None, None, None, :]
  return (np.round(clips * 255).astype(np.uint8), freqs)
