"""The evaluation figure: embedding, predicted vs true, feature spectra."""

from __future__ import annotations

import numpy as np
from sklearn import decomposition

from simper_jax import paths
from simper_jax.evaluation import spectra
from simper_jax.tasks import base as task_base


def pca_2d(x) -> np.ndarray:
  """Scores ``[N, 2]`` on the top-2 principal components of ``x`` ``[N, D]``
  (scikit-learn's PCA, whose signs are deterministic); columns beyond the
  data's rank are zero."""
  x = np.asarray(x, dtype=np.float64)
  if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
    raise ValueError(f'pca_2d: x must be [N, D] with N, D >= 1, got shape '
                     f'{x.shape}.')
  out = np.zeros((x.shape[0], 2))
  k = min(2, *x.shape)
  # Constant data (rank 0, e.g. an untrained encoder's flat features) has
  # no component; PCA would divide by its zero total variance.
  if x.shape[0] >= 2 and np.ptp(x, axis=0).any():
    out[:, :k] = decomposition.PCA(n_components=k).fit_transform(x)
  return out


def plot(path: str, feats: np.ndarray, y: np.ndarray,
         preds: dict[str, np.ndarray], task: task_base.Task, *, fps: float,
         band, num_spectra: int, title: str) -> None:
  """Writes a PNG of three panels.

  A 2-D embedding of the features coloured by the target (PCA of their
  unit-sum power spectra, which are phase-invariant; cf. the paper's
  Figure 1), predicted vs true for the probe and the scaled FFT readout,
  and a few feature spectra (dotted: twice the target's frequency, where a
  learned feature often locks, when the target is a rate).

  Args:
    path: the PNG to write.
    feats: ``[N, L]`` feature series; y: ``[N]`` targets.
    preds: readout -> ``[N]`` predictions.
    task: the task kind (labels, units, the target's frequency).
    fps, band: frame rate and the spectra's band (Hz).
    num_spectra: how many spectra to draw.
    title: the figure's title.
  """
  # A bare Figure (no pyplot) leaves the caller's backend alone, e.g. a
  # notebook's inline plots.
  from matplotlib import colormaps  # pylint: disable=g-import-not-at-top
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top

  label = f'{task.quantity} ({task.unit})'
  freqs, power = spectra.band_spectrum(feats, fps, band, normalize=False)
  _, unit_sum = spectra.band_spectrum(feats, fps, band)
  emb = pca_2d(unit_sum)
  fig = Figure(figsize=(16, 4.8))
  axes = fig.subplots(1, 3)
  sc = axes[0].scatter(emb[:, 0], emb[:, 1], c=y, s=6, cmap='viridis')
  fig.colorbar(sc, ax=axes[0], label=f'true {label}')
  axes[0].set(title='features: PCA of power spectra', xlabel='PC 1',
              ylabel='PC 2')
  lo, hi = float(np.min(y)), float(np.max(y))
  for name, marker in (('linear_probe', 'x'), ('fft_scaled', 'o')):
    if name in preds:
      axes[1].scatter(y, preds[name], s=4, marker=marker, alpha=0.4,
                      label=name)
  axes[1].plot([lo, hi], [lo, hi], 'k--', lw=1)
  axes[1].set(title='predicted vs true', xlabel=f'true {label}',
              ylabel=f'predicted {label}')
  axes[1].legend()
  per_hz = task.per_hz(feats.shape[1], fps)
  pick = np.argsort(y)[np.linspace(0, len(y) - 1, num_spectra).astype(int)]
  cmap = colormaps['viridis']
  for i in pick:
    c = cmap((y[i] - lo) / max(hi - lo, 1e-9))
    p = power[i]
    axes[2].plot(freqs, p / max(p.max(), 1e-30), color=c, lw=1,
                 label=f'{y[i]:.3g} {task.unit}')
    if per_hz:
      axes[2].axvline(2 * y[i] / per_hz, color=c, ls=':', lw=0.8)
  guide = ' (dotted: 2x the target frequency)' if per_hz else ''
  axes[2].set(title=f'feature spectra{guide}',
              xlabel='feature frequency (Hz)', ylabel='power (max = 1)')
  axes[2].legend(fontsize=7)
  fig.suptitle(title)
  fig.tight_layout()
  paths.save_figure(fig, path, dpi=110)


def plot_recording(path: str, feats: np.ndarray, starts_s: np.ndarray,
                   preds: dict[str, np.ndarray], task: task_base.Task, *,
                   fps: float, band, title: str) -> None:
  """Writes a PNG of one recording's windows (``simper_jax.predict``).

  Three panels: the feature series of every window at its time (windows
  overlap when the hop is shorter than a window), the spectrogram (each
  window's unit-sum in-band power spectrum, time on x), and each readout
  over time (at the windows' centres).

  Args:
    path: the PNG to write.
    feats: ``[N, L]`` the windows' feature series.
    starts_s: ``[N]`` their start times in seconds.
    preds: readout -> ``[N]`` values in the task's unit.
    task: the task kind (labels, unit).
    fps, band: the series' rate and the spectra's band (Hz).
    title: the figure's title.
  """
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top

  n, length = feats.shape
  t = np.arange(length) / fps
  fig = Figure(figsize=(16, 4.4))
  axes = fig.subplots(1, 3)
  for start, f in zip(starts_s, feats):
    sd = f.std()
    axes[0].plot(start + t, (f - f.mean()) / (sd if sd > 0 else 1.0), lw=0.8,
                 alpha=0.7 if n > 1 else 1.0)
  axes[0].set(title='feature series (standardized per window)',
              xlabel='time (s)', ylabel='feature')
  freqs, spec = spectra.band_spectrum(feats, fps, band)
  centres = starts_s + length / fps / 2
  half = (centres[1] - centres[0]) / 2 if n > 1 else length / fps / 2
  axes[1].imshow(spec.T, aspect='auto', origin='lower', cmap='magma',
                 extent=(centres[0] - half, centres[-1] + half, freqs[0],
                         freqs[-1]))
  axes[1].set(title='spectrogram of the feature', xlabel='time (s)',
              ylabel='feature frequency (Hz)')
  for name, values in preds.items():
    axes[2].plot(centres, values, marker='o', ms=3, label=name)
  axes[2].set(title=f'{task.quantity} over time', xlabel='time (s)',
              ylabel=f'{task.quantity} ({task.unit})')
  if preds:
    axes[2].legend(fontsize=8)
  fig.suptitle(title)
  fig.tight_layout()
  paths.save_figure(fig, path, dpi=100)
