"""A frequency in Hz (rotation frequency, any oscillation's rate)."""

from __future__ import annotations

from simper_jax.tasks import base


class Frequency(base.RateTask):
  """The target is the frequency itself: the FFT readout needs no factor."""

  name = 'frequency'
  unit = 'Hz'
  quantity = 'frequency'

  def per_hz(self, length: int, fps: float) -> float:
    del length, fps
    return 1.0


TASK = Frequency()
