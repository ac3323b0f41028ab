"""Frozen-encoder evaluation: features -> readouts -> metrics.json + figure.

For each evaluation split the encoder (inference mode, jitted and sharded
over the mesh) maps every full clip to its feature series. Then:

- ``fft``: the peak frequency of the series' power spectrum (no training);
- ``fft_scaled``: the same times ONE factor fitted on the training split
  (a learned feature often runs at a harmonic, e.g. exactly ``2f`` on
  RotatingDigits; SPEC.md "Harmonic lock");
- ``linear_probe``: ridge regression on the series, its normalized power
  spectrum, or both; the input and the regularization are chosen by
  cross-validation on the training split only.

Each is scored with MAE, MAPE (%), RMSE and Pearson r, written as
``OUT/metrics.json`` mapping split -> readout -> metric, with the features in
``OUT/features.npz`` and a PNG figure.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import nnx

from simper_jax import augment
from simper_jax import input_pipeline
from simper_jax import metrics as metrics_lib
from simper_jax import partitioning
from simper_jax import physiology
from simper_jax import writers

_log = writers.log


READOUTS = ('fft', 'fft_scaled', 'linear_probe', 'hr_fft')
METRICS = ('mae', 'mape', 'rmse', 'pearson')


def make_feature_fn(model: nnx.Module, mesh, out_size):
  """A jitted ``uint8 clips [B, T, H, W, C] -> features [B, T]`` of the
  frozen ``model`` (BatchNorm in inference mode), sharded over ``mesh``."""
  model.eval()
  graphdef, state = nnx.split(model)
  state = partitioning.replicate(state, mesh)

  @jax.jit
  def features(state, clips):
    x = clips.astype(jnp.float32)
    if jnp.issubdtype(clips.dtype, jnp.integer):
      x = x / 255.0
    x = augment.resize_frames(x, out_size)
    return nnx.merge(graphdef, state)(x)

  return lambda clips: features(state, clips)


def extract_features(feature_fn, source, *, mesh, batch_size: int,
                     target: str, video_key: str = 'video',
                     normalize: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
  """Features and targets of every example of ``source``, in order.

  Returns:
    ``(features [N, T], targets [N])`` as NumPy, on every process.
  """
  feats, targets = [], []
  n = len(source)
  for batch, valid in input_pipeline.eval_batches(
      source, global_batch_size=batch_size, keys=(video_key, target)):
    glob = partitioning.shard_batch(
        {'clip': input_pipeline.clip_array(batch[video_key], normalize),
         'y': batch[target].astype(np.float32),
         'valid': valid}, mesh)
    out = {'f': feature_fn(glob['clip']), 'y': glob['y'],
           'valid': glob['valid']}
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      out = multihost_utils.process_allgather(out, tiled=True)
    out = jax.device_get(out)
    keep = np.asarray(out['valid'], bool)
    feats.append(np.asarray(out['f'])[keep])
    targets.append(np.asarray(out['y'])[keep])
  feats, targets = np.concatenate(feats), np.concatenate(targets)
  if len(feats) != n:  # padding is masked; anything else is a bug
    raise RuntimeError(f'extracted {len(feats)} feature series for {n} '
                       'examples.')
  if not np.all(np.isfinite(feats)):
    bad = int(np.sum(~np.all(np.isfinite(feats), axis=1)))
    raise FloatingPointError(f'{bad} of {n} feature series are not finite; '
                             'the encoder has diverged.')
  return feats, targets


def readout_metrics(feats: dict[str, np.ndarray], ys: dict[str, np.ndarray],
                    *, fps: float, band, train_split: str, folds: int,
                    alphas, seed: int = 0, unit: str = 'hz'
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
  """Fits the readouts on ``train_split`` and scores every split.

  Args:
    feats: split -> ``[N, T]`` feature series.
    ys: split -> ``[N]`` targets.
    fps, band: frame rate and the band (Hz) of the FFT readout and probe.
    train_split: where the harmonic scale and the probe are fitted.
    folds, alphas: the probe's cross-validation.
    seed: the probe's fold assignment.
    unit: of the targets, ``'hz'``, ``'kelvin'`` (not a rate: the probe
      only), ``'count'`` (repetitions: the FFT
      readouts are cycles per example, and every readout also gets
      ``mae_normalized`` and ``obo``, ``counting.count_metrics``) or
      ``'bpm'`` (heart rate: the FFT
      readouts are converted to bpm, and ``hr_fft`` is added: the
      rPPG-Toolbox heart rate of each series (detrend, band-pass,
      periodogram), with ``metrics[split]['rppg']``: its MAE, RMSE, MAPE,
      Pearson r and SNR with standard errors, ``physiology.hr_metrics``).

  Returns:
    ``(metrics, fitted)``: metrics[split][readout][metric], and the fitted
    readouts (``scale``, ``probe``, ``probe_input``, the CV errors and the
    per-split predictions).
  """
  if train_split not in feats:
    raise ValueError(f'the readouts are fitted on {train_split!r}, which is '
                     f'not among the evaluated splits {sorted(feats)}.')
  if unit not in ('hz', 'bpm', 'count', 'kelvin'):
    raise ValueError(f"data.target_unit must be 'hz', 'bpm', 'count' or "
                     f"'kelvin', got {unit!r}.")
  # Counts: each example spans exactly its repetitions, so the count is the
  # number of cycles in the series = frequency x (frames / fps). A target
  # that is not a rate (LST in kelvin) has no FFT readout: probe only.
  length = feats[train_split].shape[1]
  per_hz = {'hz': 1.0, 'bpm': 60.0, 'count': length / fps}.get(unit)
  if per_hz is not None:
    peaks = {s: per_hz * metrics_lib.fft_peak_frequency(f, fps, band)
             for s, f in feats.items()}
    scale = metrics_lib.fit_scale(peaks[train_split], ys[train_split])
  else:
    scale = float('nan')
  inputs = {s: metrics_lib.probe_features(f, fps, band)
            for s, f in feats.items()}
  length = feats[train_split].shape[1]
  # The probe reads the series, its spectrum, or both: whichever has the
  # lowest cross-validated error on the training split (never the test).
  blocks = {'series': slice(0, length), 'spectrum': slice(length, None),
            'series+spectrum': slice(None)}
  fits = {name: metrics_lib.fit_ridge_cv(
      inputs[train_split][:, cols], ys[train_split],
      alphas=np.asarray(alphas), folds=folds, seed=seed)
          for name, cols in blocks.items()}
  chosen = min(fits, key=lambda name: float(np.min(fits[name].cv_errors)))
  probe = fits[chosen]
  preds, out = {}, {}
  for s in feats:
    preds[s] = {'linear_probe': probe.predict(inputs[s][:, blocks[chosen]])}
    if per_hz is not None:
      preds[s] = {'fft': peaks[s], 'fft_scaled': scale * peaks[s],
                  **preds[s]}
    if unit == 'bpm':
      preds[s]['hr_fft'] = np.array(
          [physiology.hr_fft(x, fps, band) for x in feats[s]])
    out[s] = {r: metrics_lib.regression_metrics(p, ys[s])
              for r, p in preds[s].items()}
    if unit == 'count':  # + normalized MAE and off-by-one accuracy
      from simper_jax import counting  # pylint: disable=g-import-not-at-top
      for r, p in preds[s].items():
        c = counting.count_metrics(p, ys[s])
        out[s][r].update(mae_normalized=c['mae_normalized'], obo=c['obo'])
    if unit == 'bpm' and len(ys[s]) >= 2:
      try:
        snr = [physiology.snr_db(x, y, fps, band)
               for x, y in zip(feats[s], ys[s])]
        note = None
      except ValueError as e:  # e.g. windows too short to separate bins
        snr, note = None, f'SNR not computed: {e}'
      out[s]['rppg'] = physiology.hr_metrics(preds[s]['hr_fft'], ys[s],
                                             snr=snr)
      if note:
        out[s]['rppg']['note'] = note
  fitted = {'scale': scale, 'probe': probe, 'probe_input': chosen,
            'probe_cv_mse': {n: float(np.min(f.cv_errors))
                             for n, f in fits.items()}}
  return out, {**fitted, 'preds': preds}


def eval_sources(builder, config: ml_collections.ConfigDict
                 ) -> dict[str, Any]:
  """The splits to evaluate, as sources: the training split reduced as for
  pretraining (``data.train_fraction``, ``data.holdout_band``), the other
  evaluation splits whole, and ``<split>_heldout`` (the clips inside the
  held-out band) for each of them when a band is held out."""
  ds = config.data
  out = {}
  for split in dict.fromkeys([ds.train_split, *ds.eval_splits]):
    input_pipeline.split_size(builder, split)  # clear error if unknown
    source = builder.as_data_source(split)
    if split == ds.train_split:
      source, note = input_pipeline.select(source, ds, role='train',
                                           seed=config.seed)
      _log(f'Evaluation split {split}: {note}')
    out[split] = source
    if tuple(ds.holdout_band) and split != ds.train_split:
      out[f'{split}_heldout'], note = input_pipeline.select(
          source, ds, role='heldout', seed=config.seed)
      _log(f'Evaluation split {split}_heldout: {note}')
  # Cross-dataset: other datasets' split, same pre-processing, scored with
  # the readouts fitted here ("<name>_<split>").
  cross = config.eval.get('cross_datasets', None) or {}
  for name, manual_dir in dict(cross).items():
    other = ds.copy_and_resolve_references()
    other.name, other.manual_dir = name, manual_dir
    other_builder = input_pipeline.prepare(other)
    split = config.eval.get('cross_split', 'test')
    input_pipeline.split_size(other_builder, split)
    out[f'{name}_{split}'] = other_builder.as_data_source(split)
  return out


def evaluate(model: nnx.Module, config: ml_collections.ConfigDict, builder,
             mesh, out_dir: str, *, label: str = '') -> dict[str, Any]:
  """Evaluates the frozen ``model`` on ``config.data.eval_splits``.

  Writes ``out_dir/metrics.json`` (split -> readout -> metric, plus the
  fitted scale and ridge alpha under ``"readout_fit"``), ``features.npz`` and
  ``figure.png`` (process 0 only).

  Returns:
    The metrics mapping split -> readout -> metric.
  """
  ds, ev = config.data, config.eval
  feature_fn = make_feature_fn(model, mesh, tuple(config.method.out_size))
  feats, ys = {}, {}
  for split, source in eval_sources(builder, config).items():
    _log(f'Evaluating ({label or "model"}): features of the {split} '
         f'split ({len(source)} clips)')
    feats[split], ys[split] = extract_features(
        feature_fn, source, mesh=mesh, batch_size=ev.batch_size,
        target=ds.target, video_key=ds.get('video_key', 'video'),
        normalize=tuple(ds.get('input_normalize', ())))
  splits = list(feats)
  metrics, fitted = readout_metrics(
      feats, ys, fps=ds.fps, band=tuple(ev.band), train_split=ds.train_split,
      folds=ev.probe_folds, alphas=ev.probe_alphas, seed=config.seed,
      unit=ds.get('target_unit', 'hz'))
  if jax.process_index() == 0:
    os.makedirs(out_dir, exist_ok=True)
    writers.write_json(os.path.join(out_dir, 'metrics.json'), {
        **metrics,
        'readout_fit': {'train_split': ds.train_split,
                        'fft_scale': fitted['scale'],
                        'probe_alpha': fitted['probe'].alpha,
                        'probe_input': fitted['probe_input'],
                        'probe_cv_mse': fitted['probe_cv_mse']},
        'num_clips': {s: len(ys[s]) for s in splits},
        # What the build used and left out (e.g. Countix clips not found).
        'dataset_report': {k: v for k, v in (builder.info.metadata or {})
                           .items() if k in ('build_report',
                                             'manifest_counts')},
        'model': label})
    np.savez_compressed(os.path.join(out_dir, 'features.npz'),
                        **{f'{s}_features': feats[s] for s in splits},
                        **{f'{s}_{ds.target}': ys[s] for s in splits})
    split = 'test' if 'test' in feats else splits[-1]
    plot(os.path.join(out_dir, 'figure.png'), feats[split], ys[split],
         fitted['preds'][split], fps=ds.fps, band=tuple(ev.band),
         num_spectra=ev.num_spectra, title=f'{ds.name} {split} ({label})')
  return metrics


def plot(path: str, feats: np.ndarray, y: np.ndarray,
         preds: dict[str, np.ndarray], *, fps: float, band, num_spectra: int,
         title: str) -> None:
  """Three panels: a 2-D embedding of the features coloured by the target
  (PCA of their normalized power spectra, which are phase-invariant; cf.
  the paper's Figure 1), predicted vs true, and a few feature spectra."""
  # A bare Figure (no pyplot) leaves the caller's backend alone, e.g. a
  # notebook's inline plots.
  from matplotlib import colormaps  # pylint: disable=g-import-not-at-top
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top

  freqs, power = metrics_lib.power_spectrum(feats, fps)
  in_band = (freqs >= band[0]) & (freqs <= band[1])
  spectra = power[:, in_band] / np.maximum(
      power[:, in_band].sum(axis=1, keepdims=True), 1e-30)
  emb = metrics_lib.pca_2d(spectra)
  fig = Figure(figsize=(16, 4.8))
  axes = fig.subplots(1, 3)
  sc = axes[0].scatter(emb[:, 0], emb[:, 1], c=y, s=6, cmap='viridis')
  fig.colorbar(sc, ax=axes[0], label='true frequency (Hz)')
  axes[0].set(title='features: PCA of power spectra', xlabel='PC 1',
              ylabel='PC 2')
  lo, hi = float(np.min(y)), float(np.max(y))
  for name, marker in (('linear_probe', 'x'), ('fft_scaled', 'o')):
    if name not in preds:
      continue
    axes[1].scatter(y, preds[name], s=4, marker=marker, alpha=0.4,
                    label=name)
  axes[1].plot([lo, hi], [lo, hi], 'k--', lw=1)
  axes[1].set(title='predicted vs true', xlabel='true (Hz)',
              ylabel='predicted (Hz)')
  axes[1].legend()
  pick = np.argsort(y)[np.linspace(0, len(y) - 1, num_spectra).astype(int)]
  cmap = colormaps['viridis']
  for i in pick:
    c = cmap((y[i] - lo) / max(hi - lo, 1e-9))
    p = power[i, in_band]
    axes[2].plot(freqs[in_band], p / max(p.max(), 1e-30), color=c, lw=1,
                 label=f'f = {y[i]:.2f}')
    axes[2].axvline(2 * y[i], color=c, ls=':', lw=0.8)
  axes[2].set(title='feature spectra (dotted: 2f)', xlabel='Hz',
              ylabel='power (max = 1)')
  axes[2].legend(fontsize=7)
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=110)


def format_table(columns: list[tuple[str, dict[str, Any]]],
                 split: str = 'test', unit: str = 'Hz') -> str:
  """A text table of ``split``'s readout metrics, one column per model.

  Args:
    columns: ``(name, metrics)`` pairs, metrics as returned by
      :func:`evaluate`.
    split: the split to show.
    unit: of the targets (``Hz`` or ``bpm``).
  """
  head = f'{split + " split":14s} {"metric":8s}' + ''.join(
      f' {name:>12s}' for name, _ in columns)
  lines = [head, '-' * len(head)]
  for r in READOUTS:
    if not all(r in m[split] for _, m in columns):
      continue
    extra = [k for k in ('mae_normalized', 'obo')
             if all(k in m[split][r] for _, m in columns)]
    for k in (*METRICS, *extra):
      vals = ''.join(f' {m[split][r][k]:12.4f}' for _, m in columns)
      u = {'mape': '%'}.get(k, '' if k in ('pearson', 'mae_normalized',
                                            'obo') else unit)
      lines.append(f'{r:14s} {k + (f" ({u})" if u else ""):8s}{vals}')
  return '\n'.join(lines)
