r"""The linear probe's cross-validated ridge fit, with and without the BLAS
thread cap of ``readouts.fit_ridge_cv``.

    .venv/bin/python benchmarks/probe.py [--n=1000] [--d=226] [--runs=5]

Prints the median wall time of ``fit_ridge_cv`` (scikit-learn
``StandardScaler`` + ``Ridge`` per fold and alpha, one BLAS thread) and of
the same fits with the host's default BLAS threads, on random features of
the size of RotatingDigits' probe input (1,000 clips; 150 series samples +
76 in-band bins).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import threadpoolctl

from simper_jax.evaluation import readouts

_ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)


def _uncapped(x, y, folds=5, seed=0):
  """fit_ridge_cv's fits without the thread cap (the same arithmetic)."""
  for val in readouts.kfold_indices(len(y), folds, seed):
    train = np.ones(len(y), bool)
    train[val] = False
    for alpha in _ALPHAS:
      readouts._ridge(x[train], y[train], alpha).predict(x[val])  # pylint: disable=protected-access


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--n', type=int, default=1000)
  parser.add_argument('--d', type=int, default=226)
  parser.add_argument('--runs', type=int, default=5)
  args = parser.parse_args()
  rng = np.random.default_rng(0)
  x = rng.normal(size=(args.n, args.d))
  y = x[:, :3] @ np.array([1.0, 2.0, 3.0]) + 0.5 * rng.normal(size=args.n)
  rows = []
  for name, fn in (
      ('fit_ridge_cv (1 BLAS thread)',
       lambda: readouts.fit_ridge_cv(x, y, alphas=_ALPHAS)),
      ('same fits, default BLAS threads', lambda: _uncapped(x, y))):
    fn()  # warm-up
    times = []
    for _ in range(args.runs):
      start = time.perf_counter()
      fn()
      times.append(time.perf_counter() - start)
    rows.append((name, float(np.median(times))))
  blas = [(i['internal_api'], i['num_threads'])
          for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']
  print(f'N={args.n}, D={args.d}, {len(_ALPHAS)} alphas x 5 folds; BLAS '
        f'{blas}')
  print('| probe fit | median s |\n|---|---|')
  for name, t in rows:
    print(f'| {name} | {t:.3f} |')


if __name__ == '__main__':
  main()
