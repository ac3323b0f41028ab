"""The heart-rate builders (SCAMPS, UBFC-rPPG, PURE) and ``prepare``.

All offline: each builder's ``dummy_data/`` (the real raw formats, written
by the ``make_dummy_data.py`` next to it), and longer synthetic pulsing
faces generated here, from which the ``heart_rate`` label and the HR
evaluation of the video must both recover the true rate.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfds_builders import rppg_common
from tfds_builders import rppg_synthetic
from tfds_builders import signals

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ('scamps', 'ubfc_rppg', 'pure')
# What each dummy_data/ holds: split -> {video_id: true bpm}.
DUMMY = {
    'scamps': {'train': {'P000001': 66.0}, 'validation': {'P000002': 90.0},
               'test': {'P000003': 120.0}},
    'ubfc_rppg': {'train': {'subject1': 66.0, 'subject3': 90.0},
                  'test': {'subject40': 120.0}},
    'pure': {'train': {'01-01': 66.0, '02-01': 90.0},
             'test': {'08-01': 120.0}},
}


def _builder(name, data_dir, **config):
  module = importlib.import_module(f'tfds_builders.{name}')
  cfg = rppg_common.RppgConfig(name='t', **config)
  return module.Builder(config=cfg, data_dir=str(data_dir))


def _build(name, data_dir, manual_dir, **config):
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  builder = _builder(name, data_dir, **config)
  datasets.build(builder, str(manual_dir))
  return builder


def _examples(builder, split):
  source = builder.as_data_source(split=split)
  return [source[i] for i in range(len(source))]


def _dummy(name):
  return os.path.join(_ROOT, 'tfds_builders', name, 'dummy_data')


@pytest.mark.parametrize('name', NAMES)
def test_dummy_data_builds_with_the_documented_features(name, tmp_path):
  builder = _build(name, tmp_path, _dummy(name), image_size=16,
                   chunk_length=12)
  seen = {}
  for split, videos in DUMMY[name].items():
    examples = _examples(builder, split)
    assert examples, split
    for ex in examples:
      assert ex['video'].shape == (12, 16, 16, 3)
      assert ex['video'].dtype == np.uint8
      assert ex['ppg'].shape == (12,) and ex['ppg'].dtype == np.float32
      assert 45 <= float(ex['heart_rate']) <= 150
      assert abs(float(ex['fps']) - 30.0) < 1.0
      vid = ex['video_id'].decode() if isinstance(
          ex['video_id'], bytes) else ex['video_id']
      assert vid in videos
      assert bool(ex['face_detected'])  # the drawn face is found
      seen.setdefault(split, set()).add(vid)
    assert seen[split] == set(videos)
  report = builder.info.metadata['build_report']
  assert sum(s['chunks'] for s in report.values()) == sum(
      len(_examples(builder, s)) for s in DUMMY[name])
  assert all(not s['no_face_videos'] for s in report.values())


@pytest.mark.parametrize('name', NAMES)
def test_splits_never_share_a_subject(name, tmp_path):
  builder = _build(name, tmp_path, _dummy(name), image_size=16,
                   chunk_length=12)
  subjects = {s: {bytes(e['subject']) if not isinstance(e['subject'], str)
                  else e['subject'].encode() for e in _examples(builder, s)}
              for s in DUMMY[name]}
  splits = list(subjects)
  for i, a in enumerate(splits):
    for b in splits[i + 1:]:
      assert not subjects[a] & subjects[b], (a, b)


def _hr_of_video(video, fps):
  """The HR evaluation applied to a video: mean green of the crop."""
  green = video[..., 1].astype(np.float64).mean(axis=(1, 2))
  return signals.hr_fft(green, fps)


# 30 fps, 256-frame chunks: the periodogram's bins are 30/256 Hz apart;
# bin 10 is 70.3125 bpm and bin 12 84.375 bpm, so an exact recovery within
# 1 bpm is possible and anything misaligned is caught.
_LONG = 256


@pytest.mark.parametrize('name,hr', [('ubfc_rppg', 70.3125),
                                     ('scamps', 84.375),
                                     ('pure', 70.3125)])
def test_pulsing_face_label_and_video_both_give_the_rate(name, hr,
                                                         tmp_path):
  raw = tmp_path / 'raw'
  if name == 'pure':
    start = 1_400_000_000_000_000_000
    frame_ts = start + np.round(np.arange(_LONG + 4) / 30.0 * 1e9).astype(
        np.int64)
    ppg_ts = rppg_synthetic.uneven_times_ns(start - 40_000_000,
                                            (_LONG + 8) / 30.0, 60.0, 0.3, 1)
    t = (frame_ts - start) * 1e-9
    frames = rppg_synthetic.face_frames(t, hr, height=40, width=48)
    wave = 128 + 40 * rppg_synthetic.ppg((ppg_ts - start) * 1e-9, hr)
    rppg_synthetic.write_pure_recording(str(raw), '03-02', frames, frame_ts,
                                        ppg_ts, wave)
  else:
    t = np.arange(_LONG) / 30.0
    frames = rppg_synthetic.face_frames(t, hr, height=40, width=48)
    if name == 'scamps':
      raw.mkdir()
      rppg_synthetic.write_scamps_mat(str(raw / 'P000007.mat'), frames,
                                      rppg_synthetic.ppg(t, hr))
    else:
      rppg_synthetic.write_ubfc_subject(str(raw / 'subject5'), frames,
                                        rppg_synthetic.ppg(t, hr), 30.0)
  builder = _build(name, tmp_path / 'tfds', raw, image_size=24,
                   chunk_length=_LONG)
  (ex,) = [e for s in builder.info.splits for e in _examples(builder, s)]
  assert bool(ex['face_detected'])
  assert abs(float(ex['heart_rate']) - hr) < 1.0
  assert abs(_hr_of_video(ex['video'], float(ex['fps'])) - hr) < 1.0


@pytest.mark.parametrize('layout,hdf5_shape', [
    ('matlab_thw3', (3, 24, 20, 12)),  # as distributed: MATLAB [T, H, W, 3]
    ('old', (12, 3, 24, 20)),          # MATLAB [H, W, 3, T]
])
def test_scamps_reads_matlab_axis_order(layout, hdf5_shape, tmp_path):
  # An asymmetric frame (H 20 != W 24): a bright pixel block at the
  # top-left, and a colour per channel. rPPG-Toolbox reads Xsub with mat73
  # as [T, H, W, 3]; HDF5 reverses MATLAB's axes, so h5py sees [3, W, H, T].
  frames = np.zeros((12, 20, 24, 3), np.uint8)
  frames[:, 2:6, 1:4, 0] = 255
  frames[:, 10:12, 15:19, 2] = 128
  frames += np.arange(12, dtype=np.uint8)[:, None, None, None]
  raw = tmp_path / 'raw'
  raw.mkdir()
  rppg_synthetic.write_scamps_mat(str(raw / 'P000001.mat'), frames,
                                  rppg_synthetic.ppg(np.arange(12) / 30, 80),
                                  layout=layout)
  import h5py  # pylint: disable=g-import-not-at-top
  with h5py.File(raw / 'P000001.mat', 'r') as f:
    assert f['Xsub'].shape == hdf5_shape
  with open(raw / 'P000001.mat', 'rb') as f:
    assert f.read(10) == b'MATLAB 7.3'
  builder = _build('scamps', tmp_path / 'tfds', raw, image_size=20,
                   chunk_length=12, face_crop=False)
  (ex,) = _examples(builder, 'train')
  import cv2  # pylint: disable=g-import-not-at-top
  want = np.stack([cv2.resize(f, (20, 20), interpolation=cv2.INTER_AREA)
                   for f in frames])
  np.testing.assert_array_equal(ex['video'], want)


def test_scamps_dummy_data_has_the_distributed_layout():
  import h5py  # pylint: disable=g-import-not-at-top
  with h5py.File(os.path.join(_dummy('scamps'), 'P000001.mat'), 'r') as f:
    assert f['Xsub'].shape == (3, 40, 32, 48)  # [3, W, H, T]
    assert f['d_ppg'].shape == (1, 48)


def test_scamps_reads_frames_in_blocks_along_time(tmp_path):
  from tfds_builders import scamps  # pylint: disable=g-import-not-at-top
  t = np.arange(150) / 30.0  # more than two blocks of 64
  frames = rppg_synthetic.face_frames(t, 80, height=16, width=20, noise=0)
  path = str(tmp_path / 'P000001.mat')
  rppg_synthetic.write_scamps_mat(path, frames, rppg_synthetic.ppg(t, 80))
  stream, ppg, n = scamps.read_mat(path)
  assert n == 150 and ppg.shape == (150,)
  np.testing.assert_array_equal(np.stack(list(stream)), frames)


def test_scamps_axes_found_from_the_ppg_length_or_a_clear_error():
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  from tfds_builders.scamps import scamps_dataset_builder as sb  # pylint: disable=g-import-not-at-top
  assert sb.xsub_axes((3, 240, 240, 600), 600, 'P.mat') == (0, 3)
  assert sb.xsub_axes((600, 3, 240, 240), 600, 'P.mat') == (1, 0)
  # A frame side as long as the video: the known layouts decide.
  assert sb.xsub_axes((3, 240, 240, 240), 240, 'P.mat') == (0, 3)
  assert sb.xsub_axes((240, 3, 240, 240), 240, 'P.mat') == (1, 0)
  # Any other place of the time and colour axes, when only one fits.
  assert sb.xsub_axes((600, 240, 3, 240), 600, 'P.mat') == (2, 0)
  # Time is MATLAB's first or last axis: a frame side of d_ppg's length
  # elsewhere is no time axis.
  with pytest.raises(common.DataError, match='no first or last axis'):
    sb.xsub_axes((3, 600, 240, 240), 600, 'P.mat')
  with pytest.raises(common.DataError,
                     match=r"P\.mat: Xsub .* \(3, 3, 3, 3\) .* ambiguous"):
    sb.xsub_axes((3, 3, 3, 3), 3, 'P.mat')
  with pytest.raises(common.DataError,
                     match=r'P\.mat: Xsub .* no first or last axis as long as d_ppg '
                     r'\(599 samples'):
    sb.xsub_axes((3, 240, 240, 600), 599, 'P.mat')
  with pytest.raises(common.DataError, match=r'P\.mat: .*3 axes'):
    sb.xsub_axes((3, 240, 600), 600, 'P.mat')


def _leftovers(data_dir, name):
  root = data_dir / name
  return [os.path.join(d, f) for d, _, fs in os.walk(root)
          for f in fs] if root.exists() else []


def test_scamps_ppg_not_matching_the_frames_names_the_file(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  raw.mkdir()
  t = np.arange(24) / 30.0
  rppg_synthetic.write_scamps_mat(
      str(raw / 'P000001.mat'),
      rppg_synthetic.face_frames(t, 80, height=16, width=20, noise=0),
      rppg_synthetic.ppg(t[:20], 80))
  with pytest.raises(common.DataError) as e:
    _build('scamps', tmp_path / 'tfds', raw, image_size=8, chunk_length=10)
  msg = str(e.value)
  assert str(raw / 'P000001.mat') in msg
  assert 'no first or last axis as long as d_ppg (20 samples' in msg
  assert 'HDF5 [3, W, H, T]' in msg
  assert not _leftovers(tmp_path / 'tfds', 'scamps')


def test_scamps_without_xsub_names_the_file_and_the_variables(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  import h5py  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  raw.mkdir()
  with h5py.File(raw / 'P000001.mat', 'w', userblock_size=512) as f:
    f['d_ppg'] = np.zeros((1, 24))
    f['Xsub_old'] = np.zeros((3, 4, 4, 24))
  with pytest.raises(common.DataError) as e:
    _build('scamps', tmp_path / 'tfds', raw, image_size=8, chunk_length=10)
  msg = str(e.value)
  assert msg.startswith(f"{raw / 'P000001.mat'}: no variable 'Xsub'")
  assert "['Xsub_old', 'd_ppg']" in msg
  assert 'Invalid' not in msg
  assert not _leftovers(tmp_path / 'tfds', 'scamps')


def _ubfc_lines(path, order):
  t = np.arange(40) / 30.0
  lines = {'ppg': rppg_synthetic.ppg(t, 80), 'hr': np.full(40, 72.0),
           'time': t}
  with open(path, 'w') as f:
    for key in order:
      f.write(' '.join(f'{v:.7e}' for v in lines[key]) + '\n')
  return lines['ppg']


@pytest.mark.parametrize('order', [
    ('ppg', 'hr', 'time'), ('time', 'ppg', 'hr'), ('time', 'hr', 'ppg'),
    ('hr', 'time', 'ppg'), ('hr', 'ppg', 'time'), ('ppg', 'time'),
    ('ppg',)])
def test_ubfc_finds_the_ppg_line_wherever_it_is(order, tmp_path):
  from tfds_builders import ubfc_rppg  # pylint: disable=g-import-not-at-top
  path = tmp_path / 'ground_truth.txt'
  want = _ubfc_lines(path, order)
  np.testing.assert_allclose(ubfc_rppg.read_ground_truth(str(path)), want,
                             rtol=1e-6)


@pytest.mark.parametrize('order', [('time', 'hr'), ('time',),
                                   ('hr', 'ppg', 'ppg')])
def test_ubfc_ground_truth_without_one_ppg_line_names_the_file(order,
                                                               tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  from tfds_builders import ubfc_rppg  # pylint: disable=g-import-not-at-top
  path = tmp_path / 'ground_truth.txt'
  _ubfc_lines(path, order)
  with pytest.raises(common.DataError) as e:
    ubfc_rppg.read_ground_truth(str(path))
  msg = str(e.value)
  assert msg.startswith(f'{path}: cannot tell which line is the PPG')
  assert 'line 1: 40 values, ' + {'time': 'time stamps', 'hr': 'heart rate'
                                  }[order[0]] in msg


def test_ubfc_time_stamps_first_gives_the_true_heart_rate(tmp_path):
  raw = tmp_path / 'raw'
  hr = 70.3125
  t = np.arange(_LONG) / 30.0
  rppg_synthetic.write_ubfc_subject(
      str(raw / 'subject5'),
      rppg_synthetic.face_frames(t, hr, height=16, width=20, noise=0),
      rppg_synthetic.ppg(t, hr), 30.0)
  gt = raw / 'subject5' / 'ground_truth.txt'
  ppg, hr_line, stamps = gt.read_text().splitlines()
  gt.write_text('\n'.join([stamps, hr_line, ppg]) + '\n')
  builder = _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=_LONG, face_crop=False)
  (ex,) = _examples(builder, 'train')
  assert abs(float(ex['heart_rate']) - hr) < 1.0


def _ubfc_subject(folder, n=24):
  t = np.arange(n) / 30.0
  rppg_synthetic.write_ubfc_subject(
      str(folder), rppg_synthetic.face_frames(t, 80, height=16, width=20,
                                              noise=0),
      rppg_synthetic.ppg(t, 80), 30.0)


def test_ubfc_subject_folders_any_case_and_others_reported(tmp_path, capsys):
  raw = tmp_path / 'raw'
  _ubfc_subject(raw / 'Subject3')
  _ubfc_subject(raw / 'SUBJECT40')
  _ubfc_subject(raw / 's5')
  (raw / 'notes').mkdir()  # no vid.avi: not a recording
  builder = _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=12, face_crop=False)
  def ids(split):
    return {bytes(e['video_id']).decode() if not isinstance(
        e['video_id'], str) else e['video_id']
            for e in _examples(builder, split)}
  assert ids('train') == {'subject3'} and ids('test') == {'subject40'}
  report = builder.info.metadata['build_report']
  for split in ('train', 'test'):
    assert report[split]['notes'] == [
        "not used, folders with a vid.avi not named subject<N>: ['s5']"]
  out = capsys.readouterr().out
  assert "not named subject<N> and are not used: ['s5']" in out


def test_ubfc_only_misnamed_folders_is_an_error_naming_them(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  _ubfc_subject(raw / 'subj1')
  _ubfc_subject(raw / 'p2')
  with pytest.raises(common.DataError,
                     match=r"no folder in .* is named subject<N>; these hold "
                     r"a vid\.avi: \['p2', 'subj1'\]\. Rename"):
    _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
           chunk_length=12)
  assert not _leftovers(tmp_path / 'tfds', 'ubfc_rppg')


def test_ubfc_same_subject_twice_is_an_error(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  _ubfc_subject(raw / 'subject3')
  _ubfc_subject(raw / 'Subject3')
  with pytest.raises(common.DataError, match=r'are both subject 3; keep one'):
    _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
           chunk_length=12)


def test_ubfc_truncated_video_is_blamed_not_the_ground_truth(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  _ubfc_subject(raw / 'subject1', n=60)
  avi = raw / 'subject1' / 'vid.avi'
  data = avi.read_bytes()
  avi.write_bytes(data[:len(data) // 2])
  with pytest.raises(common.DataError) as e:
    _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
           chunk_length=12, face_crop=False)
  msg = str(e.value)
  assert msg.startswith(f'{avi}: only ')
  assert 'of the 60 its header declares' in msg
  assert 'truncated or corrupt; re-download' in msg
  assert not _leftovers(tmp_path / 'tfds', 'ubfc_rppg')


def test_ubfc_short_ground_truth_is_blamed_on_it(tmp_path):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  _ubfc_subject(raw / 'subject1', n=60)
  gt = raw / 'subject1' / 'ground_truth.txt'
  gt.write_text('\n'.join(' '.join(line.split()[:30])
                          for line in gt.read_text().splitlines()) + '\n')
  with pytest.raises(common.DataError) as e:
    _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
           chunk_length=12, face_crop=False)
  msg = str(e.value)
  assert msg.startswith(f'{gt}: 30 PPG samples for 60 frames')
  assert 'vid.avi is complete (60 frames in its header)' in msg


def test_pure_aligns_the_ppg_by_time_stamp():
  from tfds_builders import pure  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  ppg_ts = np.cumsum(rng.integers(8_000_000, 25_000_000, 80)).astype(
      np.int64)  # uneven, ~60 Hz
  wave = rng.normal(size=80)
  frame_ts = np.arange(ppg_ts[0] - 40_000_000, ppg_ts[-1] + 40_000_000,
                       33_333_333, dtype=np.int64)
  kept, got = pure.align(frame_ts, ppg_ts, wave)
  want, idx = [], []
  for i, t in enumerate(frame_ts):  # direct linear interpolation
    if t < ppg_ts[0] or t > ppg_ts[-1]:
      continue
    j = next(k for k in range(len(ppg_ts) - 1) if ppg_ts[k + 1] >= t)
    w = (t - ppg_ts[j]) / (ppg_ts[j + 1] - ppg_ts[j])
    want.append((1 - w) * wave[j] + w * wave[j + 1])
    idx.append(i)
  assert (kept.start, kept.stop) == (idx[0], idx[-1] + 1)
  np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
  # By index it would be wrong: the PPG runs at about twice the frame rate.
  assert not np.allclose(got, wave[:len(got)])


def test_pure_uneven_ppg_label_matches_the_true_rate(tmp_path):
  # The oximeter runs at an uneven ~60 Hz and starts before the camera:
  # aligned by time the chunk's label is the true rate.
  raw = tmp_path / 'raw'
  start = 1_400_000_000_000_000_000
  frame_ts = start + np.round(np.arange(_LONG) / 30.0 * 1e9).astype(np.int64)
  ppg_ts = rppg_synthetic.uneven_times_ns(start - 500_000_000,
                                          _LONG / 30.0 + 1, 60.0, 0.4, 3)
  hr = 84.375
  frames = rppg_synthetic.face_frames((frame_ts - start) * 1e-9, hr,
                                      height=32, width=40, noise=0)
  wave = 128 + 40 * rppg_synthetic.ppg((ppg_ts - start) * 1e-9, hr)
  rppg_synthetic.write_pure_recording(str(raw), '09-04', frames, frame_ts,
                                      ppg_ts, wave)
  builder = _build('pure', tmp_path / 'tfds', raw, image_size=16,
                   chunk_length=_LONG)
  (ex,) = _examples(builder, 'test')  # subject 09 is a test subject
  assert abs(float(ex['heart_rate']) - hr) < 1.0


def test_no_face_falls_back_to_the_whole_frame_and_is_reported(tmp_path,
                                                                capsys):
  raw = tmp_path / 'raw'
  t = np.arange(24) / 30.0
  frames = np.full((24, 20, 24, 3), 90, np.uint8)  # no face in it
  rppg_synthetic.write_ubfc_subject(str(raw / 'subject2'), frames,
                                    rppg_synthetic.ppg(t, 80), 30.0)
  builder = _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=10)
  examples = _examples(builder, 'train')
  assert len(examples) == 2 and not any(bool(e['face_detected'])
                                        for e in examples)
  report = builder.info.metadata['build_report']['train']
  assert report['no_face_videos'] == ['subject2']
  assert report['tail_frames_dropped'] == 4  # 24 = 2 x 10 + 4
  out = capsys.readouterr().out
  assert '1 without a detected face' in out and '4 frames after' in out


def test_videos_shorter_than_a_chunk_are_counted(tmp_path):
  raw = tmp_path / 'raw'
  for number, n in ((1, 30), (4, 12)):
    t = np.arange(n) / 30.0
    rppg_synthetic.write_ubfc_subject(
        str(raw / f'subject{number}'),
        rppg_synthetic.face_frames(t, 80, height=32, width=40, noise=0),
        rppg_synthetic.ppg(t, 80), 30.0)
  builder = _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=20)
  report = builder.info.metadata['build_report']['train']
  assert report['videos'] == 2 and report['chunks'] == 1
  assert [tuple(v) for v in report['too_short_videos']] == [('subject4', 12)]


def test_a_split_left_without_examples_is_one_error_and_nothing_kept(
    tmp_path, capsys):
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  for number, n in ((1, 30), (40, 12)):  # the only test video is too short
    t = np.arange(n) / 30.0
    rppg_synthetic.write_ubfc_subject(
        str(raw / f'subject{number}'),
        rppg_synthetic.face_frames(t, 80, height=32, width=40, noise=0),
        rppg_synthetic.ppg(t, 80), 30.0)
  with pytest.raises(common.DataError) as e:
    _build('ubfc_rppg', tmp_path / 'tfds', raw, image_size=8,
           chunk_length=20)
  msg = str(e.value)
  assert len(msg.splitlines()) == 1
  assert msg.startswith('ubfc_rppg: the build failed')
  assert 'split "test"' in msg and 'too-short' in msg
  assert "[('subject40', 12)]" in capsys.readouterr().out  # the report
  assert not [f for _, _, fs in os.walk(tmp_path / 'tfds') for f in fs]


def _prepare_cli(*args):
  return subprocess.run(
      [sys.executable, '-m', 'simper_jax.prepare', *args],
      capture_output=True, text=True, cwd=_ROOT, timeout=300,
      env={**os.environ, 'JAX_PLATFORMS': 'cpu'})


@pytest.mark.parametrize('name', NAMES)
def test_prepare_without_raw_data_says_what_and_where(name, tmp_path):
  missing = tmp_path / 'nowhere'
  data_dir = tmp_path / 'tfds'
  r = _prepare_cli(name, f'--data_dir={data_dir}', f'--manual_dir={missing}')
  assert r.returncode == 1, r.stderr[-2000:]
  err = r.stderr.strip().splitlines()
  msg = '\n'.join(err[err.index(next(l for l in err
                                     if l.startswith('error:'))):])
  assert str(missing) in msg and '--manual_dir' in msg
  assert 'http' in msg  # where to get the data
  assert not (data_dir / name).exists()


def test_prepare_names_a_corrupt_file_and_leaves_nothing(tmp_path):
  raw = tmp_path / 'raw'
  raw.mkdir()
  t = np.arange(24) / 30.0
  rppg_synthetic.write_scamps_mat(
      str(raw / 'P000001.mat'),
      rppg_synthetic.face_frames(t, 80, height=32, width=40, noise=0),
      rppg_synthetic.ppg(t, 80))
  (raw / 'P000002.mat').write_bytes(b'not an HDF5 file at all')
  data_dir = tmp_path / 'tfds'
  r = _prepare_cli('scamps', f'--data_dir={data_dir}', f'--manual_dir={raw}',
                   '--builder_config=chunk_length=12,image_size=8')
  assert r.returncode == 1
  assert 'P000002.mat' in r.stderr and 'v7.3' in r.stderr
  leftovers = [os.path.join(d, f) for d, _, fs in os.walk(data_dir / 'scamps')
               for f in fs] if (data_dir / 'scamps').exists() else []
  assert not leftovers


def test_prepare_cli_builds_and_reports(tmp_path):
  data_dir = tmp_path / 'tfds'
  r = _prepare_cli('ubfc_rppg', f'--data_dir={data_dir}',
                   f'--manual_dir={_dummy("ubfc_rppg")}',
                   '--builder_config=chunk_length=12,image_size=16')
  assert r.returncode == 0, r.stderr[-3000:]
  # The custom config is named after the registered one and the changed
  # options: <base name>_<tag><value>.
  assert "ubfc_rppg/default_s16_t12/1.0.0 ready" in r.stdout
  assert "{'train': 4, 'test': 2}" in r.stdout
  meta = json.loads((data_dir / 'ubfc_rppg' / 'default_s16_t12' / '1.0.0' /
                     'metadata.json').read_text())
  assert meta['build_report']['train']['chunks'] == 4


def test_config_rejects_bad_values():
  with pytest.raises(ValueError, match='chunk_length'):
    rppg_common.RppgConfig(name='x', chunk_length=5)
  with pytest.raises(ValueError, match='hr_band'):
    rppg_common.RppgConfig(name='x', hr_band=(2.0, 1.0))


# ------------------------------------------------- PURE gaps (issue 13)

_PURE_START = 1_400_000_000_000_000_000


def _pure_times(n, rate):
  return _PURE_START + np.round(np.arange(n) / rate * 1e9).astype(np.int64)


def test_pure_missing_frames_split_the_recording_and_keep_the_rate(
    tmp_path, capsys):
  # 400 frames at 30 fps with PNGs 150..249 missing (a 3.37 s jump): the
  # frame rate is 30 (the median interval, not 299 / 13.3 s = 22.5), the
  # recording is cut at the gap and no chunk spans it.
  from tfds_builders import pure  # pylint: disable=g-import-not-at-top
  raw = tmp_path / 'raw'
  frame_ts = _pure_times(400, 30.0)
  keep = np.r_[0:150, 250:400]
  ppg_ts = _PURE_START - 500_000_000 + np.round(
      np.arange(60 * 15) / 60.0 * 1e9).astype(np.int64)
  hr = 80.0
  frames = rppg_synthetic.face_frames((frame_ts[keep] - _PURE_START) * 1e-9,
                                      hr, height=32, width=40, noise=0)
  wave = 128 + 40 * rppg_synthetic.ppg((ppg_ts - _PURE_START) * 1e-9, hr)
  rppg_synthetic.write_pure_recording(str(raw), '03-01', frames,
                                      frame_ts[keep], ppg_ts, wave)
  builder = _build('pure', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=60)
  examples = sorted(_examples(builder, 'train'),
                    key=lambda e: int(e['chunk_index']))
  # Segments of 150 frames each: 2 chunks of 60 + 30 left, twice.
  assert [int(e['chunk_index']) for e in examples] == [0, 1, 2, 3]
  for e in examples:
    assert float(e['fps']) == pytest.approx(30.0, abs=1e-4)
  # The third chunk starts right after the gap (kept frame 150 = PNG 250).
  t = frame_ts[keep][150:210]
  stored = np.round(wave)  # the JSON holds integer waveform values
  want = np.interp((t - ppg_ts[0]) * 1.0, (ppg_ts - ppg_ts[0]) * 1.0, stored)
  np.testing.assert_allclose(examples[2]['ppg'], want, rtol=1e-6)
  report = builder.info.metadata['build_report']['train']
  # (video, s from the first PNG, gap s, frames missing)
  assert [tuple(g) for g in report['frame_gaps']] == [
      ('03-01', 4.967, 3.367, 100)]
  assert report['chunks'] == 4 and report['tail_frames_dropped'] == 60
  assert report['ppg_holes'] == [] and report['chunks_in_ppg_holes'] == 0
  out = capsys.readouterr().out
  assert ("1 frame gaps (recording cut there, no chunk spans one) "
          "[('03-01', 4.967, 3.367, 100)]") in out


def test_pure_ppg_hole_is_reported_and_its_chunk_not_labelled(tmp_path,
                                                              capsys):
  # The oximeter (60 Hz) drops out from 2.0 s to 3.0 s: the interpolation
  # would bridge it; the chunk with frames in the hole is skipped.
  raw = tmp_path / 'raw'
  frame_ts = _pure_times(180, 30.0)  # 6 s: chunks [0,2) [2,4) [4,6) s
  k = np.arange(-30, 60 * 6 + 30)
  k = k[(k < 120) | (k >= 180)]  # samples 2.0 .. 2.983 s missing
  ppg_ts = _PURE_START + np.round(k / 60.0 * 1e9).astype(np.int64)
  hr = 90.0
  frames = rppg_synthetic.face_frames((frame_ts - _PURE_START) * 1e-9, hr,
                                      height=32, width=40, noise=0)
  wave = 128 + 40 * rppg_synthetic.ppg((ppg_ts - _PURE_START) * 1e-9, hr)
  rppg_synthetic.write_pure_recording(str(raw), '03-02', frames, frame_ts,
                                      ppg_ts, wave)
  builder = _build('pure', tmp_path / 'tfds', raw, image_size=8,
                   chunk_length=60)
  examples = _examples(builder, 'train')
  assert sorted(int(e['chunk_index']) for e in examples) == [0, 2]
  report = builder.info.metadata['build_report']['train']
  # (video, s from the first PNG, hole length s): 119/60 s .. 3.0 s.
  assert [tuple(h) for h in report['ppg_holes']] == [('03-02', 1.983, 1.017)]
  assert report['chunks_in_ppg_holes'] == 1 and report['chunks'] == 2
  assert report['frame_gaps'] == []
  out = capsys.readouterr().out
  assert ("1 PPG holes [('03-02', 1.983, 1.017)]; 1 chunks with frames in "
          'a PPG hole not labelled (skipped)') in out


def test_pure_frame_segments_and_ppg_holes_units():
  from tfds_builders import pure  # pylint: disable=g-import-not-at-top
  ts = np.array([0, 10, 20, 30, 46, 55, 100], np.int64)  # median 10
  fps, segments, gaps = pure.frame_segments(ts)
  assert fps == pytest.approx(1e8)
  assert segments == [(0, 4), (4, 6), (6, 7)] and gaps.tolist() == [3, 5]
  # 15 = exactly 1.5x the median is not a gap.
  assert pure.frame_segments(np.array([0, 10, 25, 35]))[1] == [(0, 4)]
  assert pure.ppg_holes(ts).tolist() == [3, 5]
  assert pure.in_holes(np.array([30, 31, 45, 46, 60]), ts,
                       np.array([3, 5])).tolist() == [
                           False, True, True, False, True]
