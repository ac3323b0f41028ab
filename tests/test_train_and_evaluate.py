"""End to end on a tiny RotatingDigits: train, checkpoint, resume, evaluate.

Also the command line (`python -m simper_jax.main`) as a user runs it.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import struct
import subprocess
import sys

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from simper_jax import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, 'experiments', 'rotating_digits.py')


def _get_config(arg: str):
  spec = importlib.util.spec_from_file_location('rd_config', CONFIG)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _smoke(data_dir: str, **overrides):
  config = _get_config('smoke')
  config.data.data_dir = data_dir
  for k, v in overrides.items():
    section, _, field = k.rpartition('.')
    setattr(config[section] if section else config, field, v)
  return config


def _final_state(workdir: str, step: int) -> dict:
  manager = ocp.CheckpointManager(os.path.join(workdir, 'checkpoints'),
                                  item_names=('state', 'data'))
  assert manager.latest_step() == step
  restored = manager.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore()))
  manager.close()
  return jax.tree.map(np.asarray, restored['state'])


def _read_events(path: str) -> list:
  """Scalar (tag, step, value) from a TensorBoard event file, parsed here
  from the TFRecord framing (length, crc, payload, crc)."""
  from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
  out = []
  with open(path, 'rb') as f:
    data = f.read()
  pos = 0
  while pos < len(data):
    (length,) = struct.unpack('<Q', data[pos:pos + 8])
    event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
    pos += 12 + length + 4
    for v in event.summary.value:
      out.append((v.tag, event.step, v.simple_value))
  return out


def test_resume_gives_the_same_parameters_as_an_uninterrupted_run(
    data_dir, tmp_path, capsys):
  full = str(tmp_path / 'full')
  res = train.train_and_evaluate(_smoke(data_dir, num_train_steps=6), full)
  # "Preempted" after 4 steps (the checkpoint at 4), then resumed to 6.
  part = str(tmp_path / 'part')
  train.train_and_evaluate(_smoke(data_dir, num_train_steps=4), part)
  at_4 = _final_state(part, 4)  # stopped with a checkpoint at step 4
  capsys.readouterr()
  res2 = train.train_and_evaluate(_smoke(data_dir, num_train_steps=6), part)
  out = capsys.readouterr().out
  assert 'Resuming from checkpoint 4' in out
  assert 'num_train_steps: 4 -> 6' in out  # the changed field is named
  with pytest.raises(ValueError, match='past this run'):
    train.train_and_evaluate(_smoke(data_dir, num_train_steps=3), part)

  a, b = _final_state(full, 6), _final_state(part, 6)
  flat_a, flat_b = jax.tree.leaves_with_path(a), jax.tree.leaves_with_path(b)
  assert [p for p, _ in flat_a] == [p for p, _ in flat_b]
  assert len(flat_a) > 10  # params, BN statistics, Adam moments, step
  for (path, x), (_, y) in zip(flat_a, flat_b):
    np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))
  # Steps 5 and 6 changed the parameters, so the equality above is not
  # the trivial one of a run that never moved.
  assert any(not np.array_equal(x, y) for x, y in zip(
      jax.tree.leaves(at_4), jax.tree.leaves(b)))
  assert res['eval'] == res2['eval']

  # Logged metrics: JSON lines and TensorBoard events, same steps.
  with open(os.path.join(full, 'metrics.jsonl')) as f:
    rows = [json.loads(line) for line in f]
  assert [r['step'] for r in rows] == [2, 4, 6]
  assert all(np.isfinite(r['loss']) and r['loss'] > 0 for r in rows)
  events = _read_events(glob.glob(os.path.join(full, 'tensorboard',
                                               'events.out.tfevents.*'))[0])
  loss_events = [(s, v) for t, s, v in events if t == 'loss']
  assert [s for s, _ in loss_events] == [2, 4, 6]
  np.testing.assert_allclose([v for _, v in loss_events],
                             [r['loss'] for r in rows], rtol=1e-6)


def test_evaluation_outputs(data_dir, tmp_path):
  workdir = str(tmp_path / 'run')
  res = train.train_and_evaluate(
      _smoke(data_dir, **{'eval.compare_init': True}), workdir)
  with open(os.path.join(workdir, 'eval', 'metrics.json')) as f:
    written = json.load(f)
  for split, n in (('train', 20), ('test', 40)):
    for readout in ('fft', 'fft_scaled', 'linear_probe'):
      m = written[split][readout]
      assert set(m) == {'mae', 'mape', 'rmse', 'pearson'}
      assert m['mae'] == pytest.approx(res['eval'][split][readout]['mae'])
      assert 0 <= m['mae'] <= m['rmse'] < 10
  feats = np.load(os.path.join(workdir, 'eval', 'features.npz'))
  assert feats['test_features'].shape == (40, 48)
  assert feats['train_features'].shape == (20, 48)
  # Targets come back in the split's order, inside the generator's range.
  assert np.all((feats['test_frequency'] >= 0.5)
                & (feats['test_frequency'] <= 5))
  for sub in ('eval', 'eval_init'):
    with open(os.path.join(workdir, sub, 'figure.png'), 'rb') as f:
      assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  assert res['eval_init'] != res['eval']
  # eval.init_only evaluates the same untrained encoder (same seed), alone.
  floor = train.train_and_evaluate(
      _smoke(data_dir, **{'eval.init_only': True}), str(tmp_path / 'init'))
  assert floor['eval'] == res['eval_init']
  assert not glob.glob(str(tmp_path / 'init' / 'checkpoints' / '[0-9]*'))


def test_non_finite_loss_stops_with_a_clear_error(data_dir, tmp_path):
  # Logits sim / 1e-38 overflow float32: the loss becomes NaN at step 0.
  config = _smoke(data_dir, **{'method.feature_temperature': 1e-38})
  # Steps are 1-based, as in metrics.jsonl; the advice names the causes.
  with pytest.raises(FloatingPointError, match='non-finite training metrics '
                     'at step 1: .*Nothing of this step was saved.*learning '
                     'rate.*NaN or infinite values in the input'):
    train.train_and_evaluate(config, str(tmp_path / 'nan'))
  assert not glob.glob(str(tmp_path / 'nan' / 'checkpoints' / '[0-9]*'))


def test_a_non_finite_state_is_never_saved(data_dir, tmp_path):
  # The loss of step 1 is computed before the update and is finite; the
  # update at learning rate 1e39 makes the parameters infinite.
  config = _smoke(data_dir, **{'optim.learning_rate': 1e39,
                               'num_train_steps': 1, 'optim.grad_clip_norm':
                               0.0})
  with pytest.raises(FloatingPointError,
                     match='train state holds non-finite values after step '
                     '1'):
    train.train_and_evaluate(config, str(tmp_path / 'inf'))
  assert not glob.glob(str(tmp_path / 'inf' / 'checkpoints' / '[0-9]*'))


def test_a_damaged_latest_checkpoint_falls_back_to_the_intact_one(
    data_dir, tmp_path, capsys):
  workdir = str(tmp_path / 'damaged')
  train.train_and_evaluate(_smoke(data_dir, num_train_steps=4,
                                  checkpoint_every_steps=2), workdir)
  # Steps 2 and 4 saved; truncate every array file of step 4.
  ckpts = os.path.join(workdir, 'checkpoints')
  assert {'2', '4'} <= set(os.listdir(ckpts))
  for path in glob.glob(os.path.join(ckpts, '4', 'state', '**', '*'),
                        recursive=True):
    if os.path.isfile(path) and os.path.getsize(path) > 64:
      with open(path, 'r+b') as f:
        f.truncate(16)
  capsys.readouterr()
  res = train.train_and_evaluate(_smoke(data_dir, num_train_steps=6,
                                        checkpoint_every_steps=2), workdir)
  out = capsys.readouterr().out
  assert 'Checkpoint 4 in' in out and 'cannot be restored' in out
  assert 'Removing the damaged checkpoint 4.' in out
  assert 'Resuming from checkpoint 2 in' in out
  assert 'test' in res['eval']
  assert '6' in os.listdir(ckpts)


@pytest.mark.parametrize('change', [{'model.channels': (6, 8)},
                                    {'model.name': 'tscan'}])
def test_a_workdir_from_another_model_is_one_line_and_kept(data_dir,
                                                           tmp_path, change):
  workdir = str(tmp_path / 'other')
  train.train_and_evaluate(_smoke(data_dir, num_train_steps=2,
                                  checkpoint_every_steps=2), workdir)
  ckpts = os.path.join(workdir, 'checkpoints')
  saved = sorted(os.listdir(ckpts))
  with pytest.raises(ValueError) as e:
    train.train_and_evaluate(_smoke(data_dir, num_train_steps=4, **change),
                             workdir)
  msg = str(e.value)
  assert len(msg.splitlines()) == 1, msg
  assert f'no checkpoint in {ckpts} can be restored' in msg
  assert 'use a new --workdir' in msg
  assert sorted(os.listdir(ckpts)) == saved  # the other run's are kept
  assert _final_state(workdir, 2)  # and still restore as they were


def test_init_only_beside_a_trained_run_keeps_its_evaluation(data_dir,
                                                             tmp_path):
  workdir = str(tmp_path / 'run')
  train.train_and_evaluate(_smoke(data_dir), workdir)
  before = {f: open(os.path.join(workdir, f), 'rb').read()
            for f in ('config.json', 'eval/metrics.json',
                      'eval/features.npz')}
  res = train.train_and_evaluate(_smoke(data_dir, **{'eval.init_only':
                                                     True}), workdir)
  assert res['eval_dir'] == os.path.join(workdir, 'eval_init')
  with open(os.path.join(workdir, 'eval_init', 'metrics.json')) as f:
    assert json.load(f)['model'] == 'untrained'
  for name, content in before.items():
    with open(os.path.join(workdir, name), 'rb') as f:
      assert f.read() == content, name


def test_a_workdir_that_is_a_file_is_refused_before_any_work(data_dir,
                                                             tmp_path):
  path = tmp_path / 'file'
  path.write_text('not a folder')
  with pytest.raises(ValueError, match='is a file, not a folder'):
    train.train_and_evaluate(_smoke(data_dir), str(path))


def test_impossible_config_is_refused(data_dir, tmp_path):
  config = _smoke(data_dir, **{'method.num_frames': 40})  # 48-frame clips
  with pytest.raises(ValueError, match='need'):
    train.train_and_evaluate(config, str(tmp_path / 'bad'))


def _main(*args, timeout=300):
  env = dict(os.environ, JAX_PLATFORMS='cpu')
  return subprocess.run([sys.executable, '-m', 'simper_jax.main', *args],
                        capture_output=True, text=True, cwd=ROOT, env=env,
                        timeout=timeout)


def test_command_line_smoke_run(data_dir, tmp_path):
  workdir = str(tmp_path / 'cli')
  proc = _main(f'--config={CONFIG}:smoke', f'--workdir={workdir}',
               f'--config.data.data_dir={data_dir}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  out = proc.stdout
  assert 'step      6/6' in out
  assert 'linear_probe' in out and 'mae' in out
  assert f'figure:  {os.path.join(workdir, "eval", "figure.png")}' in out
  assert os.path.exists(os.path.join(workdir, 'eval', 'figure.png'))


def test_command_line_typo_is_one_line(tmp_path):
  proc = _main(f'--config={CONFIG}:smoke', f'--workdir={tmp_path}',
               '--config.optim.learnig_rate=0.1', timeout=120)
  assert proc.returncode != 0
  assert 'learnig_rate' in proc.stderr
  assert 'Traceback' not in proc.stderr
  assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
