"""A generated folder of sensor recordings with known rates (``:synthetic``).

:func:`make_folder` writes 48 recordings (20-60 s) of a periodic process at
a known frequency in 0.8-3.0 Hz, in the layouts a user's folder has:

* ``accel/``: 3-axis accelerometer-like signals (gravity on a random
  orientation, periodic motion at the cadence with its 2nd and 3rd
  harmonics, slow drift of each axis, white noise), in g. 16 as ``.npy``
  ``[T, 3]`` at :data:`SAMPLE_RATE` (no time stamps: the build takes
  ``data.sample_rate``), 8 as ``.csv`` (``time,ax,ay,az``) at 25, 50 or
  64 Hz.
* ``ppg/``: PPG-like pulse waves at the pulse rate (a systolic peak and a
  dicrotic wave per beat; respiration-like baseline wander, slow drift,
  noise), as ``.csv``: 6 without a time column at :data:`SAMPLE_RATE`,
  18 with one at 25, 50 or 64 Hz, half of those sampled irregularly (each
  time stamp jittered by up to 25% of the interval, and a few runs of
  rows dropped). Three channels, so that ``data.channels = 3`` reads every
  file: ``green`` (the pulse wave) and two noise-free scaled copies,
  ``red`` (x 0.6) and ``ir`` (x 0.4) -- a choice: after the encoder's
  per-window standardization they carry no new information, they only
  give every file the same channel count.
* gaps: about a third of the files have a short run of NaN samples
  (0.05-0.3 s, filled by a build), about one in six a long one (1.5-3 s:
  the windows touching it are rejected), two start with NaN rows
  (trimmed); in CSVs a NaN is written as an empty cell or ``nan``.
* ``labels.csv`` (``file,target``; Hz) labelling all but 4 files
  (:data:`UNLABELLED`, an empty target), ``truth.csv`` (every file's true frequency, kind, rate and
  layout) to evaluate the unlabelled ones, and one corrupt file
  (``broken.npy``, random bytes), which the build report lists.

Most files (22 of 48) are at :data:`SAMPLE_RATE` = 32 Hz, the most common
rate (``data.fps = 0`` resolves to it). Every value lies in
:data:`VALUE_RANGE`. Deterministic from the seed.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from tfds_builders import folder_synthetic

SAMPLE_RATE = 32.0  # .npy files and CSVs without a time column
TIMED_RATES = (25.0, 50.0, 64.0)
FREQ_RANGE = (0.8, 3.0)
DURATION = (20.0, 60.0)
VALUE_RANGE = (-5.0, 5.0)  # every generated value lies inside
CORRUPT = 'broken.npy'
TRUTH_FILE = folder_synthetic.TRUTH_FILE
read_truth = folder_synthetic.read_truth  # file -> true frequency (Hz)
# (kind, layout, count): layout npy, csv (no time), timed, irregular.
PLAN = (('accel', 'npy', 16), ('accel', 'timed', 8), ('ppg', 'csv', 6),
        ('ppg', 'timed', 9), ('ppg', 'irregular', 9))
_PPG_COPIES = (1.0, 0.6, 0.4)  # green, red, ir
# Files with an empty target: one per kind and layout group; with the
# default split (split_seed 0, test_fraction 0.2) two are in train, two in
# test.
UNLABELLED = (6, 20, 34, 45)


def _phase(t: np.ndarray, freq: float, rng) -> np.ndarray:
  """``2 pi`` times the cycles done by ``t``: the rate wobbles by up to 2%
  around ``freq`` (period 10-30 s), so ``freq`` is its mean."""
  a, period = rng.uniform(0.0, 0.02), rng.uniform(10.0, 30.0)
  theta = rng.uniform(0, 2 * np.pi)
  wobble = a * period / (2 * np.pi) * (np.sin(2 * np.pi * t / period + theta)
                                       - np.sin(theta))
  return 2 * np.pi * freq * (t + wobble) + rng.uniform(0, 2 * np.pi)


def accelerometer(t: np.ndarray, freq: float, rng) -> np.ndarray:
  """``[len(t), 3]`` acceleration (g) at cadence ``freq`` Hz."""
  phase = _phase(t, freq, rng)
  g = rng.normal(size=3)
  g /= np.linalg.norm(g)
  span = max(float(t[-1]), 1.0)
  out = np.empty((len(t), 3))
  for j in range(3):
    a1 = rng.uniform(0.3, 1.0)
    motion = sum(a * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
                 for h, a in ((1, a1), (2, rng.uniform(0, 0.5) * a1),
                              (3, rng.uniform(0, 0.25) * a1)))
    drift = (rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / rng.uniform(
        20, 80) + rng.uniform(0, 2 * np.pi))
             + rng.uniform(-0.2, 0.2) * (t / span - 0.5) * 2)
    out[:, j] = (g[j] + motion + drift
                 + rng.normal(0, rng.uniform(0.05, 0.25), len(t)))
  return out


def ppg(t: np.ndarray, freq: float, rng) -> np.ndarray:
  """``[len(t), 3]`` pulse wave at ``freq`` beats per second (arbitrary
  units) and its two scaled copies."""
  u = (_phase(t, freq, rng) / (2 * np.pi)) % 1.0

  def bump(centre, width):
    d = (u - centre + 0.5) % 1.0 - 0.5  # wrapped: smooth from beat to beat
    return np.exp(-0.5 * (d / width) ** 2)

  wave = bump(0.2, 0.07) + rng.uniform(0.2, 0.45) * bump(0.45, 0.08)
  span = max(float(t[-1]), 1.0)
  baseline = (rng.uniform(-1, 1)
              + rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * rng.uniform(
                  0.15, 0.4) * t + rng.uniform(0, 2 * np.pi))
              + rng.uniform(-0.25, 0.25) * (t / span - 0.5) * 2)
  x = (rng.uniform(0.5, 1.5) * wave + baseline
       + rng.normal(0, rng.uniform(0.02, 0.1), len(t)))
  return x[:, None] * np.asarray(_PPG_COPIES)


def _times(layout: str, rate: float, seconds: float, rng) -> np.ndarray:
  n = int(seconds * rate)
  t = np.arange(n) / rate
  if layout == 'irregular':
    t = t + rng.uniform(-0.25, 0.25, n) / rate
    t[0] = 0.0
    keep = np.ones(n, bool)
    for _ in range(int(rng.integers(1, 4))):  # dropped rows: short gaps
      a = int(rng.integers(n // 10, n - n // 10))
      keep[a:a + int(rng.integers(2, 6))] = False
    t = t[keep]
  return t


def _gaps(x: np.ndarray, rate: float, i: int, rng) -> str:
  """Writes NaN runs into ``x`` (in place); returns what was done."""
  n = len(x)
  done = []
  if i % 3 == 1:
    k = max(1, int(rng.uniform(0.05, 0.3) * rate))
    a = int(rng.integers(n // 10, n - n // 10 - k))
    x[a:a + k] = np.nan
    done.append(f'short NaN gap {k} samples at {a}')
  if i % 6 == 4:
    k = int(rng.uniform(1.5, 3.0) * rate)
    a = int(rng.integers(n // 4, n // 2))
    x[a:a + k] = np.nan
    done.append(f'long NaN gap {k} samples at {a}')
  if i in (5, 30):
    x[:3] = np.nan
    done.append('3 NaN rows at the start')
  return '; '.join(done)


def _write_csv(path: str, t, x, names, timed: bool, empty_nan: bool):
  with open(path, 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow((['time'] if timed else []) + list(names))
    nan = '' if empty_nan else 'nan'
    for k in range(len(x)):
      row = [nan if np.isnan(v) else f'{v:.5f}' for v in x[k]]
      w.writerow(([f'{t[k]:.6f}'] if timed else []) + row)


def make_folder(root: str, seed: int = 0) -> dict[str, float]:
  """Writes the synthetic folder into ``root`` (created).

  Returns:
    file (relative to ``root``) -> true frequency (Hz), for every recording
    (not the corrupt file); the same as ``truth.csv``.
  """
  rng = np.random.default_rng(seed)
  os.makedirs(root, exist_ok=True)
  rows, i = [], 0
  for kind, layout, count in PLAN:
    os.makedirs(os.path.join(root, kind), exist_ok=True)
    for _ in range(count):
      rate = (SAMPLE_RATE if layout in ('npy', 'csv')
              else TIMED_RATES[i % len(TIMED_RATES)])
      freq = round(float(rng.uniform(*FREQ_RANGE)), 3)
      t = _times(layout, rate, float(rng.uniform(*DURATION)), rng)
      x = (accelerometer if kind == 'accel' else ppg)(t, freq, rng)
      gaps = _gaps(x, rate, i, rng)
      ext = 'npy' if layout == 'npy' else 'csv'
      rel = f'{kind}/{kind}_{i:03d}.{ext}'
      path = os.path.join(root, rel)
      if ext == 'npy':
        np.save(path, x.astype(np.float32))
      else:
        names = ('ax', 'ay', 'az') if kind == 'accel' else ('green', 'red',
                                                            'ir')
        _write_csv(path, t, x, names, layout != 'csv', i % 2 == 0)
      rows.append((rel, freq, kind, layout, rate, len(t), gaps))
      i += 1
  corrupt = rng.integers(0, 256, 2048, dtype=np.uint8).tobytes()
  return folder_synthetic.write_tables(
      root, rows, set(UNLABELLED), ('file', 'target', 'kind', 'layout',
                                    'rate', 'samples', 'gaps'),
      (CORRUPT, corrupt))


def ensure_folder(root: str, seed: int = 0) -> str:
  """``root`` holding the synthetic folder, generated once
  (:func:`tfds_builders.folder_synthetic.ensure_folder`)."""
  return folder_synthetic.ensure_folder(root, make_folder, 'time_series',
                                        'recordings', seed)
