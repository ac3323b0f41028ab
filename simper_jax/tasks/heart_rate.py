"""A heart rate in beats per minute (rPPG: face video to pulse).

The FFT readouts are converted to bpm; ``hr_fft`` is added: the
rPPG-Toolbox heart rate of each feature series (detrend, band-pass,
periodogram; ``tfds_builders.signals.hr_fft``, the recipe the builders'
labels use), with ``metrics[split]['rppg']``: its MAE, RMSE, MAPE, Pearson
r and SNR with the toolbox's standard errors (``simper_jax.physiology``).
"""

from __future__ import annotations

import numpy as np

from simper_jax import physiology
from simper_jax.tasks import base
from tfds_builders import signals


class HeartRate(base.RateTask):
  """Heart rate in bpm, with the rPPG-Toolbox readout and metrics."""

  name = 'heart_rate'
  unit = 'bpm'
  quantity = 'heart rate'
  readouts = ('fft', 'fft_scaled', 'linear_probe', 'hr_fft')

  def per_hz(self, length: int, fps: float) -> float:
    del length, fps
    return 60.0

  def extra_predictions(self, feats, fps, band) -> dict[str, np.ndarray]:
    return {'hr_fft': np.array([signals.hr_fft(x, fps, tuple(band))
                                for x in feats])}

  def split_scores(self, preds, true, feats, fps, band):
    if len(true) < 2:  # the toolbox's errors need two windows
      return {}
    try:
      snr = [physiology.snr_db(x, y, fps, tuple(band))
             for x, y in zip(feats, true)]
      note = None
    except ValueError as e:  # e.g. windows too short to separate bins
      snr, note = None, f'SNR not computed: {e}'
    rppg = physiology.hr_metrics(preds['hr_fft'], true, snr=snr)
    if note:
      rppg['note'] = note
    return {'rppg': rppg}


TASK = HeartRate()
