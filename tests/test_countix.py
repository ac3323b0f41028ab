"""Countix: the builder on its dummy data (real CSV layout, tiny .mp4 clips,
rows without a clip), the synthetic generator, and the three behaviours of
``python -m simper_jax.main --config=experiments/countix.py``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from simper_jax import datasets
from tfds_builders import common
from tfds_builders import countix

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DUMMY = os.path.join(_ROOT, 'tfds_builders', 'countix', 'dummy_data')


def _build(tmp_path, **kw):
  cfg = countix.CountixConfig(name='t', **kw)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  datasets.build(builder, '' if cfg.synthetic else _DUMMY)
  return builder


def test_dummy_data_manifest_counts_found_and_missing(tmp_path, capsys):
  builder = _build(tmp_path, num_frames=16, image_size=16)
  sizes = {k: v.num_examples for k, v in builder.info.splits.items()}
  assert sizes == {'train': 2, 'validation': 1, 'test': 1}
  counts = builder.info.metadata['manifest_counts']
  assert counts['train'] == {'rows': 3, 'found': 2, 'missing': 1}
  assert counts['test'] == {'rows': 2, 'found': 1, 'missing': 1}
  missing = [e['video_id'] for e in builder.info.metadata['manifest']['train']
             if e['status'] == 'missing']
  assert missing == ['ccccccccccc']
  out = capsys.readouterr().out
  assert 'countix [train]: 2 of 3 clips found' in out
  assert 'countix [test]: 1 of 2 clips found' in out
  train = builder.as_data_source('train')
  ex = {train[i]['video_id']: train[i] for i in range(len(train))}
  a = ex[b'aaaaaaaaaaa' if isinstance(next(iter(ex)), bytes)
         else 'aaaaaaaaaaa']
  assert a['video'].shape == (16, 16, 16, 3) and a['count'] == 3
  assert a['duration_s'] == pytest.approx(3.0)  # 20.5 .. 23.5 s
  assert a['fps'] == pytest.approx(16 / 3.0)
  test = builder.as_data_source('test')[0]
  assert test['class'] in (b'', '')  # the test CSV has no class


def test_segment_is_cut_relative_to_the_kinetics_start(tmp_path):
  # Clip 'aaaaaaaaaaa' (kinetics 20-24 s) has the disc still at x = 20
  # before 20.5 s and after 23.5 s and moving 3 times in between: the
  # segment read from it must show exactly 3 cycles of the x position.
  frames = countix.read_segment(
      os.path.join(_DUMMY, 'clips', 'aaaaaaaaaaa.mp4'), 0.5, 3.5, 30, 40)
  # The disc is bright; its x centre of mass per frame, 40x40 crop of 32x40
  # (centre-cropped to 32x32 first).
  bright = frames.astype(float).sum(-1) > 400
  xs = np.array([np.nonzero(b)[1].mean() for b in bright])
  x = xs - xs.mean()
  crossings = int(np.sum((x[:-1] < 0) & (x[1:] >= 0)))
  assert crossings == 3  # upward zero crossings: one per cycle


def test_synthetic_clips_repeat_exactly_count_times():
  # Count the cycles of the motion directly: upward crossings of the
  # mid-level of the disc's position (or area, when it pulses), taken
  # cyclically (the motion is periodic over the clip).
  rng = np.random.default_rng(0)
  kinds = set()
  for count in (2, 5, 9):
    for _ in range(4):
      video, info = countix.synthetic_clip(rng, count, 64, 40,
                                           speed_variation=0.6)
      kinds.add(info['kind'])
      img = video.astype(float).mean(-1)
      w = np.maximum(img - np.median(img, axis=(1, 2), keepdims=True) - 20,
                     0)
      if info['kind'] == 'pulse':
        s = (w > 0).sum(axis=(1, 2)).astype(float)
      else:
        grid = np.arange(40, dtype=float)
        prof = w.sum(1) if info['kind'] == 'move_x' else w.sum(2)
        s = (prof * grid).sum(1) / prof.sum(1)
      level = (s.max() + s.min()) / 2
      up = (s < level) & (np.roll(s, -1) >= level)
      assert int(up.sum()) == count, (count, info)
  assert kinds == {'move_x', 'move_y', 'pulse'}


def test_synthetic_config_needs_no_manual_dir(tmp_path):
  builder = _build(tmp_path, synthetic=True, num_frames=16, image_size=16,
                   num_train=4, num_test=2, count_range=(2, 5))
  assert builder.info.splits['train'].num_examples == 4
  counts = [builder.as_data_source('test')[i]['count'] for i in range(2)]
  assert all(2 <= c <= 5 for c in counts)


def test_bad_csv_is_named(tmp_path):
  raw = tmp_path / 'raw'
  raw.mkdir()
  for name in ('countix_train.csv', 'countix_val.csv', 'countix_test.csv'):
    (raw / name).write_text('video_id,count\nabc,3\n')
  cfg = countix.CountixConfig(name='t', num_frames=16, image_size=16)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  with pytest.raises(common.DataError,
                     match='countix_train.csv: missing column'):
    datasets.build(builder, str(raw))
  assert not (tmp_path / 'tfds' / 'countix').exists()


def _main(*args, env=None):
  return subprocess.run(
      [sys.executable, '-m', 'simper_jax.main', *args], capture_output=True,
      text=True, cwd=_ROOT, timeout=600,
      env={**os.environ, 'JAX_PLATFORMS': 'cpu', 'XLA_FLAGS': '', **(env or
                                                                    {})})


def test_countix_command_without_data_is_one_clear_message(tmp_path):
  data_dir = tmp_path / 'tfds'
  r = _main('--config=experiments/countix.py', f'--workdir={tmp_path / "w"}',
            f'--config.data.data_dir={data_dir}')
  assert r.returncode == 1
  assert 'Traceback' not in r.stderr
  err = r.stderr[r.stderr.index('error:'):]
  where = os.path.join(str(data_dir), 'downloads', 'manual', 'countix')
  assert where in err and 'does not exist' in err
  assert 'countix_train.csv' in err and 'https://' in err
  assert ':synthetic' in err


@pytest.mark.slow
def test_countix_smoke_trains_on_dummy_clips_and_reports_n(tmp_path):
  r = _main('--config=experiments/countix.py:smoke',
            f'--workdir={tmp_path / "w"}',
            f'--config.data.data_dir={tmp_path / "tfds"}')
  assert r.returncode == 0, r.stderr[-3000:]
  with open(tmp_path / 'w' / 'eval' / 'metrics.json') as f:
    metrics = json.load(f)
  assert metrics['num_clips'] == {'train': 2, 'test': 1}
  report = metrics['dataset_report']['manifest_counts']
  assert report['test'] == {'rows': 2, 'found': 1, 'missing': 1}
  for readout in ('fft', 'fft_scaled', 'linear_probe'):
    m = metrics['test'][readout]
    assert math.isfinite(m['mae']) and 0 <= m['obo'] <= 1
  assert 'obo' in r.stdout  # the printed table



# ------------------------------------------- malformed annotations (issue 13)

_HEADER = ('video_id,class,kinetics_start,kinetics_end,repetition_start,'
           'repetition_end,count\n')


def _raw(tmp_path, train, val='', test=''):
  """A manual_dir with the dummy clips and the given CSV bodies."""
  import shutil  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  shutil.copytree(os.path.join(_DUMMY, 'clips'), raw / 'clips')
  for name, body in (('countix_train.csv', train), ('countix_val.csv', val),
                     ('countix_test.csv', test)):
    (raw / name).write_text(_HEADER + body)
  return raw


def test_outside_clip_duplicates_and_shared_videos_are_reported(tmp_path,
                                                                 capsys):
  raw = _raw(
      tmp_path,
      train=('aaaaaaaaaaa,jumping jacks,20,24,19.5,23.5,3\n'  # starts early
             'bbbbbbbbbbb,squat,5,9,5.0,8.0,2\n'
             'bbbbbbbbbbb,squat,5,9,5.0,8.0,2\n'             # repeat
             'bbbbbbbbbbb,squat,5,9,5.0,8.0,4\n'             # repeat, count 4
             'ddddddddddd,clapping,0,4,0.5,4.5,5\n'),        # ends late
      val='ddddddddddd,clapping,0,4,0.5,3.5,5\n',
      test='bbbbbbbbbbb,,5,9,5.0,8.0,2\n')
  cfg = countix.CountixConfig(name='t', num_frames=16, image_size=16)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  datasets.build(builder, str(raw))
  meta = builder.info.metadata
  assert meta['manifest_counts']['train'] == {
      'rows': 5, 'found': 1, 'duplicate': 2, 'outside_clip': 2}
  status = [(e['row_index'], e['status'], e.get('duplicate_of'))
            for e in meta['manifest']['train']]
  assert status == [(0, 'outside_clip', None), (1, 'found', None),
                    (2, 'duplicate', 1), (3, 'duplicate', 1),
                    (4, 'outside_clip', None)]
  train_csv = os.path.join(str(raw), 'countix_train.csv')
  errors = [e['error'] for e in meta['manifest']['train'] if 'error' in e]
  assert errors[0] == (
      f'{train_csv}, line 2: repetition_start 19.5 s is before '
      'kinetics_start 20 s, so the clip does not hold the whole repetition '
      'segment; skipped (its count would be wrong for the shortened '
      'segment), fix the times')
  assert errors[1] == (f'{train_csv}, line 4: repeats the segment of line 3 '
                       '(same count); skipped, delete the repeated row')
  assert 'with a different count (4 vs 2; the first was kept)' in errors[2]
  assert 'repetition_end 4.5 s is after kinetics_end 4 s' in errors[3]
  # Only the one clean train row became an example, with its full segment.
  assert builder.info.splits['train'].num_examples == 1
  (ex,) = [builder.as_data_source('train')[0]]
  assert ex['count'] == 2 and ex['duration_s'] == pytest.approx(3.0)
  # bbbbbbbbbbb is in train and test, ddddddddddd in train and validation.
  assert meta['videos_in_several_splits'] == {
      'bbbbbbbbbbb': ['train', 'test'], 'ddddddddddd': ['train', 'validation']}
  (warning,) = meta['warnings']
  assert warning.startswith('2 video(s) appear in more than one split: '
                            'bbbbbbbbbbb (train+test), ddddddddddd '
                            '(train+validation); ')
  out = capsys.readouterr().out
  assert 'countix [train]: 1 of 1 clips found' in out
  assert ('countix [train]: 2 duplicate rows and 2 rows whose repetition '
          'reaches outside its clip skipped') in out
  assert f'countix: warning: {warning}' in out


@pytest.mark.parametrize('column,value,what', [
    ('count', 'inf', "'inf' is not a finite number"),
    ('repetition_end', 'inf', "'inf' is not a finite number"),
    ('kinetics_start', 'nan', "'nan' is not a finite number"),
    ('count', '0', "'0' is not positive"),
    ('count', '-2', "'-2' is not positive"),
    ('repetition_start', '-1', "'-1' is a negative time"),
    ('kinetics_end', 'ten', "'ten' is not a number"),
])
def test_non_finite_or_non_positive_values_name_csv_line_column(
    tmp_path, column, value, what):
  good = {'video_id': 'aaaaaaaaaaa', 'class': 'jumping jacks',
          'kinetics_start': '20', 'kinetics_end': '24',
          'repetition_start': '20.5', 'repetition_end': '23.5', 'count': '3'}
  bad = {**good, column: value}
  cols = _HEADER.strip().split(',')
  raw = _raw(tmp_path, train=','.join(good[c] for c in cols) + '\n'
             + ','.join(bad[c] for c in cols) + '\n')
  cfg = countix.CountixConfig(name='t', num_frames=16, image_size=16)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  with pytest.raises(common.DataError) as e:
    datasets.build(builder, str(raw))
  path = os.path.join(str(raw), 'countix_train.csv')
  assert str(e.value) == (
      f'{path}, line 3, column {column!r}: {what}; fix or delete this row '
      '(times are seconds >= 0 in the YouTube video, count is a number of '
      'repetitions > 0).')
  assert not (tmp_path / 'tfds' / 'countix').exists()


@pytest.mark.parametrize('row,what', [
    ('aaaaaaaaaaa,x,20,24,22,21,3', 'need repetition_end > repetition_start,'
     ' got 21 <= 22'),
    ('aaaaaaaaaaa,x,24,20,20.5,23.5,3', 'need kinetics_end > kinetics_start,'
     ' got 20 <= 24'),
    ('aaaaaaaaaaa,x,20,24,20.5,23.5', 'the row has too few fields'),
    ('aaaaaaaaaaa,x,20,24,20.5,23.5,3,7', 'the row has too many fields'),
    (',x,20,24,20.5,23.5,3', "column 'video_id': empty"),
])
def test_impossible_rows_name_csv_and_line(tmp_path, row, what):
  raw = _raw(tmp_path, train='bbbbbbbbbbb,squat,5,9,5.0,8.0,2\n' + row + '\n')
  cfg = countix.CountixConfig(name='t', num_frames=16, image_size=16)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  with pytest.raises(common.DataError) as e:
    datasets.build(builder, str(raw))
  path = os.path.join(str(raw), 'countix_train.csv')
  assert str(e.value).startswith(f'{path}, line 3')
  assert what in str(e.value) and 'fix or delete this row' in str(e.value)
  assert not (tmp_path / 'tfds' / 'countix').exists()


def test_corrupt_and_too_short_clips_are_counted_not_dropped(tmp_path,
                                                            capsys):
  import cv2  # pylint: disable=g-import-not-at-top
  raw = _raw(tmp_path, train=('aaaaaaaaaaa,a,20,24,20.5,23.5,3\n'
                              'bbbbbbbbbbb,b,5,9,5.0,8.0,2\n'
                              'ddddddddddd,d,0,4,0.5,3.5,5\n'),
             val='eeeeeeeeeee,e,12,16,12.5,15.5,3\n',
             test='eeeeeeeeeee,,12,16,12.5,15.5,3\n')
  (raw / 'clips' / 'aaaaaaaaaaa.mp4').write_bytes(b'\x00' * 500)  # corrupt
  short = str(raw / 'clips' / 'ddddddddddd.mp4')  # 1 s for a 3.5 s segment
  writer = cv2.VideoWriter(short, cv2.VideoWriter_fourcc(*'mp4v'), 10.0,
                           (16, 16))
  for _ in range(10):
    writer.write(np.zeros((16, 16, 3), np.uint8))
  writer.release()
  cfg = countix.CountixConfig(name='t', num_frames=16, image_size=16)
  builder = countix.Builder(config=cfg, data_dir=str(tmp_path / 'tfds'))
  datasets.build(builder, str(raw))
  meta = builder.info.metadata
  assert meta['manifest_counts']['train'] == {'rows': 3, 'found': 1,
                                              'unreadable': 2}
  errors = {e['video_id']: e['error'] for e in meta['manifest']['train']
            if e['status'] == 'unreadable'}
  assert 'OpenCV cannot open this video' in errors['aaaaaaaaaaa']
  assert errors['ddddddddddd'].startswith(f'{short}: the video ends at '
                                          'frame 10 (1.00 s)')
  assert builder.info.splits['train'].num_examples == 1
  out = capsys.readouterr().out
  assert 'countix [train]: row 0 not used:' in out
  assert 'countix [train]: row 2 not used:' in out
