"""One model's evaluation: features -> readouts -> metrics.json + figure.

For each evaluation split the frozen encoder maps every clip to its feature
series; the task kind's readouts are fitted on the training split's
labelled clips and scored on every split's labelled clips
(``readouts.fit_readouts``). Unlabelled clips (a NaN target: a user's
folder where only some files are labelled) are counted, kept in
``features.npz``, and not scored. Written on process 0: ``OUT/metrics.json``
(split -> readout -> metric, the fitted readouts under ``readout_fit``,
clip counts, the dataset's build report), ``OUT/readouts.json`` (the fit
itself, which ``simper_jax.predict`` applies to new files),
``OUT/features.npz`` and ``OUT/figure.png``; ``OUT`` may be ``gs://...``
(``simper_jax.paths``).
"""

from __future__ import annotations

import io
from typing import Any

import jax
import ml_collections
import numpy as np
from flax import nnx

from simper_jax import datasets
from simper_jax import health
from simper_jax import paths
from simper_jax import tasks
from simper_jax import writers
from simper_jax.evaluation import features
from simper_jax.evaluation import figures
from simper_jax.evaluation import readouts
from simper_jax.evaluation import sources

# Build metadata carried into metrics.json: what a build used and left out.
_REPORT_KEYS = ('build_report', 'manifest_counts')


def _groups(source, key: str) -> np.ndarray:
  """Each example's ``key`` feature (its source file, subject) as text."""
  def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
  return np.array([text(source[i][key]) for i in range(len(source))])


def evaluate(model: nnx.Module, config: ml_collections.ConfigDict, builder,
             mesh, out_dir: str, *, label: str = '',
             warnings: list[str] | None = None) -> dict[str, Any]:
  """Evaluates the frozen ``model`` on ``config.data.eval_splits``.

  Args:
    model: the encoder (clips ``[B, T, H, W, C]`` -> series ``[B, T]``).
    config: the experiment config.
    builder: the prepared dataset's builder.
    mesh: the ``('data',)`` mesh.
    out_dir: where the files go.
    label: the model's name in the log, the file and the figure.
    warnings: what training found wrong (``metrics.json["warnings"]``).

  Returns:
    The metrics mapping split -> readout -> metric (splits with labelled
    clips only).
  """
  ds, ev = config.data, config.eval
  plugin = datasets.plugin(ds)
  task = tasks.get(ds.target_unit)
  feature_fn = features.make_feature_fn(model, mesh,
                                        tuple(config.method.out_size))
  feats, ys, groups = {}, {}, {}
  for split, source in sources.eval_sources(builder, config).items():
    writers.log(f'Evaluating ({label or "model"}): features of the {split} '
                f'split ({len(source)} clips)')
    feats[split], ys[split] = features.extract_features(
        feature_fn, source, mesh=mesh, batch_size=ev.batch_size,
        clip=plugin.clip, target=plugin.target,
        normalize=tuple(ds.input_normalize))
    if plugin.group:
      groups[split] = _groups(source, plugin.group)
  warnings = list(warnings or []) + health.collapse_warnings(feats)
  labelled = {s: np.isfinite(y) for s, y in ys.items()}
  for s, m in labelled.items():
    if not m.all():
      writers.log(f'  {s}: {int((~m).sum())} of {len(m)} clips unlabelled '
                  '(features kept in features.npz, not scored)')
  metrics, fitted, preds = readouts.fit_readouts(
      {s: f[labelled[s]] for s, f in feats.items()},
      {s: y[labelled[s]] for s, y in ys.items()}, task, fps=ds.fps,
      band=tuple(ev.band), train_split=ds.train_split, folds=ev.probe_folds,
      alphas=ev.probe_alphas, seed=config.seed,
      groups=(groups[ds.train_split][labelled[ds.train_split]]
              if ds.train_split in groups else None))
  if fitted.num_labelled < 2:
    writers.log(f'  {fitted.num_labelled} labelled {ds.train_split} clips: '
                f'readouts {list(fitted.readouts)} only')
  if jax.process_index() == 0:
    _write(out_dir, config, builder, task, label, metrics, fitted, preds,
           feats, ys, groups, labelled, plugin, warnings)
  return metrics


def _write(out_dir, config, builder, task, label, metrics, fitted, preds,
           feats, ys, groups, labelled, plugin, warnings) -> None:
  ds, ev = config.data, config.eval
  paths.makedirs(out_dir)
  meta = builder.info.metadata or {}
  clip = builder.info.features[plugin.clip]
  writers.write_json(paths.join(out_dir, 'metrics.json'), {
      **metrics,
      'readout_fit': {'train_split': ds.train_split,
                      'fft_scale': fitted.scale,
                      'probe_alpha': (fitted.probe.alpha if fitted.probe
                                      else None),
                      'probe_input': fitted.probe_input,
                      'probe_cv_mse': fitted.probe_cv_mse,
                      'readouts': list(fitted.readouts)},
      'num_clips': {s: int(m.sum()) for s, m in labelled.items()},
      'num_unlabelled': {s: int((~m).sum()) for s, m in labelled.items()},
      'dataset_report': {k: v for k, v in meta.items() if k in _REPORT_KEYS},
      'task': {'kind': task.name, 'unit': task.unit},
      'warnings': warnings,
      'model': label})
  writers.write_json(paths.join(out_dir, 'readouts.json'), {
      **fitted.to_json(), 'unit': task.unit, 'target_unit': ds.target_unit,
      'clip_shape': list(clip.shape), 'clip_dtype': np.dtype(
          clip.np_dtype).name, 'model': label})
  npz = io.BytesIO()
  np.savez_compressed(
      npz, **{f'{s}_features': f for s, f in feats.items()},
      **{f'{s}_{plugin.target}': y for s, y in ys.items()},
      **{f'{s}_{plugin.group}': g for s, g in groups.items()})
  paths.write_bytes(paths.join(out_dir, 'features.npz'), npz.getvalue())
  shown = [s for s in ('test', *feats) if s in preds]
  if shown:
    s = shown[0]
    m = labelled[s]
    figures.plot(paths.join(out_dir, 'figure.png'), feats[s][m], ys[s][m],
                 preds[s], task, fps=ds.fps, band=tuple(ev.band),
                 num_spectra=ev.num_spectra,
                 title=f'{ds.name} {s} ({label})')
