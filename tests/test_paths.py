"""simper_jax.paths: a run's files on a local disk and in ``gs://``.

``gs://`` is an in-memory object store here (tests/fake_gcs.py): fsspec's
``gs`` protocol for epath (hence the path layer, Orbax's metadata and
grain's iterator state) and a local fake of the GCS JSON API for
TensorStore (Orbax's arrays). No network.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from etils import epath

from simper_jax import paths
from simper_jax import writers
from tests import fake_gcs

RUN = 'gs://bucket/run'


@pytest.fixture
def gcs():
  with fake_gcs.installed('bucket') as store:
    yield store


@pytest.fixture
def gcs_for_orbax(gcs, monkeypatch):
  """Also TensorStore's gcs driver (the fake JSON API) and Orbax's question
  to the bucket (hierarchical namespace?), which needs google-cloud-storage
  and a real bucket: answered no."""
  from orbax.checkpoint._src.path import gcs_utils  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv('TENSORSTORE_GCS_HTTP_URL', fake_gcs.server_url())
  monkeypatch.setenv('GOOGLE_AUTH_TOKEN_FOR_TESTING', 'test')
  monkeypatch.setattr(gcs_utils, 'is_hierarchical_namespace_enabled',
                      lambda path: False)
  return gcs


def _crc32c(data: bytes) -> int:
  """CRC-32C (Castagnoli), bit by bit: independent of tensorboardX's."""
  crc = 0xffffffff
  for b in data:
    crc ^= b
    for _ in range(8):
      crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
  return crc ^ 0xffffffff


def _masked(data: bytes) -> int:
  c = _crc32c(data)
  return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff


def _events(data: bytes) -> list:
  """The ``Event`` records of a TensorBoard file, every CRC checked."""
  from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
  out, pos = [], 0
  while pos < len(data):
    header = data[pos:pos + 8]
    (length,) = struct.unpack('<Q', header)
    assert struct.unpack('<I', data[pos + 8:pos + 12])[0] == _masked(header)
    body = data[pos + 12:pos + 12 + length]
    assert struct.unpack('<I', data[pos + 12 + length:pos + 16 + length]
                         )[0] == _masked(body)
    out.append(event_pb2.Event.FromString(body))
    pos += 16 + length
  return out


def _scalars(events) -> list:
  return [(v.tag, e.step, v.simple_value) for e in events
          for v in e.summary.value]


def test_resolve_join_and_unsupported_schemes():
  assert paths.resolve('gs://bucket/run/') == 'gs://bucket/run'
  assert paths.resolve('~/run') == os.path.expanduser('~/run')
  assert paths.resolve('run') == os.path.abspath('run')
  assert paths.is_remote('s3://b/x') and not paths.is_remote('/tmp/gs:/x')
  assert paths.join(RUN, 'eval', 'metrics.json') == (
      'gs://bucket/run/eval/metrics.json')
  assert paths.dirname('gs://bucket/run/eval') == RUN
  for bad in ('file:///tmp/x', 'memory://x'):
    with pytest.raises(ValueError, match='unsupported scheme'):
      paths.resolve(bad)


@pytest.mark.parametrize('where', ['local', 'gs'])
def test_file_functions(where, tmp_path, gcs):
  root = str(tmp_path / 'run') if where == 'local' else RUN
  sub = paths.join(root, 'a', 'b')
  paths.makedirs(sub)
  paths.makedirs(sub)  # exist_ok
  f = paths.join(sub, 'x.json')
  assert not paths.exists(f)
  paths.write_text(f, '{"a": 1}\n', atomic=True)
  assert paths.exists(f) and not paths.isdir(f)
  assert paths.isdir(sub) and paths.isdir(root)
  assert paths.read_text(f) == '{"a": 1}\n'
  assert not paths.exists(f + '.tmp')
  paths.write_bytes(f, b'\x00\x01')
  assert paths.read_bytes(f) == b'\x00\x01'
  paths.copy(f, paths.join(root, 'y'))
  assert paths.read_bytes(paths.join(root, 'y')) == b'\x00\x01'
  with paths.open(paths.join(root, 't.txt'), 'w') as out:
    out.write('text')
  assert paths.read_text(paths.join(root, 't.txt')) == 'text'
  paths.remove(f)
  assert not paths.exists(f)
  assert paths.is_writable(root)
  if where == 'gs':  # the probe object is gone, and nothing else was added
    assert sorted(gcs) == ['bucket/run/t.txt', 'bucket/run/y']


def test_the_fake_is_an_object_store(gcs):
  """What gcsfs does too: no append, an object appears when closed,
  folders are prefixes only."""
  with pytest.raises(NotImplementedError, match='appended'):
    epath.Path(RUN, 'x').open('a')
  paths.makedirs(paths.join(RUN, 'empty'))
  assert not paths.exists(paths.join(RUN, 'empty'))
  with paths.open(paths.join(RUN, 'x'), 'wb') as f:
    f.write(b'1')
    assert not paths.exists(paths.join(RUN, 'x'))
  assert paths.read_bytes(paths.join(RUN, 'x')) == b'1'


def test_remote_appender_uploads_whole_objects(gcs, monkeypatch):
  path = paths.join(RUN, 'log')
  monkeypatch.setattr(writers, 'REMOTE_FLUSH_SECS', 1e9)
  out = writers.Appender(path, initial=b'a')
  out.write(b'b')
  assert paths.read_bytes(path) == b'a'  # uploaded at creation only
  out.flush()
  assert paths.read_bytes(path) == b'ab'
  out.write(b'c')
  out.close()
  assert paths.read_bytes(path) == b'abc'
  monkeypatch.setattr(writers, 'REMOTE_FLUSH_SECS', 0.0)
  out = writers.Appender(path)  # None: continues the object
  out.write(b'd')
  assert paths.read_bytes(path) == b'abcd'
  out.close()


def test_event_file_is_the_one_tensorboardx_wrote(tmp_path, monkeypatch):
  """Same name and bytes as tensorboardX's SummaryWriter (the previous
  writer), at a frozen clock; CRCs checked independently."""
  import tensorboardX  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(time, 'time', lambda: 1700000000.25)
  ours = writers.EventFile(str(tmp_path / 'ours'))
  ours.scalars(2, {'loss': 0.5, 'grad_norm': 3.0})
  ours.scalars(4, {'loss': 0.25, 'grad_norm': 1.0})
  ours.close()
  tb = tensorboardX.SummaryWriter(str(tmp_path / 'tbx'))
  for step, loss, grad in ((2, 0.5, 3.0), (4, 0.25, 1.0)):
    tb.add_scalar('loss', loss, step)
    tb.add_scalar('grad_norm', grad, step)
  tb.close()
  (name,) = os.listdir(tmp_path / 'tbx')
  assert os.listdir(tmp_path / 'ours') == [name]
  data = paths.read_bytes(ours.path)
  assert data == paths.read_bytes(str(tmp_path / 'tbx' / name))
  events = _events(data)
  assert events[0].file_version == 'brain.Event:2'
  assert _scalars(events) == [('loss', 2, 0.5), ('grad_norm', 2, 3.0),
                              ('loss', 4, 0.25), ('grad_norm', 4, 1.0)]


def test_writers_on_gcs(gcs, tmp_path, capsys, monkeypatch):
  monkeypatch.setattr(writers, 'REMOTE_FLUSH_SECS', 1e9)
  obj = {'a': {'pearson': math.nan, 'mae': np.float32(2)}, 'b': [1]}
  writers.write_json(paths.join(RUN, 'eval', 'm.json'), obj)
  writers.write_json(str(tmp_path / 'm.json'), obj)
  assert paths.read_bytes(paths.join(RUN, 'eval', 'm.json')) == (
      paths.read_bytes(str(tmp_path / 'm.json')))

  w = writers.MetricWriter(RUN)
  for step in range(1, 6):
    w.write_scalars(step, {'loss': 1.0 / step})
  w.flush()  # what the train loop does before each checkpoint
  assert len(paths.read_text(paths.join(RUN, 'metrics.jsonl'))
             .splitlines()) == 5
  w.close()
  # Interrupted after logging step 5; the last checkpoint was at step 3.
  time.sleep(1.01)  # a new event file (its name has the second)
  w = writers.MetricWriter(RUN, resume_step=3)
  w.write_scalars(4, {'loss': 0.5})
  w.close()
  rows = [json.loads(ln) for ln in
          paths.read_text(paths.join(RUN, 'metrics.jsonl')).splitlines()]
  assert [r['step'] for r in rows] == [1, 2, 3, 4]
  names = sorted(k for k in gcs if '/tensorboard/' in k)
  assert len(names) == 2
  first, second = (_scalars(_events(gcs[k].getvalue())) for k in names)
  assert first == [('loss', s, pytest.approx(1.0 / s)) for s in range(1, 6)]
  assert second == [('loss', 4, 0.5)]

  class Config:
    def __init__(self, d):
      self.d = d

    def to_dict(self):
      return self.d

  writers.write_json(paths.join(RUN, 'config.json'), {'n': 4, 'x': 'a'})
  writers.note_config_changes(paths.join(RUN, 'config.json'),
                              Config({'n': 6, 'x': 'a'}))
  assert 'n: 4 -> 6' in capsys.readouterr().out


def test_evaluation_files_and_readers_on_gcs(gcs):
  """The figures, features.npz and readouts.json a run's evaluation
  writes, and what few_labels / predict read back."""
  from simper_jax import few_labels  # pylint: disable=g-import-not-at-top
  from simper_jax import predict  # pylint: disable=g-import-not-at-top
  from simper_jax import studies  # pylint: disable=g-import-not-at-top
  from simper_jax import tasks  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import figures  # pylint: disable=g-import-not-at-top
  from tests.evaluation.series import FPS, sines  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  f_tr, f_te = rng.uniform(0.5, 3, 40), rng.uniform(0.5, 3, 20)
  x_tr = sines(f_tr, rng.uniform(0, 6, 40), seed=1)
  x_te = sines(f_te, rng.uniform(0, 6, 20), seed=2)
  task = tasks.get('hz')
  figures.plot(paths.join(RUN, 'eval', 'figure.png'), x_te, f_te,
               {'fft_scaled': f_te}, task, fps=FPS, band=(0.25, 15.0),
               num_spectra=3, title='t')
  figures.plot_recording(paths.join(RUN, 'plots', 'a.png'), x_te[:3],
                         np.arange(3.0), {'fft': f_te[:3]}, task, fps=FPS,
                         band=(0.25, 15.0), title='t')
  for name in ('eval/figure.png', 'plots/a.png'):
    assert gcs[f'bucket/run/{name}'].getvalue()[:8] == b'\x89PNG\r\n\x1a\n'
  npz = io.BytesIO()
  np.savez_compressed(npz, train_features=x_tr, train_frequency=f_tr,
                      test_features=x_te, test_frequency=f_te)
  paths.write_bytes(paths.join(RUN, 'eval', 'features.npz'), npz.getvalue())
  config = studies.base_config('experiments/rotating_digits.py:smoke')
  config.data.fps = FPS
  out = few_labels.curve(paths.join(RUN, 'eval', 'features.npz'), config,
                         counts=(1, 5))
  assert set(out['points']) == {1, 5}
  few_labels.report({0: out}, config, RUN)
  assert gcs['bucket/run/labels.png'].getvalue()[:4] == b'\x89PNG'
  with pytest.raises(FileNotFoundError, match='config.json is missing'):
    predict.load_run(RUN)
  writers.write_json(paths.join(RUN, 'config.json'), config.to_dict())
  writers.write_json(paths.join(RUN, 'eval', 'readouts.json'),
                     {'readouts': ['fft']})
  loaded, fit = predict.load_run(RUN)
  assert loaded.data.name == config.data.name and fit == {'readouts':
                                                          ['fft']}


def test_study_files_on_gcs(gcs, monkeypatch):
  """studies: an arm's evaluation copied into its curve/, read back, and
  the report, summary and figures (embeddings from the arms' features)."""
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  from simper_jax import studies  # pylint: disable=g-import-not-at-top
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  from tests.evaluation.series import sines  # pylint: disable=g-import-not-at-top
  config = studies.base_config('experiments/rotating_digits.py:smoke')
  target = datasets.plugin(config.data).target
  rng = np.random.default_rng(0)
  f = rng.uniform(0.5, 3, 12)
  points = {}
  for arm, budget in (('simper', 2), ('untrained', 0)):
    run = paths.join(RUN, arm, 'seed0')
    metrics = {'test': {r: {'mae': 1.0 + budget} for r in
                        ('fft', 'fft_scaled', 'linear_probe')}}
    def fake_run(cfg, workdir, run=run, metrics=metrics):
      assert workdir == run
      writers.write_json(paths.join(run, 'eval', 'metrics.json'), metrics)
      npz = io.BytesIO()
      np.savez(npz, **{'test_features': sines(f, rng.uniform(0, 6, 12),
                                              length=48),
                       f'test_{target}': f})
      paths.write_bytes(paths.join(run, 'eval', 'features.npz'),
                        npz.getvalue())
    monkeypatch.setattr(train, 'train_and_evaluate', fake_run)
    points[arm] = {0: studies.run_arm(config, run, [budget],
                                      init_only=arm == 'untrained')}
    assert points[arm][0] == {budget: metrics}
    monkeypatch.setattr(train, 'train_and_evaluate', None)  # not again
    assert studies.run_arm(config, run, [budget],
                           init_only=arm == 'untrained') == points[arm][0]
  text = studies.write_report('compare_methods', RUN, points, config=config,
                              experiment='rd:smoke', budgets=[2], seeds=[0])
  assert paths.read_text(paths.join(RUN, 'report.md')) == text
  assert json.loads(paths.read_text(paths.join(RUN, 'summary.json')))[
      'study'] == 'compare_methods'
  for name in ('curves.png', 'embeddings.png'):
    assert gcs[f'bucket/run/{name}'].getvalue()[:4] == b'\x89PNG'


def _installed(module: str) -> bool:
  try:
    return importlib.util.find_spec(module) is not None
  except ImportError:  # a parent package is missing
    return False


@pytest.mark.skipif(_installed('gcsfs'), reason='would reach the network')
def test_gs_workdir_without_gcsfs_is_one_line():
  """The real gs:// (no fake): fsspec's 'Install gcsfs ...' as one line,
  from the command line too."""
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match='cannot use --workdir=gs://b/r: '
                     '.*gcsfs'):
    train._check_workdir('gs://b/r')  # pylint: disable=protected-access
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  proc = subprocess.run(
      [sys.executable, '-m', 'simper_jax.main',
       '--config=experiments/rotating_digits.py:smoke',
       '--workdir=gs://b/r/'], cwd=root, capture_output=True, text=True,
      timeout=300)
  assert proc.returncode == 1
  assert 'Traceback' not in proc.stderr
  line = proc.stderr.strip().splitlines()[-1]
  assert line.startswith('error: cannot use --workdir=gs://b/r: ')
  assert 'gcsfs' in line


def test_checkpoints_in_another_store_are_refused_in_one_line():
  """Orbax treats URIs other than gs:// as local paths: one line from the
  Checkpointer (train's workdir check calls the same before any work)."""
  from simper_jax import checkpointing  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match='cannot keep checkpoints in '
                     's3://b/run/checkpoints: Orbax .* gs:// only'):
    checkpointing.Checkpointer('s3://b/run/checkpoints')
  checkpointing.check_directory('/tmp/local')  # nothing to check


@pytest.mark.skipif(_installed('google.cloud.storage'),
                    reason='would reach the network')
def test_gs_checkpoints_without_google_cloud_storage_are_one_line():
  """Orbax lists gs:// steps after asking the bucket (with
  google-cloud-storage) whether it has a hierarchical namespace."""
  from simper_jax import checkpointing  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match='need google-cloud-storage'):
    checkpointing.Checkpointer(paths.join(RUN, 'checkpoints'))


@pytest.mark.slow
def test_train_and_evaluate_on_gcs(gcs_for_orbax, tmp_path, capsys):
  """A whole smoke run in gs://: trained 4 steps, resumed from its gs://
  checkpoint (Orbax, TensorStore) to 6, evaluated (eval/ and eval_init/);
  the same numbers as an uninterrupted local run, and predict reads the
  run back (config, readouts, the encoder from the checkpoint)."""
  from simper_jax import partitioning  # pylint: disable=g-import-not-at-top
  from simper_jax import predict  # pylint: disable=g-import-not-at-top
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  from tests import test_train_and_evaluate as smoke  # pylint: disable=g-import-not-at-top
  store = gcs_for_orbax
  posts = fake_gcs.REQUESTS['POST']
  data_dir = str(tmp_path / 'tfds')
  cfg = lambda n: smoke._smoke(  # pylint: disable=protected-access
      data_dir, num_train_steps=n, keep_checkpoints=1,
      **{'eval.compare_init': True})
  local = train.train_and_evaluate(cfg(6), str(tmp_path / 'local'))
  train.train_and_evaluate(cfg(4), RUN + '/')
  capsys.readouterr()
  res = train.train_and_evaluate(cfg(6), RUN)
  out = capsys.readouterr().out
  assert f'Resuming from checkpoint 4 in {RUN}/checkpoints' in out
  assert 'num_train_steps: 4 -> 6' in out
  assert res['eval'] == local['eval'] and res['eval_dir'] == RUN + '/eval'
  assert res['eval_init'] == local['eval_init']

  def text(name):
    return paths.read_text(paths.join(RUN, name))
  def local_text(name):
    return paths.read_text(str(tmp_path / 'local' / name))
  assert json.loads(text('config.json')) == json.loads(
      local_text('config.json'))
  rows = [json.loads(ln) for ln in text('metrics.jsonl').splitlines()]
  local_rows = [json.loads(ln) for ln in local_text('metrics.jsonl')
                .splitlines()]
  assert [r['step'] for r in rows] == [2, 4, 6]
  for r, lr in zip(rows, local_rows):
    assert r['loss'] == pytest.approx(lr['loss'], rel=1e-6)
  events = sorted(k for k in store if '/tensorboard/events.out.' in k)
  losses = [(s, v) for k in events
            for t, s, v in _scalars(_events(store[k].getvalue()))
            if t == 'loss']
  assert [s for s, _ in losses] == [2, 4, 6]
  assert json.loads(text('eval/metrics.json'))['test'] == json.loads(
      local_text('eval/metrics.json'))['test']
  feats = np.load(io.BytesIO(paths.read_bytes(
      paths.join(RUN, 'eval', 'features.npz'))))
  assert feats['test_features'].shape == (40, 48)
  assert text('eval/readouts.json')
  for sub in ('eval', 'eval_init'):
    assert store[f'bucket/run/{sub}/figure.png'].getvalue()[:4] == b'\x89PNG'
  assert json.loads(text('eval_init/metrics.json'))['model'] == 'untrained'
  # keep_checkpoints=1: Orbax deleted step 4 in the bucket, kept 6.
  steps = {k.split('/')[3] for k in store if '/checkpoints/' in k}
  assert steps == {'6'}
  assert fake_gcs.REQUESTS['POST'] > posts  # arrays: TensorStore's gcs
  assert not any(k.endswith('.tmp') for k in store)
  config, fit = predict.load_run(RUN)
  encoder, step = train.restore_encoder(
      config, RUN, in_channels=int(fit['clip_shape'][-1]),
      mesh=partitioning.make_mesh())
  assert step == 6 and encoder is not None
