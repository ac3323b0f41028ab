r"""The "Your own data" measurement: a synthetic folder, 10% labels, predict.

    .venv/bin/python scripts/own_data_demo.py --experiment=video_folder \
        --out=/tmp/own_video [--label_fraction=0.1] [--seed=0]
    .venv/bin/python scripts/own_data_demo.py --experiment=time_series \
        --out=/tmp/own_series

1. Generates the experiment's synthetic folder in OUT/raw (its
   ``truth.csv`` holds every file's true frequency).
2. Rewrites ``labels.csv`` as a user with few labels would have it: every
   file keeps the split the builder would draw (written in a ``split``
   column), and only ``--label_fraction`` of the training files keep their
   label (at least one); test files keep theirs (they are never fitted on).
3. Trains ``experiments/<experiment>.py:synthetic`` on it (OUT/run) and
   times it.
4. Runs ``simper_jax.predict`` on the held-out (test) files and scores every
   window against ``truth.csv``: MAE per readout, and for the label-free
   raw FFT readout the share of windows within 5% of the truth or of a
   harmonic of it.
Writes OUT/summary.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import shutil
import sys
import time

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _ROOT)

from simper_jax import datasets  # pylint: disable=wrong-import-position
from simper_jax import few_labels  # pylint: disable=wrong-import-position
from simper_jax import predict  # pylint: disable=wrong-import-position
from simper_jax import train  # pylint: disable=wrong-import-position
from tfds_builders import folders  # pylint: disable=wrong-import-position


def _config(experiment: str, raw: str, data_dir: str):
  path = os.path.join(_ROOT, 'experiments', f'{experiment}.py')
  spec = importlib.util.spec_from_file_location('experiment', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config('synthetic')
  config.data.path = raw
  config.data.data_dir = data_dir
  return datasets.resolved(config)  # generates the folder in raw


def _relabel(raw: str, config, fraction: float, seed: int) -> dict:
  """labels.csv with fixed splits and labels on ``fraction`` of the
  training files; returns {file: split} and the labelled train files."""
  truth = {}
  with open(os.path.join(raw, 'truth.csv')) as f:
    for row in csv.DictReader(f):
      truth[os.path.normpath(row['file'])] = float(row['target'])
  files = [f for f in folders.find_files(raw, datasets.plugin(
      config.data).extensions) if f in truth]
  split = folders.assign_splits(files, config.data.test_fraction,
                                config.data.split_seed, {})
  train_files = sorted(f for f in files if split[f] == 'train')
  k = max(1, int(round(fraction * len(train_files))))
  labelled = set(np.random.default_rng(seed).choice(train_files, k,
                                                    replace=False))
  with open(os.path.join(raw, folders.LABELS_FILE), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['file', 'target', 'split'])
    for name in files:
      keep = split[name] == 'test' or name in labelled
      w.writerow([name, f'{truth[name]:.6f}' if keep else '', split[name]])
  return {'truth': truth, 'split': split, 'labelled': sorted(labelled),
          'num_train_files': len(train_files)}


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--experiment', required=True,
                      choices=('video_folder', 'time_series'))
  parser.add_argument('--out', required=True)
  parser.add_argument('--label_fraction', type=float, default=0.1)
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args()
  out = os.path.abspath(args.out)
  raw, run = os.path.join(out, 'raw'), os.path.join(out, 'run')
  shutil.rmtree(out, ignore_errors=True)
  t0 = time.perf_counter()
  config = _config(args.experiment, raw, os.path.join(out, 'tfds'))
  info = _relabel(raw, config, args.label_fraction, args.seed)
  config = _config(args.experiment, raw, os.path.join(out, 'tfds'))
  t1 = time.perf_counter()
  train.train_and_evaluate(config, run)
  t2 = time.perf_counter()
  held_out = [os.path.join(raw, f) for f, s in info['split'].items()
              if s == 'test']
  pred = predict.predict(run, os.path.join(out, 'predict'), held_out)
  t3 = time.perf_counter()
  errors, hits = {}, []
  for name, res in pred['files'].items():
    rel = os.path.relpath(os.path.join(os.path.dirname(raw), name), raw) \
        if not os.path.isabs(name) else os.path.relpath(name, raw)
    y = info['truth'][os.path.normpath(rel)]
    for w in res['windows']:
      for r in pred['readouts']:
        errors.setdefault(r, []).append(abs(w[r] - y))
      hits.append(few_labels.harmonic_hits([w['fft']], [y]))
  lo, hi = min(info['truth'].values()), max(info['truth'].values())
  summary = {
      'experiment': args.experiment, 'label_fraction': args.label_fraction,
      'labelled_train_files': len(info['labelled']),
      'train_files': info['num_train_files'],
      'held_out_files': len(pred['files']),
      'windows': len(hits), 'target_range': [lo, hi],
      'mae': {r: float(np.mean(e)) for r, e in errors.items()},
      'mae_over_range': {r: float(np.mean(e) / (hi - lo))
                         for r, e in errors.items()},
      'label_free_harmonic_hits': float(np.mean(hits)),
      'seconds': {'generate': t1 - t0, 'train_and_evaluate': t2 - t1,
                  'predict': t3 - t2}}
  with open(os.path.join(out, 'summary.json'), 'w') as f:
    json.dump(summary, f, indent=1)
  print(json.dumps(summary, indent=1))


if __name__ == '__main__':
  main()
