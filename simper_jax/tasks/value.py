"""A plain value that is not a rate (e.g. a temperature in kelvin).

Its target cannot be read off a spectrum: only the linear probe applies.
"""

from __future__ import annotations

from simper_jax.tasks import base


class Value(base.RateTask):
  """A value in ``unit`` (e.g. ``'K'``), read by the linear probe only."""

  name = 'value'
  readouts = ('linear_probe',)

  def __init__(self, unit: str, quantity: str):
    self.unit = unit
    self.quantity = quantity

  def per_hz(self, length: int, fps: float) -> None:
    del length, fps
    return None
