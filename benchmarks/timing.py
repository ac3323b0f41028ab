"""Median wall time of a jitted call after warm-up (shared by benchmarks)."""

import time

import jax
import numpy as np


def median_time(fn, *args, runs: int) -> float:
  """Calls ``fn(*args)`` once to compile; returns the median of ``runs``."""
  jax.block_until_ready(fn(*args))
  times = []
  for _ in range(runs):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return float(np.median(times))
