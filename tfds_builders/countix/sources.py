"""Countix's raw data: the annotation CSVs, the user's clips, and the
synthetic repetition videos (read by ``countix_dataset_builder``)."""

from __future__ import annotations

import csv
import math
import os
import re
from typing import Any

import numpy as np

from tfds_builders import common

DataError = common.DataError

_INSTRUCTIONS = """\
Countix (https://sites.google.com/view/repnet) lists repetition segments of
Kinetics-400 clips. Download the three annotation CSVs (countix_train.csv,
countix_val.csv, countix_test.csv) from the RepNet page, and the Kinetics
clips they name (e.g. with a Kinetics downloader such as
https://github.com/cvdfoundation/kinetics-dataset, or yt-dlp plus ffmpeg
for the [kinetics_start, kinetics_end] segment), named {video_id}.mp4 or
{video_id}_{start:06d}_{end:06d}.mp4. Put the CSVs and the clips (any
sub-folders) in one folder and pass it as --manual_dir (or
--config.data.manual_dir). Without any download, try the built-in
generator: --config=experiments/countix.py:synthetic.
"""
_CSV = {'train': 'countix_train.csv', 'validation': 'countix_val.csv',
        'test': 'countix_test.csv'}
_COLUMNS = ('video_id', 'kinetics_start', 'kinetics_end', 'repetition_start',
            'repetition_end', 'count')
_KINETICS_NAME = re.compile(r'^(.+)_(\d{6})_(\d{6})$')


# ---------------------------------------------------------------- synthetic


def synthetic_clip(rng: np.random.Generator, count: int, num_frames: int,
                   size: int, speed_variation: float = 0.25
                   ) -> tuple[np.ndarray, dict[str, Any]]:
  """A clip with exactly ``count`` repetitions at a varying speed.

  The phase runs ``2 pi count g(u)`` over the clip, ``u = k / num_frames``,
  with ``g(u) = u + a sin(2 pi u) / (2 pi)``, ``|a| <= speed_variation <
  1``: monotone, from 0 to 1, so the speed changes within the clip (by up to
  ``speed_variation``, relative) and the number of cycles is exactly
  ``count``; the clip's motion is periodic over its length. The motion is
  a disc moving back and forth (horizontally or vertically) or a disc
  pulsing in size, in random colours on a random background with noise.

  Returns:
    ``([num_frames, size, size, 3] uint8, info)``.
  """
  import cv2  # pylint: disable=g-import-not-at-top
  if not 0 <= speed_variation < 1:
    raise ValueError(f'speed_variation must be in [0, 1), got '
                     f'{speed_variation!r}.')
  a = rng.uniform(-speed_variation, speed_variation)
  u = np.arange(num_frames) / num_frames
  phase = 2 * np.pi * count * (u + a * np.sin(2 * np.pi * u) / (2 * np.pi))
  phase = phase + rng.uniform(0, 2 * np.pi)
  kind = ('move_x', 'move_y', 'pulse')[rng.integers(3)]
  background = rng.integers(0, 120, 3)
  colour = tuple(int(c) for c in rng.integers(130, 256, 3))
  radius = size * rng.uniform(0.12, 0.2)
  frames = np.empty((num_frames, size, size, 3), np.uint8)
  for k, p in enumerate(phase):
    frame = np.empty((size, size, 3), np.uint8)
    frame[:] = background
    cx = cy = size / 2
    r = radius
    if kind == 'move_x':
      cx += 0.28 * size * math.sin(p)
    elif kind == 'move_y':
      cy += 0.28 * size * math.sin(p)
    else:
      r = radius * (1.0 + 0.6 * math.sin(p))
    cv2.circle(frame, (int(round(cx)), int(round(cy))), max(1, int(round(r))),
               colour, -1, lineType=cv2.LINE_AA)
    noise = rng.normal(0, 4, frame.shape)
    frames[k] = np.clip(frame + noise, 0, 255).astype(np.uint8)
  return frames, {'kind': kind, 'warp': float(a)}


# ---------------------------------------------------------------- real data


def read_annotations(path: str, split: str) -> list[dict[str, Any]]:
  """The rows of a Countix CSV, validated (``class`` optional)."""
  if not os.path.isfile(path):
    raise DataError(f'countix: {path} is missing (the {split} annotations).'
                    f'\n{_INSTRUCTIONS}')
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
      raise DataError(f'{path}: missing column(s) {missing}; found '
                      f'{reader.fieldnames}. Expected the Countix layout '
                      f'{",".join(_COLUMNS[:1] + ("class",) + _COLUMNS[1:])}.')
    rows = []
    for line, row in enumerate(reader, start=2):
      rows.append(_parse_row(path, line, row))
  return rows


_FIX = ('fix or delete this row (times are seconds >= 0 in the YouTube '
        'video, count is a number of repetitions > 0)')


def _parse_row(path: str, line: int, row: dict) -> dict[str, Any]:
  """One CSV row -> a record; a bad value names the CSV, line and column."""
  if None in row or any(row.get(c) is None for c in _COLUMNS):
    raise DataError(f'{path}, line {line}: the row has '
                    f'{"too many" if None in row else "too few"} fields '
                    f'for the header; {_FIX}: {row}')
  rec = {'video_id': row['video_id'].strip(),
         'class': (row.get('class') or '').strip(), 'row_index': line - 2}
  for col in _COLUMNS[1:]:
    text = row[col].strip()
    try:
      value = float(text)
    except ValueError as e:
      raise DataError(f'{path}, line {line}, column {col!r}: {text!r} is '
                      f'not a number; {_FIX}.') from e
    if not math.isfinite(value):
      raise DataError(f'{path}, line {line}, column {col!r}: {text!r} is '
                      f'not a finite number; {_FIX}.')
    if col == 'count' and value <= 0:
      raise DataError(f'{path}, line {line}, column \'count\': {text!r} '
                      f'is not positive; {_FIX}.')
    if col != 'count' and value < 0:
      raise DataError(f'{path}, line {line}, column {col!r}: {text!r} is '
                      f'a negative time; {_FIX}.')
    rec[col] = value
  if not rec['video_id']:
    raise DataError(f'{path}, line {line}, column \'video_id\': empty; '
                    f'{_FIX}.')
  for a, b in (('repetition_start', 'repetition_end'),
               ('kinetics_start', 'kinetics_end')):
    if not rec[b] > rec[a]:
      raise DataError(f'{path}, line {line}: need {b} > {a}, got '
                      f'{rec[b]:g} <= {rec[a]:g}; {_FIX}.')
  return rec


# Float slack (seconds) when checking that a repetition lies in its clip.
_SLACK_S = 1e-6


def outside_clip(row: dict[str, Any]) -> str | None:
  """Why the repetition segment reaches outside the Kinetics clip, or None."""
  parts = []
  if row['repetition_start'] < row['kinetics_start'] - _SLACK_S:
    parts.append(f'repetition_start {row["repetition_start"]:g} s is before '
                 f'kinetics_start {row["kinetics_start"]:g} s')
  if row['repetition_end'] > row['kinetics_end'] + _SLACK_S:
    parts.append(f'repetition_end {row["repetition_end"]:g} s is after '
                 f'kinetics_end {row["kinetics_end"]:g} s')
  return ' and '.join(parts) or None


def _segment_key(row: dict[str, Any]) -> tuple:
  return (row['video_id'], row['kinetics_start'], row['kinetics_end'],
          row['repetition_start'], row['repetition_end'])


def index_clips(manual_dir: str) -> dict[str, list[tuple[str, float, float]]]:
  """``video_id -> [(path, start, end)]`` for every ``.mp4`` below
  ``manual_dir`` (start/end from a Kinetics-style name, else NaN)."""
  out: dict[str, list] = {}
  for root, _, files in os.walk(manual_dir):
    for name in files:
      stem, ext = os.path.splitext(name)
      if ext.lower() != '.mp4':
        continue
      path = os.path.join(root, name)
      match = _KINETICS_NAME.match(stem)
      if match:
        out.setdefault(match.group(1), []).append(
            (path, float(match.group(2)), float(match.group(3))))
      out.setdefault(stem, []).append((path, math.nan, math.nan))
  return out


def videos_in_several_splits(rows: dict[str, list[dict[str, Any]]]
                             ) -> dict[str, list[str]]:
  """``video_id -> splits`` for the videos listed in more than one split."""
  seen: dict[str, list[str]] = {}
  for split, split_rows in rows.items():
    for row in split_rows:
      splits = seen.setdefault(row['video_id'], [])
      if split not in splits:
        splits.append(split)
  return {v: s for v, s in sorted(seen.items()) if len(s) > 1}


def find_clip(clips, row) -> str | None:
  """The clip of ``row``: its exact Kinetics segment, else ``video_id``."""
  for path, start, end in clips.get(row['video_id'], ()):
    if start == round(row['kinetics_start']) and end == round(
        row['kinetics_end']):
      return path
  for path, start, _ in clips.get(row['video_id'], ()):
    if math.isnan(start):
      return path
  return None


def read_segment(path: str, start_s: float, end_s: float, num_frames: int,
                 size: int) -> np.ndarray:
  """``num_frames`` frames evenly spread over ``[start_s, end_s)`` of a
  video, centre-cropped square and resized; only that segment is kept."""
  import cv2  # pylint: disable=g-import-not-at-top
  cap = cv2.VideoCapture(path)
  if not cap.isOpened():
    raise DataError(f'{path}: OpenCV cannot open this video.')
  fps = float(cap.get(cv2.CAP_PROP_FPS))
  if not fps > 0:
    cap.release()
    raise DataError(f'{path}: no frame rate in the file header.')
  # Frame k is shown at k / fps; pick, for each output frame, the decoded
  # frame nearest to the middle of its share of the segment.
  want = start_s + (np.arange(num_frames) + 0.5) * (end_s - start_s) / (
      num_frames)
  idx = np.round(want * fps - 0.5).astype(np.int64).clip(min=0)
  frames, k, j = {}, 0, 0
  needed = set(idx.tolist())
  last = max(needed)
  while k <= last:
    ok, frame = cap.read()
    if not ok:
      break
    if k in needed:
      h, w = frame.shape[:2]
      side = min(h, w)
      y0, x0 = (h - side) // 2, (w - side) // 2
      crop = frame[y0:y0 + side, x0:x0 + side]
      frames[k] = cv2.cvtColor(
          cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA),
          cv2.COLOR_BGR2RGB)
    k += 1
  cap.release()
  del j
  if last not in frames:
    raise DataError(f'{path}: the video ends at frame {k} ({k / fps:.2f} '
                    f's), before the repetition segment ends at '
                    f'{end_s:.2f} s.')
  return np.stack([frames[i] for i in idx])
