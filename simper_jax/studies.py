r"""Studies: every arm of a comparison at a stated budget, then a report.

    python -m simper_jax.studies STUDY --workdir=DIR
        [--config=experiments/NAME.py[:VARIANTS]] [--seeds=0,1]
        [--arms=a,b] [--budgets=50,100,200] [--holdout_bands=2-3,4-5]

``STUDY`` is ``compare_methods``, ``data_efficiency``, ``zero_shot`` or
``ablations``; ``--config`` is any experiment (default
``experiments/rotating_digits.py:cpu``, the CPU demo).

Each arm (a method, a data fraction, a held-out band) is trained with
``train.train_and_evaluate`` for each seed, and evaluated after each budget
in ``--budgets`` (training resumes between budgets, with a constant
learning rate so that resuming is the same as one longer run): the points
of the learning curves (baselines are budget-sensitive). The
untrained encoder (same initialization for every arm) is evaluated once
per seed and data setting (``untrained``, ``untrained_0.1``, ...). Then
``DIR/report.md`` (a Markdown table: mean and spread over seeds at the
last budget), ``DIR/curves.png`` (each readout's test MAE
against training step, per arm) and, for the method comparison,
``DIR/embeddings.png`` (each method's test features side by side,
coloured by frequency, as in the paper's Figure 1); for data efficiency,
``DIR/efficiency.png`` (test MAE against the fraction of training
clips). A study is resumable: finished points are not recomputed.

Budgets default to a quarter, a half and all of the experiment's
``num_train_steps`` (``rotating_digits.py:cpu``: 50, 100, 200; the method
comparison takes ~40 minutes on a 2-core CPU). The zero-shot arms hold out
each band of ``--holdout_bands`` (in the target's unit; default 2-3 and
4-5, RotatingDigits' interpolation and extrapolation bands in Hz). MAEs
are in the experiment's target unit (its task kind).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from typing import Any

from absl import app
from absl import flags
from absl import logging
import numpy as np

from simper_jax import paths

STUDIES = ('compare_methods', 'data_efficiency', 'zero_shot', 'ablations',
           'few_labels')
_CONFIG = flags.DEFINE_string(
    'config', 'experiments/rotating_digits.py:cpu',
    'The experiment: a config file[:variants] as for simper_jax.main.')
_HOLDOUT = flags.DEFINE_list(
    'holdout_bands', ['2-3', '4-5'], 'zero_shot: the held-out target '
    'bands, LOW-HIGH in the target\'s unit (first: interpolation, second: '
    'extrapolation).')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output directory.')
_SEEDS = flags.DEFINE_list('seeds', ['0', '1'], 'Seeds (at least 2).')
_ARMS = flags.DEFINE_list('arms', None, 'Subset of the study\'s arms.')
_BUDGETS = flags.DEFINE_list('budgets', None, 'Training steps at which to '
                             'evaluate (default: 1/4, 1/2 and all of the '
                             'experiment\'s num_train_steps).')
_DATA_DIR = flags.DEFINE_string('data_dir', '', 'TFDS data folder.')

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_HOLDOUT_BANDS = ((2.0, 3.0), (4.0, 5.0))
# Shown first where the task has them: the readouts that compare methods.
_ORDER = ('fft_scaled', 'linear_probe', 'fft')


def readouts_of(task) -> tuple[str, ...]:
  """The task's readouts, the headline ones first."""
  return tuple(sorted(task.readouts, key=lambda r: (
      _ORDER.index(r) if r in _ORDER else len(_ORDER))))


def arms(study: str, holdout_bands=DEFAULT_HOLDOUT_BANDS
         ) -> dict[str, dict[str, Any]]:
  """The arms of ``study``: name -> config overrides (dotted keys)."""
  if study == 'compare_methods':
    return {m: {'method.name': m} for m in (
        'simper', 'simclr', 'moco_v2', 'byol', 'cvrl', 'supervised')}
  if study == 'data_efficiency':
    return {f'{m}_{f:g}': {'method.name': m, 'data.train_fraction': f}
            for m in ('simper', 'supervised')
            for f in (1.0, 0.5, 0.2, 0.1, 0.05)}
  if study == 'zero_shot':
    return {f'{m}_{name}': {'method.name': m, 'data.holdout_band': band}
            for m in ('simper', 'supervised')
            for name, band in zip(('interpolation', 'extrapolation'),
                                  (tuple(b) for b in holdout_bands))}
  if study == 'ablations':  # SimPer's design choices, one at a time
    out = {f'similarity_{v}': {'method.similarity': v}
           for v in ('mxcorr', 'npsd', 'cosine', 'l2')}
    out.update({f'label_kernel_{v}': {'method.label_kernel': v}
                for v in ('l2', 'sqrt')})
    out.update({f'label_temperature_{v:g}': {'method.label_temperature': v}
                for v in (0.05, 0.5)})
    out.update({f'num_speeds_{v}': {'method.num_speeds': v} for v in (2, 8)})
    out.update({f'speed_range_{lo:g}-{hi:g}': {'method.speed_range': (lo, hi)}
                for lo, hi in ((0.5, 2.0), (0.8, 1.25))})
    return out
  raise ValueError(f'unknown study {study!r}; choose one of {STUDIES}.')


def base_config(experiment: str, data_dir: str = ''):
  """The config of ``experiment`` (``path/to/config.py[:variants]``, a
  path relative to the repository root or the working directory), set up
  for learning curves."""
  path, _, variants = experiment.partition(':')
  if not os.path.exists(path):
    path = os.path.join(_ROOT, path)
  if not os.path.exists(path):
    raise ValueError(f'--config: no experiment file {experiment!r}.')
  spec = importlib.util.spec_from_file_location('study_experiment', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config(variants or None)
  config.optim.schedule = 'constant'  # resuming == one longer run
  config.eval.compare_init = False  # the floor is its own arm
  config.data.data_dir = data_dir or config.data.data_dir
  return config


def _override(config, overrides: dict[str, Any]):
  config = config.copy_and_resolve_references()
  for key, value in overrides.items():
    node = config
    *path, field = key.split('.')
    for p in path:
      node = node[p]
    setattr(node, field, value)
  return config


def run_arm(config, workdir: str, budgets, *, init_only: bool = False
            ) -> dict[int, dict]:
  """Trains to each budget in turn (resuming), keeping each evaluation."""
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  points = {}
  for budget in ([0] if init_only else budgets):
    path = paths.join(workdir, 'curve', f'step_{budget}.json')
    if not paths.exists(path):
      cfg = _override(config, {'num_train_steps': max(budget, 1),
                               'eval.init_only': init_only})
      train.train_and_evaluate(cfg, workdir)
      paths.makedirs(paths.dirname(path))
      paths.copy(paths.join(workdir, 'eval', 'metrics.json'), path)
      paths.copy(paths.join(workdir, 'eval', 'features.npz'),
                 paths.join(workdir, 'curve', f'features_{budget}.npz'))
    points[budget] = json.loads(paths.read_text(path))
  return points


def default_budgets(config) -> tuple[int, ...]:
  """A quarter, a half and all of ``config.num_train_steps``."""
  n = int(config.num_train_steps)
  if n < 1:
    raise ValueError('the experiment sets no num_train_steps; pass '
                     '--budgets=STEPS,STEPS,...')
  return tuple(sorted({max(1, n // 4), max(1, n // 2), n}))


def run_few_labels(workdir: str, *, experiment: str, seeds,
                   data_dir: str = '', budgets=None,
                   counts=None) -> dict[str, Any]:
  """The label-budget study (``simper_jax.few_labels``): one SimPer run
  per seed, then its readouts fitted with the labels of ``counts``
  training files; writes ``report.md``, ``summary.json``, ``labels.png``."""
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  from simper_jax import few_labels  # pylint: disable=g-import-not-at-top
  from simper_jax import writers  # pylint: disable=g-import-not-at-top
  base = datasets.resolved(base_config(experiment, data_dir))
  budget = max(budgets or default_budgets(base))
  results = {}
  for seed in seeds:
    arm = paths.join(workdir, 'simper', f'seed{seed}')
    run_arm(_override(base, {'seed': int(seed)}), arm, [budget])
    results[int(seed)] = few_labels.curve(
        paths.join(arm, 'curve', f'features_{budget}.npz'), base,
        seed=int(seed), counts=counts or few_labels.COUNTS)
  text = (f'few_labels ({experiment}, seeds {", ".join(map(str, seeds))})'
          '\n\n' + few_labels.report(results, base, workdir))
  paths.write_text(paths.join(workdir, 'report.md'), text)
  writers.write_json(paths.join(workdir, 'summary.json'),
                     {'experiment': experiment, 'results': results})
  return {'results': results, 'report': text}


def run_study(study: str, workdir: str, *, experiment: str, seeds,
              budgets=None, only=None, data_dir: str = '',
              holdout_bands=DEFAULT_HOLDOUT_BANDS) -> dict[str, Any]:
  """Runs every arm x seed (and the untrained floor); writes the report."""
  if len(seeds) < 1:
    raise ValueError('give at least one seed.')
  if study == 'few_labels':
    paths.makedirs(workdir)
    return run_few_labels(workdir, experiment=experiment, seeds=seeds,
                          data_dir=data_dir, budgets=budgets)
  all_arms = arms(study, holdout_bands)
  unknown = sorted(set(only or ()) - set(all_arms))
  if unknown:
    raise ValueError(f'unknown arm(s) {unknown} of {study}; choose from '
                     f'{sorted(all_arms)}.')
  chosen = {k: v for k, v in all_arms.items() if not only or k in only}
  base = base_config(experiment, data_dir)
  budgets = tuple(budgets or default_budgets(base))
  results: dict[str, dict[int, dict[int, dict]]] = {}
  total = len(chosen) * len(seeds)
  done = 0
  # One untrained floor per distinct data setting among the arms (the
  # readouts of the floor are fitted on the same clips as the arms').
  floors = {}
  for overrides in chosen.values():
    data = {k: v for k, v in overrides.items() if k.startswith('data.')}
    name = 'untrained' + ''.join(
        '_' + ('-'.join(f'{x:g}' for x in v) if isinstance(v, tuple)
               else f'{v:g}') for v in data.values())
    floors[name] = data
  for seed in seeds:
    for name, data in floors.items():
      results.setdefault(name, {})[seed] = run_arm(
          _override(base, {**data, 'seed': int(seed)}),
          paths.join(workdir, name, f'seed{seed}'), budgets,
          init_only=True)
    for name, overrides in chosen.items():
      done += 1
      print(f'== {study}: arm {name}, seed {seed} ({done}/{total})',
            flush=True)
      cfg = _override(base, {**overrides, 'seed': int(seed)})
      results.setdefault(name, {})[seed] = run_arm(
          cfg, paths.join(workdir, name, f'seed{seed}'), budgets)
  report = write_report(study, workdir, results, config=base,
                        experiment=experiment, budgets=budgets, seeds=seeds)
  return {'results': results, 'report': report}


def _test_split(points: dict[int, dict], test: str = 'test') -> str:
  metrics = next(iter(points.values()))
  return f'{test}_heldout' if f'{test}_heldout' in metrics else test


def summary(results, readouts, test: str = 'test'
            ) -> dict[str, dict[str, Any]]:
  """Per arm and readout: the last budget's MAE on ``test`` (its held-out
  part when a band is held out), mean and spread (min..max) over seeds,
  and each seed's value."""
  out = {}
  for arm, by_seed in results.items():
    row = {}
    for r in readouts:
      vals = []
      for points in by_seed.values():
        last = points[max(points)]
        vals.append(last[_test_split(points, test)][r]['mae'])
      row[r] = {'mean': float(np.mean(vals)), 'min': float(np.min(vals)),
                'max': float(np.max(vals)), 'values': vals}
    out[arm] = row
  return out


def write_report(study: str, workdir: str, results, *, config, experiment,
                 budgets, seeds) -> str:
  """``report.md``, ``summary.json``, ``curves.png`` (and
  ``embeddings.png`` for the method comparison); returns the table."""
  import jax  # pylint: disable=g-import-not-at-top
  from simper_jax import tasks  # pylint: disable=g-import-not-at-top
  from simper_jax import writers  # pylint: disable=g-import-not-at-top
  task = tasks.get(config.data.target_unit)
  readouts = readouts_of(task)
  test = config.data.eval_splits[-1]
  table = summary(results, readouts, test)
  split = {arm: _test_split(next(iter(s.values())), test)
           for arm, s in results.items()}
  lines = [f'{study} ({experiment}, seeds {", ".join(map(str, seeds))}, '
           f'last budget {max(budgets)} steps; {test} MAE in {task.unit}, '
           'mean [min, max] over seeds)', '',
           '| arm | split | ' + ' | '.join(readouts) + ' |',
           '|---|---|' + '---|' * len(readouts)]
  for arm, row in table.items():
    cells = [f'{row[r]["mean"]:.3f} [{row[r]["min"]:.3f}, '
             f'{row[r]["max"]:.3f}]' for r in readouts]
    lines.append(f'| {arm} | {split[arm]} | ' + ' | '.join(cells) + ' |')
  text = '\n'.join(lines) + '\n'
  if jax.process_index() == 0:
    paths.write_text(paths.join(workdir, 'report.md'), text)
    writers.write_json(paths.join(workdir, 'summary.json'), {
        'study': study, 'experiment': experiment, 'unit': task.unit,
        'budgets': list(budgets), 'seeds': list(seeds), 'test_mae': table,
        'curves': {arm: {seed: {str(b): {r: p[split[arm]][r]['mae']
                                         for r in readouts}
                                for b, p in points.items()}
                         for seed, points in by_seed.items()}
                   for arm, by_seed in results.items()}})
    _plot_curves(paths.join(workdir, 'curves.png'), results, split, study,
                 readouts, task.unit)
    if study == 'data_efficiency':
      _plot_efficiency(paths.join(workdir, 'efficiency.png'), table,
                       readouts, task.unit)
    if study == 'compare_methods':
      _plot_embeddings(paths.join(workdir, 'embeddings.png'), workdir,
                       list(results), seeds[0], budgets, config, task, test)
  return text


def _plot_curves(path, results, split, study, readouts, unit) -> None:
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
  fig = Figure(figsize=(5 * len(readouts), 4))
  axes = np.atleast_1d(fig.subplots(1, len(readouts)))
  for ax, r in zip(axes, readouts):
    for arm, by_seed in results.items():
      steps = sorted(next(iter(by_seed.values())))
      vals = np.array([[points[s][split[arm]][r]['mae'] for s in steps]
                       for points in by_seed.values()])
      if arm.startswith('untrained'):
        ax.axhline(vals.mean(), color='gray', ls='--', label=arm)
        continue
      ax.errorbar(steps, vals.mean(0), yerr=[vals.mean(0) - vals.min(0),
                                             vals.max(0) - vals.mean(0)],
                  marker='o', capsize=3, label=arm)
    ax.set(title=f'{r}: test MAE', xlabel='training step', ylabel=unit,
           yscale='log')
  axes[0].legend(fontsize=8)
  fig.suptitle(f'{study}: mean and range over seeds')
  fig.tight_layout()
  paths.save_figure(fig, path, dpi=100)


def _plot_efficiency(path, table, readouts, unit) -> None:
  """Test MAE against the fraction of training clips, per method."""
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
  by_method: dict[str, list] = {}
  for arm, overrides in arms('data_efficiency').items():
    if arm in table:
      by_method.setdefault(overrides['method.name'], []).append(
          (overrides['data.train_fraction'], table[arm]))
  floor = [(float(a.rsplit('_', 1)[1]) if '_' in a else 1.0, row)
           for a, row in table.items() if a.startswith('untrained')]
  if floor:
    by_method['untrained'] = floor
  fig = Figure(figsize=(5 * len(readouts), 4))
  axes = np.atleast_1d(fig.subplots(1, len(readouts)))
  for ax, r in zip(axes, readouts):
    for method, points in by_method.items():
      points.sort(key=lambda p: p[0])
      x = np.array([p[0] for p in points])
      mean = np.array([p[1][r]['mean'] for p in points])
      lo = np.array([p[1][r]['min'] for p in points])
      hi = np.array([p[1][r]['max'] for p in points])
      ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], marker='o',
                  capsize=3, label=method,
                  ls='--' if method == 'untrained' else '-')
    ax.set(title=f'{r}: test MAE', xlabel='fraction of training clips',
           ylabel=unit, xscale='log', yscale='log')
  axes[0].legend(fontsize=8)
  fig.suptitle('data efficiency: mean and range over seeds, last budget')
  fig.tight_layout()
  paths.save_figure(fig, path, dpi=100)


def _plot_embeddings(path, workdir, arm_names, seed, budgets, config, task,
                     test) -> None:
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import figures  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import spectra  # pylint: disable=g-import-not-at-top
  target = datasets.plugin(config.data).target
  fig = Figure(figsize=(3.2 * len(arm_names), 3.2))
  axes = np.atleast_1d(fig.subplots(1, len(arm_names)))
  for ax, arm in zip(axes, arm_names):
    budget = 0 if arm == 'untrained' else max(budgets)
    data = np.load(io.BytesIO(paths.read_bytes(paths.join(
        workdir, arm, f'seed{seed}', 'curve', f'features_{budget}.npz'))))
    feats, y = data[f'{test}_features'], data[f'{test}_{target}']
    _, spec = spectra.band_spectrum(feats, config.data.fps,
                                    tuple(config.eval.band))
    emb = figures.pca_2d(spec)
    ax.scatter(emb[:, 0], emb[:, 1], c=y, s=3, cmap='viridis')
    ax.set(title=arm, xticks=[], yticks=[])
  fig.suptitle(f'{test} features (PCA of power spectra), coloured by true '
               f'{task.quantity}')
  fig.tight_layout()
  paths.save_figure(fig, path, dpi=72)


def main(argv):
  if len(argv) != 2 or argv[1] not in STUDIES:
    raise app.UsageError(f'usage: python -m simper_jax.studies '
                         f'{{{"|".join(STUDIES)}}} --workdir=DIR')
  if not _WORKDIR.value:
    raise app.UsageError('--workdir is required.')
  logging.set_verbosity(logging.WARNING)
  try:
    budgets = [int(b) for b in _BUDGETS.value or ()]
    bands = [tuple(float(x) for x in b.split('-')) for b in _HOLDOUT.value]
    out = run_study(argv[1], paths.resolve(_WORKDIR.value),
                    experiment=_CONFIG.value,
                    seeds=[int(s) for s in _SEEDS.value], budgets=budgets,
                    only=_ARMS.value, data_dir=_DATA_DIR.value,
                    holdout_bands=bands)
  except (ValueError, FloatingPointError) as e:
    sys.exit(f'error: {e}')
  print(out['report'])
  print(f'report: {paths.join(paths.resolve(_WORKDIR.value), "report.md")}')


if __name__ == '__main__':
  app.run(main)
