"""One model's evaluation: features -> readouts -> metrics.json + figure.

For each evaluation split the frozen encoder maps every clip to its feature
series; the task kind's readouts are fitted on the training split and
scored on every split (``readouts.fit_readouts``). Written on process 0:
``OUT/metrics.json`` (split -> readout -> metric, the fitted readouts under
``readout_fit``, clip counts, the dataset's build report),
``OUT/features.npz`` and ``OUT/figure.png``.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import ml_collections
import numpy as np
from flax import nnx

from simper_jax import datasets
from simper_jax import tasks
from simper_jax import writers
from simper_jax.evaluation import features
from simper_jax.evaluation import figures
from simper_jax.evaluation import readouts
from simper_jax.evaluation import sources

# Build metadata carried into metrics.json: what a build used and left out.
_REPORT_KEYS = ('build_report', 'manifest_counts')


def evaluate(model: nnx.Module, config: ml_collections.ConfigDict, builder,
             mesh, out_dir: str, *, label: str = '') -> dict[str, Any]:
  """Evaluates the frozen ``model`` on ``config.data.eval_splits``.

  Args:
    model: the encoder (clips ``[B, T, H, W, C]`` -> series ``[B, T]``).
    config: the experiment config.
    builder: the prepared dataset's builder.
    mesh: the ``('data',)`` mesh.
    out_dir: where the files go.
    label: the model's name in the log, the file and the figure.

  Returns:
    The metrics mapping split -> readout -> metric.
  """
  ds, ev = config.data, config.eval
  plugin = datasets.plugin(ds)
  task = tasks.get(ds.target_unit)
  feature_fn = features.make_feature_fn(model, mesh,
                                        tuple(config.method.out_size))
  feats, ys = {}, {}
  for split, source in sources.eval_sources(builder, config).items():
    writers.log(f'Evaluating ({label or "model"}): features of the {split} '
                f'split ({len(source)} clips)')
    feats[split], ys[split] = features.extract_features(
        feature_fn, source, mesh=mesh, batch_size=ev.batch_size,
        clip=plugin.clip, target=plugin.target,
        normalize=tuple(ds.input_normalize))
  splits = list(feats)
  metrics, fitted = readouts.fit_readouts(
      feats, ys, task, fps=ds.fps, band=tuple(ev.band),
      train_split=ds.train_split, folds=ev.probe_folds,
      alphas=ev.probe_alphas, seed=config.seed)
  if jax.process_index() == 0:
    os.makedirs(out_dir, exist_ok=True)
    meta = builder.info.metadata or {}
    writers.write_json(os.path.join(out_dir, 'metrics.json'), {
        **metrics,
        'readout_fit': {'train_split': ds.train_split,
                        'fft_scale': fitted['scale'],
                        'probe_alpha': fitted['probe'].alpha,
                        'probe_input': fitted['probe_input'],
                        'probe_cv_mse': fitted['probe_cv_mse']},
        'num_clips': {s: len(ys[s]) for s in splits},
        'dataset_report': {k: v for k, v in meta.items()
                           if k in _REPORT_KEYS},
        'task': {'kind': task.name, 'unit': task.unit},
        'model': label})
    np.savez_compressed(os.path.join(out_dir, 'features.npz'),
                        **{f'{s}_features': feats[s] for s in splits},
                        **{f'{s}_{plugin.target}': ys[s] for s in splits})
    split = 'test' if 'test' in feats else splits[-1]
    figures.plot(os.path.join(out_dir, 'figure.png'), feats[split],
                 ys[split], fitted['preds'][split], task, fps=ds.fps,
                 band=tuple(ev.band), num_spectra=ev.num_spectra,
                 title=f'{ds.name} {split} ({label})')
  return metrics
