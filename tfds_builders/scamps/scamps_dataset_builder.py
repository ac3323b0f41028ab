"""SCAMPS: 2,800 synthetic avatar videos with their pulse waveform.

Raw layout in ``manual_dir`` (as distributed): one MATLAB v7.3 file per
video, ``P000001.mat`` ... ``P002800.mat``, anywhere below ``manual_dir``
(flat, or in ``Train/``, ``Val/``, ``Test/`` folders), each holding

    Xsub    face-crop frames, float in [0, 1], MATLAB size [T, H, W, 3]
    d_ppg   the pulse (PPG) waveform, one sample per frame, [T, 1]

600 frames at 30 fps (``FPS``). A v7.3 file is HDF5, which stores MATLAB's
column-major arrays with their axes reversed: ``Xsub`` reads in h5py as
``[3, W, H, T]`` (rPPG-Toolbox reads it with ``mat73``, which undoes the
reversal, and uses it as ``[T, H, W, 3]``) and is transposed to
``[T, H, W, 3]`` here. The time axis is found from ``d_ppg``'s length, the
colour axis from its size 3; the older h5py ``[T, 3, W, H]`` (MATLAB
``[H, W, 3, T]``) is read too (``xsub_axes``).

Splits, in this order of preference (which one was used is printed):
1. the official split CSV, when one is in ``manual_dir``: any ``*.csv``
   with a column named ``split`` (values train / val(idation) / test) and a
   column holding the video names (``P000001`` or ``P000001.mat``);
2. the folders ``Train``/``Val``/``Test`` the files are in;
3. otherwise, by sorted name: the first 60% ``train``, the next 20%
   ``validation``, the last 20% ``test`` (SCAMPS's 1,680 / 560 / 560).
Every video is a different synthetic subject, so no split shares one.
"""

from __future__ import annotations

import csv
import os
import re
from typing import Any, Iterator

import numpy as np

from tfds_builders import common
from tfds_builders import rppg_common

FPS = 30.0
_BLOCK = 64  # frames read from the HDF5 file at a time

_INSTRUCTIONS = """\
SCAMPS is distributed by Microsoft (see
https://github.com/danmcduff/scampsdataset for the request form and terms).
Download the videos (P000001.mat ... P002800.mat, MATLAB v7.3) and the
split file, and pass the folder holding them (flat or in Train/, Val/,
Test/ folders) as --manual_dir.
"""

_VIDEO = re.compile(r'^(P\d+)(\.mat)?$', re.IGNORECASE)
_SPLITS = {'train': 'train', 'training': 'train', 'val': 'validation',
           'valid': 'validation', 'validation': 'validation',
           'test': 'test', 'testing': 'test'}


def find_videos(manual_dir: str) -> dict[str, str]:
  """Video name (``P000001``) -> path of its ``.mat`` file."""
  out = {}
  for root, _, files in os.walk(manual_dir):
    for name in files:
      match = _VIDEO.match(name)
      if match and name.lower().endswith('.mat'):
        vid = match.group(1).upper()
        if vid in out:
          raise common.DataError(
              f'scamps: {vid} is both {out[vid]} and '
              f'{os.path.join(root, name)}; keep one copy.')
        out[vid] = os.path.join(root, name)
  return out


def read_split_csv(manual_dir: str) -> tuple[str, dict[str, str]] | None:
  """``(csv path, video -> split)`` from the first split CSV found."""
  for root, _, files in os.walk(manual_dir):
    for name in sorted(files):
      if not name.lower().endswith('.csv'):
        continue
      path = os.path.join(root, name)
      with open(path, newline='') as f:
        rows = list(csv.reader(f))
      if not rows:
        continue
      header = [h.strip().lower() for h in rows[0]]
      if 'split' not in header:
        continue
      s = header.index('split')
      mapping = {}
      for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
          continue
        vids = [m.group(1).upper() for m in
                (_VIDEO.match(os.path.basename(c.strip())) for c in row) if m]
        split = _SPLITS.get(row[s].strip().lower()) if s < len(row) else None
        if len(vids) != 1 or split is None:
          raise common.DataError(
              f'{path}, line {line}: expected one video name (P000001) and '
              f'a split (train/val/test), got {row}.')
        mapping[vids[0]] = split
      return path, mapping
  return None


def assign_splits(videos: dict[str, str], manual_dir: str
                  ) -> tuple[dict[str, list[str]], str, list[str]]:
  """``(split -> sorted names, how, names not in the split file)``."""
  out = {'train': [], 'validation': [], 'test': []}
  names = sorted(videos)
  found = read_split_csv(manual_dir)
  unlisted = []
  if found is not None:
    path, mapping = found
    for name in names:
      if name in mapping:
        out[mapping[name]].append(name)
      else:
        unlisted.append(name)
    return out, f'split file {path}', unlisted
  folders = {n: _SPLITS.get(os.path.basename(os.path.dirname(videos[n]))
                            .lower()) for n in names}
  if all(folders.values()):
    for name in names:
      out[folders[name]].append(name)
    return out, 'Train/Val/Test folders', unlisted
  n_train, n_val = round(0.6 * len(names)), round(0.2 * len(names))
  out['train'] = names[:n_train]
  out['validation'] = names[n_train:n_train + n_val]
  out['test'] = names[n_train + n_val:]
  return out, 'sorted names, 60/20/20 (no split file found)', unlisted


# The layouts of ``Xsub`` as h5py reads it (HDF5 reverses MATLAB's axes):
# name -> (channel axis, time axis). The spatial axes are the other two, in
# the order (W, H), since MATLAB keeps H before W.
_LAYOUTS = {
    'MATLAB [T, H, W, 3] (HDF5 [3, W, H, T]; as distributed, read by '
    'rPPG-Toolbox)': (0, 3),
    'MATLAB [H, W, 3, T] (HDF5 [T, 3, W, H])': (1, 0),
}


def xsub_axes(shape: tuple[int, ...], t: int, path: str) -> tuple[int, int]:
  """``(channel axis, time axis)`` of ``Xsub``'s HDF5 ``shape``.

  The time axis is the first or last one (MATLAB's first or last) as long
  as ``d_ppg`` (``t``), the channel axis another one of size 3. When several axes fit, the known layouts
  (``_LAYOUTS``) decide; an error only when that still leaves a choice.
  """
  want = ('expected MATLAB [T, H, W, 3] (HDF5 [3, W, H, T], as distributed)'
          ' or MATLAB [H, W, 3, T] (HDF5 [T, 3, W, H])')
  if len(shape) != 4:
    raise common.DataError(
        f'{path}: Xsub has HDF5 shape {shape} ({len(shape)} axes); {want}.')
  pairs = [(c, k) for k in (0, 3) if shape[k] == t
           for c in range(4) if c != k and shape[c] == 3]
  if not pairs:
    raise common.DataError(
        f'{path}: Xsub has HDF5 shape {shape}, with no first or last axis '
        f'as long as d_ppg ({t} samples, one per frame) and another of size 3 (RGB); '
        f'{want}. Check that d_ppg belongs to these frames.')
  if len(pairs) > 1:
    known = [p for p in pairs if p in _LAYOUTS.values()]
    if len(known) != 1:
      raise common.DataError(
          f'{path}: Xsub has HDF5 shape {shape} and d_ppg {t} samples: '
          f'ambiguous, the frames (length {t}) and colour (size 3) axes '
          f'could be (colour, time) = any of {pairs}; {want}. Re-save Xsub '
          'in the distributed layout.')
    pairs = known
  return pairs[0]


def read_mat(path: str) -> tuple[Iterator[np.ndarray], np.ndarray, int]:
  """``(RGB uint8 frames one at a time, ppg [T], T)`` of a SCAMPS file.

  ``Xsub`` is read the way rPPG-Toolbox reads it (``mat73``, MATLAB order
  ``[T, H, W, 3]``, which h5py sees as ``[3, W, H, T]``); the older
  MATLAB ``[H, W, 3, T]`` (h5py ``[T, 3, W, H]``) is read too. The time
  axis is found from ``d_ppg``'s length (``xsub_axes``); frames are read
  ``_BLOCK`` at a time along it.
  """
  import h5py  # pylint: disable=g-import-not-at-top
  try:
    f = h5py.File(path, 'r')
  except OSError as e:
    raise common.DataError(
        f'{path}: not readable as a MATLAB v7.3 (HDF5) file ({e}). SCAMPS '
        'files are v7.3; an older .mat (scipy.io.loadmat) is not SCAMPS.'
    ) from e
  try:
    found = sorted(f.keys())
    for key, what in (('Xsub', 'the frames'), ('d_ppg', 'the PPG')):
      if key not in found:
        raise common.DataError(
            f'{path}: no variable {key!r} ({what}); the file holds '
            f'{found}. A SCAMPS video file holds Xsub and d_ppg: is this '
            'a SCAMPS P*.mat file, complete as downloaded?')
    x = f['Xsub']
    ppg = np.asarray(f['d_ppg'], np.float64).ravel()
    t = ppg.size
    c_ax, t_ax = xsub_axes(tuple(x.shape), t, path)
  except BaseException:
    f.close()
    raise
  # Output [b, H, W, 3]: time, then the spatial axes reversed (W, H -> H,
  # W), then the channel axis.
  w_ax, h_ax = [a for a in range(4) if a not in (c_ax, t_ax)]
  order = (t_ax, h_ax, w_ax, c_ax)

  def frames():
    try:
      for start in range(0, t, _BLOCK):
        index = [slice(None)] * 4
        index[t_ax] = slice(start, start + _BLOCK)
        block = np.asarray(x[tuple(index)]).transpose(order)
        yield from rppg_common.to_uint8(block, f'{path} Xsub')
    finally:
      f.close()

  return frames(), ppg, t


class Builder(rppg_common.RppgBuilder):
  """DatasetBuilder for SCAMPS."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
  _DESCRIPTION = ('SCAMPS: 2,800 rendered avatar videos (600 frames at 30 '
                  'fps) with their ground-truth pulse waveform; chunks of '
                  'face-crop frames with the waveform and its heart rate.')
  _HOMEPAGE = 'https://github.com/danmcduff/scampsdataset'

  def _videos(self, manual_dir: str) -> dict[str, list[Any]]:
    videos = find_videos(manual_dir)
    splits, how, unlisted = assign_splits(videos, manual_dir)
    print(f'scamps: {len(videos)} videos; splits from {how}: '
          + ', '.join(f'{k} {len(v)}' for k, v in splits.items()),
          flush=True)
    if unlisted:
      print(f'scamps: {len(unlisted)} videos are not in the split file and '
            f'are not used: {unlisted[:10]}', flush=True)
    return {split: [(split, n, videos[n]) for n in names]
            for split, names in splits.items()}

  def _load(self, entry) -> dict[str, Any]:
    _, name, path = entry
    stream, ppg, _ = read_mat(path)
    frames, found = self._cropper.crop_stream(stream, path)
    return dict(frames=frames, face_detected=found, ppg=ppg, fps=FPS,
                subject=name, video_id=name)
