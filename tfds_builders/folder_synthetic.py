"""What the generated (``:synthetic``) user folders share.

Each folder dataset (``video_folder``, ``time_series``) has a
``synthetic.make_folder(root, seed)`` that writes recordings of a known
frequency in the layout of a user's folder. This module writes the tables
that come with them (``labels.csv``, a corrupt file, ``truth.csv``), reads
``truth.csv`` back and generates a folder once, atomically.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from typing import Callable, Collection, Sequence

from tfds_builders import common
from tfds_builders import folders

TRUTH_FILE = folders.TRUTH_FILE


def write_tables(root: str, rows: Sequence[Sequence], unlabelled:
                 Collection[int], columns: Sequence[str],
                 corrupt: tuple[str, bytes]) -> dict[str, float]:
  """The tables of a generated folder.

  Args:
    root: the folder.
    rows: one per recording: its path relative to ``root``, its true
      frequency (Hz), then the facts named by ``columns[2:]``.
    unlabelled: indices of ``rows`` whose ``labels.csv`` target is empty.
    columns: the header of ``truth.csv`` (``file``, ``target``, ...), less
      the last column, ``labelled`` (1 or 0), which is appended.
    corrupt: ``(name, data)`` of the unreadable file the build reports.

  Returns:
    file -> true frequency (Hz) of every row: what ``truth.csv`` holds.
  """
  with open(os.path.join(root, folders.LABELS_FILE), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['file', 'target'])
    for i, row in enumerate(rows):
      w.writerow([row[0], '' if i in unlabelled else row[1]])
  name, data = corrupt
  with open(os.path.join(root, name), 'wb') as f:
    f.write(data)
  with open(os.path.join(root, TRUTH_FILE), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(list(columns) + ['labelled'])
    for i, row in enumerate(rows):
      w.writerow(list(row) + [int(i not in unlabelled)])
  return {row[0]: row[1] for row in rows}


def read_truth(root: str) -> dict[str, float]:
  """``truth.csv`` of a synthetic folder: file -> true frequency (Hz)."""
  with open(os.path.join(root, TRUTH_FILE), newline='') as f:
    return {r['file']: float(r['target']) for r in csv.DictReader(f)}


def ensure_folder(root: str, make_folder: Callable[..., object],
                  dataset: str, what: str, seed: int = 0) -> str:
  """``root`` holding a synthetic folder: generated once (into a temporary
  sibling, then renamed, so an interrupted run leaves nothing
  half-written), kept when ``truth.csv`` is already there.

  Args:
    root: the folder.
    make_folder: ``make_folder(path, seed=seed)`` writes the folder.
    dataset: the dataset's name, in messages (``video_folder``).
    what: what it generates, in messages (``videos``).
    seed: the generator's seed.

  Raises:
    DataError: ``root`` holds other files and no ``truth.csv``.
  """
  if os.path.exists(os.path.join(root, TRUTH_FILE)):
    return root
  if os.path.isdir(root) and os.listdir(root):
    raise common.DataError(
        f'{dataset}: data.synthetic would generate {what} into {root}, '
        f'but it holds other files (and no {TRUTH_FILE}). Choose an empty '
        'or new --config.data.path, or set data.synthetic=False.')
  parent = os.path.dirname(os.path.abspath(root))
  os.makedirs(parent, exist_ok=True)
  tmp = tempfile.mkdtemp(prefix=f'.{dataset}_synthetic_', dir=parent)
  try:
    make_folder(tmp, seed=seed)
    if os.path.isdir(root):
      os.rmdir(root)  # empty (checked above)
    os.replace(tmp, root)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise
  print(f'{dataset}: generated the synthetic folder {root}', flush=True)
  return root
