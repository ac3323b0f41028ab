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


def test_scamps_reads_matlab_axis_order(tmp_path):
  # An asymmetric frame: a bright pixel block at the top-left, and a colour
  # per channel; MATLAB [H, W, 3, T] is stored as HDF5 [T, 3, W, H].
  frames = np.zeros((12, 20, 20, 3), np.uint8)
  frames[:, 2:6, 1:4, 0] = 255
  frames[:, 10:12, 15:19, 2] = 128
  frames += np.arange(12, dtype=np.uint8)[:, None, None, None]
  raw = tmp_path / 'raw'
  raw.mkdir()
  rppg_synthetic.write_scamps_mat(str(raw / 'P000001.mat'), frames,
                                  rppg_synthetic.ppg(np.arange(12) / 30, 80))
  import h5py  # pylint: disable=g-import-not-at-top
  with h5py.File(raw / 'P000001.mat', 'r') as f:
    assert f['Xsub'].shape == (12, 3, 20, 20)
  with open(raw / 'P000001.mat', 'rb') as f:
    assert f.read(10) == b'MATLAB 7.3'
  builder = _build('scamps', tmp_path / 'tfds', raw, image_size=20,
                   chunk_length=12, face_crop=False)
  (ex,) = _examples(builder, 'train')
  np.testing.assert_array_equal(ex['video'], frames)


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
