"""Kill a training run with SIGKILL at random moments; check exact resume.

Runs ``python -m simper_jax.main`` twice over the same recipe:

* ``full``: once, uninterrupted;
* ``killed``: started, killed with ``kill -9``, started again, ``--kills``
  times, then run to the end. The first kill comes a random time into the
  fresh run (data preparation, start-up, compilation), the last during the
  evaluation, the others a random fraction of a step after the log shows
  a random training step (mid-training, sometimes during an asynchronous
  checkpoint write).

Each run prepares its own dataset (so kills during the preparation are
tried too). At the end the two final train states (every array of the
checkpoint) and the test features must be bit-identical, and the killed
run must have finished without an error. Prints one line per kill (when,
and the last log line before it) and the verdict; exit status 1 if
anything differs.

  python scripts/kill_resume_check.py --kills=9 --steps=200 --seed=0

The recipe is ``experiments/rotating_digits.py:smoke`` with
``num_train_steps=--steps`` and a checkpoint every 5 steps; extra
``--override=--config.x=y`` flags are passed on.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _command(workdir: str, data_dir: str, steps: int, extra: list[str]):
  return [sys.executable, '-u', '-m', 'simper_jax.main',
          '--config=experiments/rotating_digits.py:smoke',
          f'--workdir={workdir}', f'--config.data.data_dir={data_dir}',
          f'--config.num_train_steps={steps}',
          '--config.checkpoint_every_steps=5', '--config.log_every_steps=1',
          *extra]


_STEP = re.compile(r'step\s+(\d+)/')


def _past_step(step: int):
  return lambda text: max(map(int, _STEP.findall(text)), default=0) >= step


def _run(cmd: list[str], log: str, kill_after: float | None = None,
         kill_when=None, extra_s: float = 0.0):
  """Runs ``cmd`` (output to ``log``) and kills it with SIGKILL either
  ``kill_after`` seconds after the start, or ``extra_s`` seconds after
  ``kill_when(log text)`` first holds.

  Returns ``(exit status or None if killed, seconds it ran)``.
  """
  env = dict(os.environ, JAX_PLATFORMS='cpu')
  with open(log, 'w') as out:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)
    start, seen = time.time(), None
    while proc.poll() is None:
      now = time.time()
      if kill_when is not None and seen is None:
        with open(log, errors='replace') as f:
          if kill_when(f.read()):
            seen = now
      if ((kill_after is not None and now - start >= kill_after) or
          (seen is not None and now - seen >= extra_s)):
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return None, time.time() - start
      time.sleep(0.02)
  return proc.returncode, time.time() - start


def _last_line(log: str) -> str:
  with open(log, errors='replace') as f:
    lines = [l.strip() for l in f.read().splitlines() if l.strip()]
  return lines[-1][:100] if lines else '(no output yet)'


def _final_arrays(workdir: str) -> dict[str, np.ndarray]:
  import jax  # pylint: disable=g-import-not-at-top
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  manager = ocp.CheckpointManager(os.path.join(workdir, 'checkpoints'),
                                  item_names=('state', 'data'))
  step = manager.latest_step()
  state = manager.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore()))['state']
  manager.close()
  flat = jax.tree.leaves_with_path(state)
  return {jax.tree_util.keystr(p): np.asarray(x) for p, x in flat}


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--kills', type=int, default=9)
  parser.add_argument('--steps', type=int, default=200)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--override', action='append', default=[])
  parser.add_argument('--keep', default='',
                      help='folder to keep the runs in (default: a temp one)')
  args = parser.parse_args()
  base = args.keep or tempfile.mkdtemp(prefix='kill_resume_')
  os.makedirs(base, exist_ok=True)
  rng = random.Random(args.seed)

  full = os.path.join(base, 'full')
  rc, full_s = _run(_command(full, os.path.join(base, 'data_full'),
                             args.steps, args.override),
                    os.path.join(base, 'full.log'))
  if rc != 0:
    print(f'the uninterrupted run failed (exit {rc}); see {base}/full.log')
    return 1
  print(f'uninterrupted run: {full_s:.1f} s')

  killed = os.path.join(base, 'killed')
  cmd = _command(killed, os.path.join(base, 'data_killed'), args.steps,
                 args.override)
  # The first kill a random time into the fresh run (data preparation,
  # start-up, compilation), the last one during the evaluation, the others
  # at random training steps in order (so the run moves on between them),
  # a random fraction of a step after the log shows the step.
  at_steps = iter(sorted(rng.sample(range(1, args.steps), args.kills)))
  for i in range(args.kills):
    log = os.path.join(base, f'killed_{i}.log')
    step = next(at_steps)
    if i == 0:
      rc, ran = _run(cmd, log, kill_after=rng.uniform(0.5, 0.5 * full_s))
    elif i == args.kills - 1:
      rc, ran = _run(cmd, log, kill_when=lambda t: 'Evaluating' in t,
                     extra_s=rng.uniform(0.0, 1.0))
    else:
      rc, ran = _run(cmd, log, kill_when=_past_step(step),
                     extra_s=rng.uniform(0.0, 0.05))
    what = (f'killed after {ran:5.1f} s' if rc is None
            else f'finished before the kill (exit {rc})')
    print(f'kill {i + 1}: {what}; last line: {_last_line(log)}')
    if rc not in (None, 0):
      print(f'a restarted run failed: see {log}')
      return 1
  rc, _ = _run(cmd, os.path.join(base, 'killed_final.log'))
  print(f'final restart: exit {rc}; last line: '
        f'{_last_line(os.path.join(base, "killed_final.log"))}')
  if rc != 0:
    return 1

  a, b = _final_arrays(full), _final_arrays(killed)
  same_state = a.keys() == b.keys() and all(
      np.array_equal(a[k], b[k]) for k in a)
  fa = np.load(os.path.join(full, 'eval', 'features.npz'))
  fb = np.load(os.path.join(killed, 'eval', 'features.npz'))
  same_features = set(fa.files) == set(fb.files) and all(
      np.array_equal(fa[k], fb[k]) for k in fa.files)
  print(f'final state: {len(a)} arrays, '
        f'{"bit-identical" if same_state else "DIFFERENT"}; test features: '
        f'{"bit-identical" if same_features else "DIFFERENT"}')
  if not args.keep:
    shutil.rmtree(base, ignore_errors=True)
  return 0 if same_state and same_features else 1


if __name__ == '__main__':
  sys.exit(main())
