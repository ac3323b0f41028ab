"""Countix: repetition counting in Kinetics clips (Dwibedi et al., 2020).

Two configs:

- ``default``: the real Countix. ``manual_dir`` holds the annotation CSVs
  ``countix_train.csv``, ``countix_val.csv``, ``countix_test.csv`` (columns
  ``video_id,class,kinetics_start,kinetics_end,repetition_start,
  repetition_end,count``; the test CSV has no ``class``) and the clips the
  user downloaded, anywhere below it, named ``{video_id}.mp4`` or, in the
  Kinetics convention, ``{video_id}_{start:06d}_{end:06d}.mp4``. A clip is
  the Kinetics segment, starting at ``kinetics_start`` in the YouTube video,
  so the repetition segment is ``[repetition_start - kinetics_start,
  repetition_end - kinetics_start]`` seconds of it (set
  ``clips_are_full_videos=True`` if you downloaded whole YouTube videos).
  The segment is decoded (OpenCV), centre-cropped to a square, resized to
  ``image_size`` and resampled to ``num_frames`` frames evenly spread over
  it, so every example spans exactly its repetitions.
  Many YouTube videos have disappeared: rows whose clip is not found,
  cannot be decoded, or is shorter than the segment are never dropped
  silently. The build prints found / missing counts per split and writes a
  manifest (every row's status) to the dataset's ``metadata.json``
  (``manifest``); evaluation copies the counts next to its results.
  Malformed rows: a non-finite or non-positive count, a negative or
  non-finite time, stops the build naming the CSV, line and column; a
  repetition reaching outside its clip (status ``outside_clip``) and a
  repeat of an earlier row's segment (status ``duplicate``) are skipped
  and counted; videos listed in two splits are a warning
  (``metadata['warnings']``, ``metadata['videos_in_several_splits']``).
- ``synthetic``: no download. Repetition videos made here: a shape that
  moves back and forth or pulses a known number of times over the clip, at
  a speed that varies within the clip; the count is exact.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import common
from tfds_builders.countix.sources import _CSV
from tfds_builders.countix.sources import _INSTRUCTIONS
from tfds_builders.countix.sources import _segment_key
from tfds_builders.countix.sources import find_clip
from tfds_builders.countix.sources import index_clips
from tfds_builders.countix.sources import outside_clip
from tfds_builders.countix.sources import read_annotations
from tfds_builders.countix.sources import read_segment
from tfds_builders.countix.sources import synthetic_clip
from tfds_builders.countix.sources import videos_in_several_splits

_VIDEO_ENCODING = tfds.features.Encoding.BYTES
DataError = common.DataError



@dataclasses.dataclass(eq=False)
class CountixConfig(tfds.core.BuilderConfig):
  """Clip size and, for ``synthetic``, the generator's settings.

  Attributes:
    num_frames: frames per example, spread evenly over the repetitions.
    image_size: side of the square frames.
    clips_are_full_videos: the downloaded files are whole YouTube videos
      (repetition times used as they are), not Kinetics clips.
    synthetic: generate the videos (no ``manual_dir``).
    num_train, num_test: synthetic clips per split (validation: num_test).
    count_range: synthetic counts, inclusive integers.
    speed_variation: synthetic speed change within a clip (relative).
    seed: synthetic generator seed.
  """
  num_frames: int = 64
  image_size: int = 112
  clips_are_full_videos: bool = False
  synthetic: bool = False
  num_train: int = 800
  num_test: int = 400
  count_range: tuple[int, int] = (2, 12)
  speed_variation: float = 0.25
  seed: int = 0

  def __post_init__(self):
    if int(self.num_frames) != self.num_frames or self.num_frames < 8:
      raise ValueError(f'countix: num_frames must be an integer >= 8, got '
                       f'{self.num_frames!r}.')
    if int(self.image_size) != self.image_size or self.image_size < 8:
      raise ValueError(f'countix: image_size must be an integer >= 8, got '
                       f'{self.image_size!r}.')
    lo, hi = self.count_range
    if self.synthetic and (not 1 <= lo <= hi or 2 * hi >= self.num_frames):
      raise ValueError(
          f'countix: count_range {self.count_range} must satisfy 1 <= low '
          f'<= high < num_frames / 2 = {self.num_frames / 2:g} (more '
          'repetitions than that cannot be seen in the frames).')




class Builder(array_record.ArrayRecordBuilder):
  """DatasetBuilder for Countix (real, manual download) and a synthetic
  stand-in."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [
      CountixConfig(name='default', description=(
          'Countix from the user\'s Kinetics clips: 64 frames of 112x112 '
          'spanning each repetition segment.')),
      CountixConfig(name='synthetic', synthetic=True, description=(
          'Generated repetition videos (no download): 64 frames of '
          '112x112, 2-12 repetitions at a varying speed.')),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = 'default'
  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS

  def _info(self) -> tfds.core.DatasetInfo:
    c = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=('Repetition counting: each example spans one '
                     'repetition segment, resampled to a fixed number of '
                     'frames; the target is the number of repetitions.'),
        features=tfds.features.FeaturesDict({
            'video': tfds.features.Tensor(
                shape=(c.num_frames, c.image_size, c.image_size, 3),
                dtype=np.uint8, encoding=_VIDEO_ENCODING,
                doc='Frames spread evenly over the segment, RGB.'),
            'count': tfds.features.Scalar(
                dtype=np.float32, doc='Repetitions in the segment.'),
            'duration_s': tfds.features.Scalar(
                dtype=np.float32, doc='Length of the segment, seconds.'),
            'fps': tfds.features.Scalar(
                dtype=np.float32,
                doc='Frames per second of the example (num_frames / '
                'duration_s).'),
            'video_id': tfds.features.Text(doc='YouTube id (or synthetic '
                                           'id).'),
            'class': tfds.features.Text(doc='Kinetics class ("" in test).'),
            'row_index': tfds.features.Scalar(
                dtype=np.int32, doc='Row of the split\'s CSV.'),
        }),
        supervised_keys=('video', 'count'),
        homepage='https://sites.google.com/view/repnet',
        citation=self.get_metadata().citation,
        metadata=tfds.core.MetadataDict(),
    )

  def _split_generators(self, dl_manager):
    c = self.builder_config
    if c.synthetic:
      return {'train': self._synthetic('train', c.num_train, 0),
              'validation': self._synthetic('validation', c.num_test, 1),
              'test': self._synthetic('test', c.num_test, 2)}
    manual_dir = common.manual_dir(dl_manager, 'countix', _INSTRUCTIONS)
    rows = {s: read_annotations(os.path.join(manual_dir, f), s)
            for s, f in _CSV.items()}
    clips = index_clips(manual_dir)
    manifest = {s: [] for s in rows}
    plan = {s: [] for s in rows}
    for split, split_rows in rows.items():
      csv_path = os.path.join(manual_dir, _CSV[split])
      first: dict[tuple, dict] = {}
      for row in split_rows:
        entry = {'row_index': row['row_index'], 'video_id': row['video_id']}
        manifest[split].append(entry)
        line = row['row_index'] + 2
        earlier = first.setdefault(_segment_key(row), row)
        if earlier is not row:
          # A repeat of an earlier row's segment: one example per segment.
          same = earlier['count'] == row['count']
          entry.update(
              status='duplicate', path=None,
              duplicate_of=earlier['row_index'],
              error=(f'{csv_path}, line {line}: repeats the segment of line '
                     f'{earlier["row_index"] + 2} '
                     + ('(same count)' if same else
                        f'with a different count ({row["count"]:g} vs '
                        f'{earlier["count"]:g}; the first was kept)')
                     + '; skipped, delete the repeated row'))
          continue
        if not c.clips_are_full_videos:
          why = outside_clip(row)
          if why:
            # Clamping would keep the count over a shorter segment: wrong.
            entry.update(status='outside_clip', path=None, error=(
                f'{csv_path}, line {line}: {why}, so the clip does not hold '
                'the whole repetition segment; skipped (its count would be '
                'wrong for the shortened segment), fix the times'))
            continue
        path = find_clip(clips, row)
        entry.update(status='found' if path else 'missing', path=path)
        if path:
          plan[split].append((row, path))
    found = sum(len(p) for p in plan.values())
    for split in rows:
      status = [e['status'] for e in manifest[split]]
      k, dup, out = (status.count(s) for s in
                     ('found', 'duplicate', 'outside_clip'))
      n = len(status) - dup - out
      print(f'countix [{split}]: {k} of {n} clips found in {manual_dir} '
            f'({n - k} missing; listed in metadata.json "manifest")',
            flush=True)
      if dup or out:
        print(f'countix [{split}]: {dup} duplicate rows and {out} rows '
              'whose repetition reaches outside its clip skipped (status '
              '"duplicate" / "outside_clip" in the manifest)', flush=True)
        for e in manifest[split]:
          if e['status'] in ('duplicate', 'outside_clip'):
            print(f'countix [{split}]: {e["error"]}', flush=True)
    shared = videos_in_several_splits(rows)
    warnings = []
    if shared:
      listed = ', '.join(f'{v} ({"+".join(s)})'
                         for v, s in list(shared.items())[:10])
      warnings.append(
          f'{len(shared)} video(s) appear in more than one split: {listed}'
          f'{" ..." if len(shared) > 10 else ""}; a model may be evaluated '
          'on a video it was trained on. Remove them from one CSV for a '
          'clean evaluation (all listed in metadata.json '
          '"videos_in_several_splits").')
    for w in warnings:
      print(f'countix: warning: {w}', flush=True)
    self.info.metadata['videos_in_several_splits'] = shared
    self.info.metadata['warnings'] = warnings
    self._manifest = manifest
    self.info.metadata['manifest'] = manifest
    self.info.metadata['manifest_counts'] = self._counts()
    return {split: self._real(split, plan[split]) for split in rows}

  def needs_manual_dir(self) -> bool:
    """Whether the build reads ``manual_dir`` (not for ``synthetic``)."""
    return not self.builder_config.synthetic

  def _generate_examples(self, examples):
    """Unused: ``_split_generators`` returns the example iterators."""
    yield from examples

  def _counts(self):
    out = {}
    for split, entries in self._manifest.items():
      status = [e['status'] for e in entries]
      out[split] = {'rows': len(status),
                    **{s: status.count(s) for s in sorted(set(status))}}
    return out

  def _real(self, split, plan) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    by_row = {e['row_index']: e for e in self._manifest[split]}
    for row, path in plan:
      offset = 0.0 if c.clips_are_full_videos else row['kinetics_start']
      start = row['repetition_start'] - offset
      end = row['repetition_end'] - offset
      try:
        video = read_segment(path, start, end, c.num_frames, c.image_size)
      except DataError as e:
        by_row[row['row_index']]['status'] = 'unreadable'
        by_row[row['row_index']]['error'] = str(e)
        print(f'countix [{split}]: row {row["row_index"]} not used: {e}',
              flush=True)
        continue
      duration = end - start
      self.info.metadata['manifest_counts'] = self._counts()
      yield f'{split}/{row["row_index"]:06d}', {
          'video': video, 'count': np.float32(row['count']),
          'duration_s': np.float32(duration),
          'fps': np.float32(c.num_frames / duration),
          'video_id': row['video_id'], 'class': row['class'],
          'row_index': np.int32(row['row_index'])}
    self.info.metadata['manifest'] = self._manifest
    self.info.metadata['manifest_counts'] = self._counts()

  def _synthetic(self, split, n, stream) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    rng = np.random.default_rng((c.seed, stream))
    lo, hi = c.count_range
    for i in range(n):
      count = int(rng.integers(lo, hi + 1))
      video, _ = synthetic_clip(rng, count, c.num_frames, c.image_size,
                                c.speed_variation)
      duration = float(rng.uniform(2.0, 8.0))
      yield f'{split}/{i:06d}', {
          'video': video, 'count': np.float32(count),
          'duration_s': np.float32(duration),
          'fps': np.float32(c.num_frames / duration),
          'video_id': f'synthetic_{split}_{i:06d}', 'class': '',
          'row_index': np.int32(i)}
