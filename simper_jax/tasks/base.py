"""The task-kind interface: what a kind of target means to evaluation.

A task kind (a frequency in Hz, a heart rate in bpm, a repetition count, a
plain value such as a temperature) owns its unit, the readouts that apply,
its extra metrics, and its labels in tables and figures. Training,
evaluation, the table, the figure and ``main`` only call this interface;
they never test a unit string. A new kind is one module with a class like
those in this package, plus its line in ``simper_jax.tasks.TASKS``.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence

import numpy as np

# Scored for every readout of every task (simper_jax.evaluation.scores).
BASE_METRICS = ('mae', 'mape', 'rmse', 'pearson')


class Task(Protocol):
  """What evaluation asks of a kind of target.

  Attributes:
    name: the kind, e.g. ``'frequency'``.
    unit: the targets' unit as shown, e.g. ``'Hz'``.
    quantity: what the target is, for axis labels, e.g. ``'frequency'``.
    readouts: the readouts scored, in table order; among ``fft``,
      ``fft_scaled`` (need :meth:`per_hz`), ``linear_probe`` and the names
      :meth:`extra_predictions` returns.
    metrics: the per-readout metrics shown in tables: ``BASE_METRICS`` plus
      the names :meth:`readout_scores` adds.
  """

  name: str
  unit: str
  quantity: str
  readouts: tuple[str, ...]
  metrics: tuple[str, ...]

  def per_hz(self, length: int, fps: float) -> float | None:
    """Target units per Hz of the feature's frequency, or None.

    The FFT readouts read a frequency in Hz off the feature series; this
    factor turns it into the target (1 for Hz, 60 for bpm, the series'
    duration for a count of cycles). None: the target is not a rate, and
    only the probe applies.

    Args:
      length: frames per series.
      fps: frames per second.
    """

  def extra_predictions(self, feats: np.ndarray, fps: float,
                        band: Sequence[float]) -> dict[str, np.ndarray]:
    """Task-specific training-free readouts: name -> ``[N]`` predictions.

    Args:
      feats: ``[N, L]`` feature series of one split.
      fps, band: their frame rate and the readout band (Hz).
    """

  def readout_scores(self, pred: np.ndarray, true: np.ndarray
                     ) -> dict[str, float]:
    """Metrics added to every readout's ``BASE_METRICS`` (``[N]`` arrays)."""

  def split_scores(self, preds: Mapping[str, np.ndarray], true: np.ndarray,
                   feats: np.ndarray, fps: float, band: Sequence[float]
                   ) -> dict[str, Any]:
    """Split-level blocks added to ``metrics[split]`` (e.g. ``'rppg'``)."""

  def metric_unit(self, metric: str) -> str:
    """The unit of ``metric`` in tables (``''`` for unitless ones)."""


class RateTask:
  """Defaults for the kinds whose target is a rate (no extra readouts or
  metrics); subclasses set ``name``, ``unit``, ``quantity`` and
  :meth:`per_hz`."""

  name = ''
  unit = ''
  quantity = ''
  readouts = ('fft', 'fft_scaled', 'linear_probe')
  metrics = BASE_METRICS

  def per_hz(self, length: int, fps: float) -> float | None:
    raise NotImplementedError

  def extra_predictions(self, feats, fps, band) -> dict[str, np.ndarray]:
    del feats, fps, band
    return {}

  def readout_scores(self, pred, true) -> dict[str, float]:
    del pred, true
    return {}

  def split_scores(self, preds, true, feats, fps, band) -> dict[str, Any]:
    del preds, true, feats, fps, band
    return {}

  def metric_unit(self, metric: str) -> str:
    return {'mape': '%', 'mae': self.unit, 'rmse': self.unit}.get(metric, '')
