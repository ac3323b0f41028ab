"""Test series shared by the evaluation tests: sines at a known frequency."""

from __future__ import annotations

import warnings

import numpy as np

FPS = 30.0
L = 150


def sines(freqs, phases, noise=0.0, seed=0, length=L, fps=FPS):
  """``[N, length]`` sines of ``freqs`` (Hz) plus seeded Gaussian noise."""
  t = np.arange(length) / fps
  rng = np.random.default_rng(seed)
  x = np.sin(2 * np.pi * np.asarray(freqs)[:, None] * t[None] +
             np.asarray(phases)[:, None])
  return x + noise * rng.normal(size=x.shape)


def no_warnings(fn, *args, **kwargs):
  """``fn(*args, **kwargs)`` with every warning turned into an error."""
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    return fn(*args, **kwargs)
