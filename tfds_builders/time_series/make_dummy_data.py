"""Writes ``dummy_data/``: four tiny recordings in the layouts the builder
reads, a corrupt file and a labels.csv (a few KB).

    python tfds_builders/time_series/make_dummy_data.py

At 10 Hz (``sample_rate`` for the files without time stamps):

* ``a.npy``: ``[40]``, a 1 Hz sine;
* ``b.npy``: ``[50, 3]``, sines at 0.5 Hz, phase-shifted per channel;
* ``sub/c.csv``: ``time,ppg,quality``: 41 rows, t = 0.0 .. 4.0 s every
  0.1 s except three jittered stamps (0.32, 2.18, 3.13), a NaN gap at 1.5
  and 1.6 s (empty cells; filled by a build), and a text column (ignored);
* ``d.csv``: ``x,y,z`` (no time column), 36 rows;
* ``corrupt.npy``: not an array;
* ``labels.csv``: ``a.npy`` (train), ``b.npy``, ``sub/c.csv`` (test)
  labelled, ``d.csv`` unlabelled, and a label for ``missing.npy``.
"""

import csv
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
RATE = 10.0


def main():
  os.makedirs(os.path.join(HERE, 'sub'), exist_ok=True)
  t = np.arange(50) / RATE
  np.save(os.path.join(HERE, 'a.npy'),
          np.sin(2 * np.pi * 1.0 * t[:40]).astype(np.float32))
  np.save(os.path.join(HERE, 'b.npy'), np.stack(
      [np.sin(2 * np.pi * 0.5 * t + k) for k in range(3)], 1).astype(
          np.float32))
  jitter = {3: 0.32, 22: 2.18, 31: 3.13}
  with open(os.path.join(HERE, 'sub', 'c.csv'), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['time', 'ppg', 'quality'])
    for k in range(41):
      tk = jitter.get(k, k / RATE)
      value = '' if k in (15, 16) else f'{np.sin(2 * np.pi * 1.2 * tk):.4f}'
      w.writerow([f'{tk:.2f}', value, 'ok'])
  with open(os.path.join(HERE, 'd.csv'), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['x', 'y', 'z'])
    for k in range(36):
      s = np.sin(2 * np.pi * 0.8 * k / RATE)
      w.writerow([f'{s:.4f}', f'{0.5 * s:.4f}', f'{1 + 0.1 * s:.4f}'])
  with open(os.path.join(HERE, 'corrupt.npy'), 'wb') as f:
    f.write(b'this is not a numpy array\n' * 4)
  with open(os.path.join(HERE, 'labels.csv'), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['file', 'target', 'split'])
    w.writerows([['a.npy', '1.0', 'train'], ['b.npy', '0.5', ''],
                 ['sub/c.csv', '1.2', 'test'], ['d.csv', '', ''],
                 ['missing.npy', '2.0', '']])


if __name__ == '__main__':
  main()
