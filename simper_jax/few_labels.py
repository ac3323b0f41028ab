"""How many labelled files does a readout need? The label-budget study.

Pretraining uses no label, so one trained encoder per seed serves every
budget: its frozen features (``eval/features.npz``) are read out with the
labels of ``k`` training files only (``k`` in ``--counts``; a file's
windows are all labelled or none; datasets without files count clips), and
scored on every labelled test clip. ``k = 0`` is the label-free FFT
readout, with the share of test clips whose raw FFT reading is within 5%
of the truth or of a harmonic of it (``m f`` or ``f / m``, ``m <= 4``):
the readout may lock onto a harmonic, and one label is enough to fix its
scale.
"""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np

from simper_jax import datasets
from simper_jax import paths
from simper_jax import tasks
from simper_jax.evaluation import readouts

COUNTS = (1, 2, 5, 10, 20)
HARMONICS = (1, 2, 3, 4)


def harmonic_hits(pred: np.ndarray, true: np.ndarray, tol: float = 0.05
                  ) -> float:
  """Share of ``pred`` within ``tol`` (relative) of ``m * true`` or
  ``true / m`` for some ``m`` in ``HARMONICS``."""
  pred, true = np.asarray(pred, float), np.asarray(true, float)
  hit = np.zeros(pred.shape, bool)
  for m in HARMONICS:
    for target in (m * true, true / m):
      hit |= np.abs(pred - target) <= tol * np.abs(target)
  return float(np.mean(hit)) if hit.size else float('nan')


def curve(npz: str, config, *, counts: Sequence[int] = COUNTS, seed: int = 0
          ) -> dict[str, Any]:
  """Test MAE of each readout against the number of labelled train files.

  Args:
    npz: an evaluation's ``features.npz``.
    config: the run's config (task, rate, band, probe settings, splits).
    counts: labelled training files per point.
    seed: which files are labelled (a seeded draw per count).

  Returns:
    ``{'points': {k: {readout: mae}}, 'num_files': n, 'zero_label':
    {'fft_mae', 'harmonic_hits'}}``; counts above the number of labelled
    training files are skipped.
  """
  data = np.load(io.BytesIO(paths.read_bytes(npz)))
  plugin = datasets.plugin(config.data)
  task = tasks.get(config.data.target_unit)
  train, test = config.data.train_split, config.data.eval_splits[-1]
  ev = config.eval

  def split(name):
    f, y = data[f'{name}_features'], data[f'{name}_{plugin.target}']
    g = (data[f'{name}_{plugin.group}'] if plugin.group and
         f'{name}_{plugin.group}' in data else np.arange(len(y)).astype(str))
    keep = np.isfinite(y)
    return f[keep], y[keep], g[keep]

  f_tr, y_tr, g_tr = split(train)
  f_te, y_te, _ = split(test)
  files = np.unique(g_tr)
  out = {'points': {}, 'num_files': int(len(files)),
         'num_test_clips': int(len(y_te))}
  kw = dict(fps=config.data.fps, band=tuple(ev.band), folds=ev.probe_folds,
            alphas=ev.probe_alphas, seed=seed, length=f_tr.shape[1])
  none = readouts.fit(f_tr[:0], y_tr[:0], task, **kw)
  zero = none.predict(f_te, task)
  if 'fft' in zero:
    out['zero_label'] = {
        'fft_mae': float(np.mean(np.abs(zero['fft'] - y_te))),
        'harmonic_hits': harmonic_hits(zero['fft'], y_te)}
  rng = np.random.default_rng(seed)
  for k in counts:
    if k > len(files):
      continue
    chosen = rng.choice(files, size=k, replace=False)
    m = np.isin(g_tr, chosen)
    fitted = readouts.fit(f_tr[m], y_tr[m], task, groups=g_tr[m], **kw)
    preds = fitted.predict(f_te, task)
    out['points'][int(k)] = {r: float(np.mean(np.abs(p - y_te)))
                             for r, p in preds.items()}
  return out


def report(results: dict[int, dict[str, Any]], config, path: str) -> str:
  """A Markdown table (mean [min, max] over seeds) and ``labels.png``."""
  task = tasks.get(config.data.target_unit)
  counts = sorted({k for r in results.values() for k in r['points']})
  names = [r for r in ('fft_scaled', 'linear_probe')
           if any(r in p for res in results.values()
                  for p in res['points'].values())]
  lines = [f'| labelled train files | ' + ' | '.join(
      f'{r} MAE ({task.unit})' for r in names) + ' |',
           '|---|' + '---|' * len(names)]
  curves = {r: [] for r in names}
  for k in counts:
    cells = []
    for r in names:
      vals = [res['points'][k][r] for res in results.values()
              if k in res['points'] and r in res['points'][k]]
      curves[r].append((k, vals))
      cells.append(f'{np.mean(vals):.3f} [{np.min(vals):.3f}, '
                   f'{np.max(vals):.3f}]' if vals else '-')
    lines.append(f'| {k} | ' + ' | '.join(cells) + ' |')
  zero = [res['zero_label'] for res in results.values()
          if 'zero_label' in res]
  if zero:
    lines.append('')
    lines.append(
        f'No label (raw FFT readout): MAE {np.mean([z["fft_mae"] for z in zero]):.3f} '
        f'{task.unit}; share of test clips within 5% of the truth or a '
        f'harmonic of it: {np.mean([z["harmonic_hits"] for z in zero]):.3f}'
        f' (per seed: {[round(z["harmonic_hits"], 3) for z in zero]}).')
  text = '\n'.join(lines) + '\n'
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
  fig = Figure(figsize=(5.5, 4))
  ax = fig.subplots()
  for r, pts in curves.items():
    pts = [(k, v) for k, v in pts if v]
    if pts:
      ks = np.array([k for k, _ in pts])
      mean = np.array([np.mean(v) for _, v in pts])
      lo = np.array([np.min(v) for _, v in pts])
      hi = np.array([np.max(v) for _, v in pts])
      ax.errorbar(ks, mean, yerr=[mean - lo, hi - mean], marker='o',
                  capsize=3, label=r)
  ax.set(xscale='log', yscale='log', xlabel='labelled training files',
         ylabel=f'test MAE ({task.unit})', title=config.data.name)
  ax.legend()
  fig.tight_layout()
  paths.save_figure(fig, paths.join(path, 'labels.png'), dpi=100)
  return text
