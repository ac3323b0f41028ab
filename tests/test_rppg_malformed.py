"""Every malformed raw input listed in the heart-rate builders' cards.

Each case writes a tiny raw folder in the real format (SCAMPS ``.mat``,
UBFC-rPPG ``subjectN/``, PURE ``NN-NN/``) with one thing wrong, and asserts
what the card promises: a ``DataError`` whose one message names the file
and the fix, and nothing left in the data folder; or a successful build
with the case in its build report. Cases tested elsewhere are named in the
cards (``tfds_builders/<name>/README.md``).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tfds_builders import common
from tfds_builders import rppg_synthetic as syn
from tests.test_rppg_builders import _build

N = 24  # frames per recording
SMALL = dict(image_size=8, chunk_length=12)


def _frames(n=N, hr=80):
  t = np.arange(n) / 30.0
  return syn.face_frames(t, hr, height=32, width=40, noise=0), syn.ppg(t, hr)


# ---------------------------------------------------------------- SCAMPS

def _scamps(raw, edit=None):
  frames, wave = _frames()
  for i in (1, 2, 3, 4, 5):
    syn.write_scamps_mat(str(raw / f'P00000{i}.mat'), frames, wave)
  if edit:
    edit(raw, frames, wave)


def _h5_replace(path, **arrays):
  import h5py  # pylint: disable=g-import-not-at-top
  with h5py.File(path, 'r+') as f:
    for name, value in arrays.items():
      del f[name]
      f.create_dataset(name, data=value)


def _xsub(frames, scale=1 / 255.0):
  return (frames.astype(np.float32) * scale).transpose(3, 2, 1, 0)


def _s_not_4d(raw, frames, wave):
  _h5_replace(raw / 'P000002.mat', Xsub=_xsub(frames)[0])


def _s_above_one(raw, frames, wave):
  _h5_replace(raw / 'P000002.mat', Xsub=_xsub(frames, 1.0))  # 0..255


def _s_nan(raw, frames, wave):
  x = _xsub(frames)
  x[0, 1, 1, 3] = np.nan
  _h5_replace(raw / 'P000002.mat', Xsub=x)


def _s_twice(raw, frames, wave):
  (raw / 'Train').mkdir()
  syn.write_scamps_mat(str(raw / 'Train' / 'P000002.mat'), frames, wave)


def _s_bad_csv(raw, frames, wave):
  (raw / 'splits.csv').write_text('video,split\nP000001,train\n'
                                  'subject,test\n')


def _s_bad_split(raw, frames, wave):
  (raw / 'splits.csv').write_text('video,split\nP000001,holdout\n')


def _s_ppg_nan(raw, frames, wave):
  bad = np.array(wave, np.float64)[None, :]
  bad[0, 5] = np.nan
  _h5_replace(raw / 'P000002.mat', d_ppg=bad)


SCAMPS = [
    (_s_not_4d, ['P000002.mat', 'Xsub has HDF5 shape', '(3 axes)',
                 '[3, W, H, T]']),
    (_s_above_one, ['P000002.mat', 'float frames must lie in [0, 1]',
                    '255']),
    (_s_nan, ['P000002.mat', 'NaN or infinity']),
    (_s_twice, ['scamps: P000002 is both', 'keep one copy']),
    (_s_bad_csv, ['splits.csv, line 3', 'expected one video name',
                  "'subject'"]),
    (_s_bad_split, ['splits.csv, line 2', 'a split (train/val/test)']),
    (_s_ppg_nan, ["'P000002'", 'PPG waveform contains NaN']),
]


@pytest.mark.parametrize('edit,want', SCAMPS,
                         ids=[f.__name__[1:] for f, _ in SCAMPS])
def test_scamps_malformed(tmp_path, edit, want):
  raw = tmp_path / 'raw'
  raw.mkdir()
  _scamps(raw, edit)
  _assert_one_error(tmp_path, 'scamps', raw, want)


# ------------------------------------------------------------ UBFC-rPPG

def _ubfc(raw, numbers=(1, 40)):
  frames, wave = _frames()
  for n in numbers:
    syn.write_ubfc_subject(str(raw / f'subject{n}'), frames, wave, 30.0)


def _u_no_video(raw):
  os.remove(raw / 'subject1' / 'vid.avi')


def _u_no_ground_truth(raw):
  os.remove(raw / 'subject1' / 'ground_truth.txt')


def _u_not_a_video(raw):
  (raw / 'subject1' / 'vid.avi').write_bytes(b'<html>404</html>' * 10)


def _u_not_numbers(raw):
  gt = raw / 'subject1' / 'ground_truth.txt'
  lines = gt.read_text().splitlines()
  gt.write_text('\n'.join([lines[0].replace(' ', ' abc ', 1)] + lines[1:]))


def _u_empty(raw):
  (raw / 'subject1' / 'ground_truth.txt').write_text('\n\n')


UBFC = [
    (_u_no_video, ['subject1', 'vid.avi is missing', 'manual']),
    (_u_no_ground_truth, ['subject1', 'ground_truth.txt is missing']),
    (_u_not_a_video, ['subject1', 'vid.avi', 'OpenCV cannot open']),
    (_u_not_numbers, ['subject1', 'ground_truth.txt, line 1',
                      'expected whitespace-separated numbers']),
    (_u_empty, ['subject1', 'ground_truth.txt: empty']),
]


@pytest.mark.parametrize('edit,want', UBFC,
                         ids=[f.__name__[1:] for f, _ in UBFC])
def test_ubfc_malformed(tmp_path, edit, want):
  raw = tmp_path / 'raw'
  _ubfc(raw)
  edit(raw)
  _assert_one_error(tmp_path, 'ubfc_rppg', raw, want)


# ------------------------------------------------------------------ PURE

START = 1_400_000_000_000_000_000  # ns


def _pure(raw, name, frame_ts=None, ppg_ts=None, wave=None):
  frames, _ = _frames(len(frame_ts) if frame_ts is not None else N)
  if frame_ts is None:
    frame_ts = START + np.arange(N) * 33_333_333
  if ppg_ts is None:
    ppg_ts = START + np.arange(2 * N) * 16_666_667
  if wave is None:
    wave = 60 + 20 * np.sin(2 * np.pi * 1.3 * (ppg_ts - START) / 1e9)
  syn.write_pure_recording(str(raw), name, frames, frame_ts, ppg_ts, wave)
  return raw / name


def _p_no_json(raw, rec):
  os.remove(rec / '01-01.json')


def _p_not_pure_json(raw, rec):
  (rec / '01-01.json').write_text(json.dumps({'/Image': []}))


def _p_json_truncated(raw, rec):
  text = (rec / '01-01.json').read_text()
  (rec / '01-01.json').write_text(text[:len(text) // 2])


def _p_one_ppg(raw, rec):
  data = json.loads((rec / '01-01.json').read_text())
  data['/FullPackage'] = data['/FullPackage'][:1]
  (rec / '01-01.json').write_text(json.dumps(data))


def _p_repeated_ppg(raw, rec):
  data = json.loads((rec / '01-01.json').read_text())
  data['/FullPackage'][3]['Timestamp'] = data['/FullPackage'][2]['Timestamp']
  (rec / '01-01.json').write_text(json.dumps(data))


def _p_bad_png(raw, rec):
  png = sorted((rec / '01-01').iterdir())[5]
  png.write_bytes(png.read_bytes()[:40])


def _p_one_frame(raw, rec):
  for png in sorted((rec / '01-01').iterdir())[1:]:
    os.remove(png)


def _p_no_frames_folder(raw, rec):
  for png in (rec / '01-01').iterdir():
    os.remove(png)
  os.rmdir(rec / '01-01')


def _p_ppg_after_frames(raw, rec):
  data = json.loads((rec / '01-01.json').read_text())
  for p in data['/FullPackage']:
    p['Timestamp'] += 10 ** 11  # 100 s later
  (rec / '01-01.json').write_text(json.dumps(data))


PURE = [
    (_p_no_json, ['01-01.json', 'is missing', 'manual']),
    (_p_not_pure_json, ['01-01.json', 'not a PURE recording file',
                        '/FullPackage']),
    (_p_json_truncated, ['01-01.json', 'not a PURE recording file']),
    (_p_one_ppg, ['01-01.json', 'fewer than 2 PPG samples']),
    (_p_repeated_ppg, ['01-01.json', 'repeated PPG time stamps']),
    (_p_bad_png, ['.png', 'OpenCV cannot read this PNG']),
    (_p_one_frame, ['01-01', 'fewer than 2 Image<ns>.png frames']),
    (_p_no_frames_folder, ['01-01', 'frame folder', 'is missing']),
    (_p_ppg_after_frames, ['01-01', "no frames inside the PPG's time span"]),
]


@pytest.mark.parametrize('edit,want', PURE,
                         ids=[f.__name__[1:] for f, _ in PURE])
def test_pure_malformed(tmp_path, edit, want):
  raw = tmp_path / 'raw'
  rec = _pure(raw, '01-01')
  _pure(raw, '08-01')
  edit(raw, rec)
  _assert_one_error(tmp_path, 'pure', raw, want)


def test_pure_image_stamps_and_frames_outside_the_ppg_are_noted(tmp_path):
  raw = tmp_path / 'raw'
  frame_ts = START + np.arange(N + 6) * 33_333_333
  # The PPG starts 3 frames late and ends 3 early: those 6 frames are cut.
  ppg_ts = START + 100_000_000 + np.arange(2 * N) * 16_666_667
  rec = _pure(raw, '01-01', frame_ts=frame_ts, ppg_ts=ppg_ts)
  data = json.loads((rec / '01-01.json').read_text())
  data['/Image'] = data['/Image'][:-2]  # /Image differs from the PNG names
  (rec / '01-01.json').write_text(json.dumps(data))
  _pure(raw, '08-01')
  builder = _build('pure', tmp_path / 'tfds', raw, **SMALL)
  notes = builder.info.metadata['build_report']['train']['notes']
  assert any('"/Image" time stamps (28) differ from the PNG names (30)' in n
             for n in notes), notes
  cut = [n for n in notes if 'outside the PPG recording' in n]
  assert len(cut) == 1 and cut[0].startswith('01-01: ')
  n_cut = int(cut[0].split()[1])
  kept = np.sum((frame_ts >= ppg_ts[0]) & (frame_ts <= ppg_ts[-1]))
  assert n_cut == len(frame_ts) - kept > 0


# ---------------------------------------------------------------- shared

def _assert_one_error(tmp_path, name, raw, want):
  data_dir = tmp_path / 'tfds'
  with pytest.raises(common.DataError) as e:
    _build(name, data_dir, raw, **SMALL)
  msg = str(e.value)
  for piece in want:
    assert piece in msg, (piece, msg)
  assert 'Traceback' not in msg
  left = [f for _, _, fs in os.walk(data_dir) for f in fs]
  assert not left, left
