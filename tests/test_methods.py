"""The methods behind one interface (``methods.base.Method``): every
registered method satisfies it; the baselines' losses against direct loops,
EMA rates, global negatives over devices, and a few smoke training steps
each."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import types

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest
from flax import nnx

from simper_jax import config_common
from simper_jax import methods
from simper_jax import partitioning
from simper_jax import synthetic
from simper_jax import train
from simper_jax.methods import base
from simper_jax.methods import byol
from simper_jax.methods import common
from simper_jax.methods import cvrl
from simper_jax.methods import moco_v2
from simper_jax.methods import simclr
from simper_jax.methods import supervised
from simper_jax.models import cnn3d

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The invariant augmentations' defaults (config_common.base).
_AUGMENT = config_common.base('simper').method.augment.to_dict()


def _ref_nt_xent(za, zb, tau):
  z = np.concatenate([za, zb]).astype(np.float64)
  z = z / np.linalg.norm(z, axis=1, keepdims=True)
  n, b = len(z), len(za)
  total = 0.0
  for i in range(n):
    pos = i + b if i < b else i - b
    denom = sum(math.exp(float(z[i] @ z[k]) / tau) for k in range(n)
                if k != i)
    total += -(float(z[i] @ z[pos]) / tau - math.log(denom))
  return total / n


@pytest.mark.parametrize('b, d, tau', [(1, 3, 0.5), (3, 4, 0.1), (5, 2, 1.0)])
def test_nt_xent_matches_a_direct_loop(b, d, tau):
  rng = np.random.default_rng(b)
  za, zb = rng.normal(size=(b, d)), rng.normal(size=(b, d))
  got = jax.jit(simclr.nt_xent, static_argnums=2)(
      jnp.asarray(za, jnp.float32), jnp.asarray(zb, jnp.float32), tau)
  # (b=1: the positive is the only candidate, so the loss is 0.)
  np.testing.assert_allclose(float(got), _ref_nt_xent(za, zb, tau),
                             rtol=1e-5, atol=1e-6)


def test_nt_xent_hand_case():
  # Two clips, views identical within a clip and orthogonal across clips:
  # each row has its positive at cos 1 and two negatives at cos 0.
  za = jnp.array([[1.0, 0.0], [0.0, 1.0]])
  tau = 0.5
  want = -math.log(math.exp(2.0) / (math.exp(2.0) + 2.0))
  np.testing.assert_allclose(float(simclr.nt_xent(za, za, tau)), want,
                             rtol=1e-6)


def test_moco_infonce_with_queue_matches_a_direct_loop():
  rng = np.random.default_rng(1)
  q, k, queue = (rng.normal(size=s) for s in ((3, 4), (3, 4), (5, 4)))
  unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
  tau, want = 0.2, 0.0
  for i in range(3):
    pos = unit(q[i]) @ unit(k[i]) / tau
    negs = [unit(q[i]) @ unit(queue[j]) / tau for j in range(5)]
    want += -(pos - math.log(math.exp(pos) + sum(math.exp(n) for n in negs)))
  got = moco_v2.infonce_with_queue(*(jnp.asarray(a, jnp.float32)
                                     for a in (q, k, queue)), tau)
  np.testing.assert_allclose(float(got), want / 3, rtol=1e-5)


def test_moco_enqueues_the_global_batch_of_keys():
  fns, state, mesh = _step_setup('moco_v2', jax.devices()[:4])
  learner0, _ = train.merge_state(fns.graphdef, state)
  queue0 = np.asarray(learner0.queue[...])
  state, _ = fns.step(state, _batch(mesh), jax.random.key(0))
  learner1, _ = train.merge_state(fns.graphdef, state)
  queue1 = np.asarray(learner1.queue[...])
  assert int(learner1.queue_ptr[...]) == 8  # all 8 clips of the global batch
  assert not np.allclose(queue1[:8], queue0[:8])
  np.testing.assert_array_equal(queue1[8:], queue0[8:])
  np.testing.assert_allclose(np.linalg.norm(queue1[:8], axis=1), 1.0,
                             rtol=1e-5)


def test_cvrl_views_come_from_two_windows():
  _, mcfg = _method_cfg('cvrl')
  # A clip whose frames are numbered: a view's content tells its window.
  clip = jnp.broadcast_to(jnp.arange(40, dtype=jnp.float32)[:, None, None,
                                                             None] / 40,
                          (40, 4, 4, 1))
  import dataclasses  # pylint: disable=g-import-not-at-top
  plain = dataclasses.replace(
      mcfg, views=dataclasses.replace(
          mcfg.views, brightness=0.0, blur_prob=0.0, flip_prob=0.0,
          reverse_prob=0.0, crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0)))
  starts = []
  for seed in range(6):
    v = cvrl.make_views(jax.random.key(seed), clip, plain).views
    assert v.shape == (2, 1, 16, 4, 4, 1)
    starts.append((float(v[0, 0, 0, 0, 0, 0]), float(v[1, 0, 0, 0, 0, 0])))
  assert any(abs(a - b) > 1e-3 for a, b in starts)  # different windows


def test_byol_regression_loss_matches_a_direct_loop():
  rng = np.random.default_rng(0)
  p, z = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
  want = np.mean([2 - 2 * (p[i] @ z[i]) / (np.linalg.norm(p[i])
                                           * np.linalg.norm(z[i]))
                  for i in range(4)])
  np.testing.assert_allclose(float(byol.regression_loss(
      jnp.asarray(p, jnp.float32), jnp.asarray(z, jnp.float32))), want,
                             rtol=1e-5)


def test_ema_update_moves_the_target_by_the_configured_rate():
  online = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
  target = nnx.Linear(3, 2, rngs=nnx.Rngs(1))
  t0 = jax.tree.map(np.asarray, nnx.state(target, nnx.Param))
  o0 = jax.tree.map(np.asarray, nnx.state(online, nnx.Param))
  common.ema_update(target, online, 0.9)
  t1 = jax.tree.map(np.asarray, nnx.state(target, nnx.Param))
  for a, b, c in zip(jax.tree.leaves(t0), jax.tree.leaves(o0),
                     jax.tree.leaves(t1)):
    np.testing.assert_allclose(c, 0.9 * a + 0.1 * b, rtol=1e-6)
  for a, b in zip(jax.tree.leaves(o0), jax.tree.leaves(
      nnx.state(online, nnx.Param))):
    np.testing.assert_array_equal(a, b)  # the online side is untouched


def test_supervised_spectrum_features_match_a_direct_dft():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 20))
  cfg = ml_collections.ConfigDict(dict(num_frames=20, out_size=(),
                                       band=(3.0, 12.0),
                                       supervised_loss='mae',
                                       augment=_AUGMENT))
  mcfg = supervised.config_from(cfg, fps=30.0)
  got = np.asarray(supervised.spectrum_features(jnp.asarray(x), mcfg))
  want = []
  for row in x:
    row = row - row.mean()
    power = []
    for k in range(11):
      f = k * 30.0 / 20
      if 3.0 <= f <= 12.0:
        re = sum(row[t] * math.cos(2 * math.pi * k * t / 20)
                 for t in range(20))
        im = sum(row[t] * math.sin(2 * math.pi * k * t / 20)
                 for t in range(20))
        power.append(re * re + im * im)
    want.append(np.array(power) / sum(power))
  np.testing.assert_allclose(got, np.array(want), rtol=1e-4, atol=1e-7)


def test_supervised_head_starts_as_the_spectral_centroid():
  # A pure 3 Hz sinusoid (an exact bin at 30 fps, 20 samples): all power in
  # one bin, so the untrained head predicts 3 Hz; a mix of 3 and 6 Hz with
  # equal amplitude predicts their mean, 4.5 Hz.
  cfg = ml_collections.ConfigDict(dict(num_frames=20, out_size=(),
                                       band=(0.25, 15.0),
                                       supervised_loss='mae',
                                       augment=_AUGMENT))
  mcfg = supervised.config_from(cfg, fps=30.0)
  learner = supervised.build(nnx.Linear(1, 1, rngs=nnx.Rngs(0)), mcfg,
                             rngs=nnx.Rngs(1))
  t = np.arange(20) / 30.0
  series = np.stack([np.sin(2 * math.pi * 3.0 * t),
                     np.sin(2 * math.pi * 3.0 * t)
                     + np.cos(2 * math.pi * 6.0 * t)])
  pred = learner.head(supervised.spectrum_features(jnp.asarray(series),
                                                   mcfg))[:, 0]
  np.testing.assert_allclose(np.asarray(pred), [3.0, 4.5], atol=1e-4)


def _method_cfg(name):
  cfg = ml_collections.ConfigDict(dict(
      name=name, num_speeds=3, num_frames=16, speed_range=(0.5, 2.0),
      out_size=(), similarity='mxcorr', feature_temperature=1.0,
      label_kernel='l1', label_temperature=0.1, band=(0.25, 15.0),
      proj_hidden=16, proj_dim=8, temperature=0.1, ema=0.9, queue_size=12,
      supervised_loss='mae', augment=_AUGMENT))
  method = methods.get(name)
  return method, method.config_from(cfg, fps=30.0)


def _step_setup(name, devices, lr=1e-2):
  method, mcfg = _method_cfg(name)
  rngs = nnx.Rngs(0)
  learner = method.build(cnn3d.CNN3D(channels=(4, 8), rngs=rngs), mcfg,
                         rngs=rngs)
  learner.train()
  optimizer = nnx.Optimizer(learner, optax.sgd(lr), wrt=method.TRAINABLE)
  graphdef, state = train.split_state(learner, optimizer)
  mesh = partitioning.make_mesh(devices)
  fns = train.make_train_step(graphdef, method=method, method_cfg=mcfg,
                              mesh=mesh)
  return fns, partitioning.replicate(state, mesh), mesh


def _batch(mesh, n=8, labels=False):
  clips, freqs = synthetic.periodic_clips(0, n, num_frames=40, size=8)
  batch = {'clip': clips, 'index': np.arange(n, dtype=np.int32)}
  if labels:
    batch['label'] = np.asarray(freqs, np.float32)
  return partitioning.shard_batch(batch, mesh)


@pytest.mark.parametrize('name', ['simclr', 'moco_v2', 'byol', 'cvrl'])
def test_four_devices_give_the_single_device_loss(name):
  # SimCLR's negatives are the whole global batch: split over 4 devices the
  # loss must be the same number as on one device.
  losses = []
  for devices in (jax.devices()[:1], jax.devices()[:4]):
    fns, state, mesh = _step_setup(name, devices)
    _, metrics = fns.step(state, _batch(mesh), jax.random.key(0))
    losses.append(float(metrics['loss']))
  np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
  assert np.isfinite(losses[0])


def test_byol_target_follows_the_online_network_by_ema_only():
  fns, state, mesh = _step_setup('byol', jax.devices()[:1])
  learner0, _ = train.merge_state(fns.graphdef, state)
  online0 = jax.tree.map(np.asarray, nnx.state(learner0.encoder, nnx.Param))
  target0 = jax.tree.map(np.asarray,
                         nnx.state(learner0.target_encoder, nnx.Param))
  for a, b in zip(jax.tree.leaves(online0), jax.tree.leaves(target0)):
    np.testing.assert_array_equal(a, b)  # starts as a copy
  state, _ = fns.step(state, _batch(mesh), jax.random.key(0))
  learner1, _ = train.merge_state(fns.graphdef, state)
  online1 = nnx.state(learner1.encoder, nnx.Param)
  target1 = nnx.state(learner1.target_encoder, nnx.Param)
  moved = False
  for o0, o1, t1 in zip(jax.tree.leaves(online0), jax.tree.leaves(online1),
                        jax.tree.leaves(target1)):
    np.testing.assert_allclose(np.asarray(t1), 0.9 * o0 + 0.1 * np.asarray(
        o1), rtol=1e-5, atol=1e-7)
    moved |= not np.array_equal(o0, np.asarray(o1))
  assert moved  # the online encoder did train


def _smoke(name, data_dir):
  spec = importlib.util.spec_from_file_location(
      'rd', os.path.join(ROOT, 'experiments', 'rotating_digits.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config(f'smoke,method={name}')
  config.data.data_dir = data_dir
  return config


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


@pytest.mark.parametrize('name', ['simclr', 'moco_v2', 'byol', 'cvrl',
                                  'supervised'])
def test_each_method_trains_in_the_smoke_config(name, data_dir, tmp_path):
  res = train.train_and_evaluate(_smoke(name, data_dir), str(tmp_path))
  assert set(res['eval']['test']) == {'fft', 'fft_scaled', 'linear_probe'}
  with open(os.path.join(tmp_path, 'metrics.jsonl')) as f:
    rows = [json.loads(line) for line in f]
  assert [r['step'] for r in rows] == [2, 4, 6]
  assert all(np.isfinite(r['loss']) for r in rows)
  if name == 'supervised':
    assert all('train_mae' in r for r in rows)


def test_unknown_method_is_refused():
  with pytest.raises(ValueError, match='unknown method'):
    methods.get('simclear')


# --- The interface (methods.base.Method).

_TRAINER_USES = ('NEEDS_LABELS', 'TRAINABLE', 'config_from', 'build',
                 'make_views', 'compute_loss', 'after_update', 'encoder_of')


def test_the_protocol_lists_exactly_what_the_trainer_uses():
  assert set(base.MEMBERS) == set(_TRAINER_USES)


@pytest.mark.parametrize('name', sorted(methods.METHODS))
def test_every_registered_method_satisfies_the_protocol(name):
  module = methods.METHODS[name]
  base.check(module)  # raises TypeError otherwise
  assert methods.get(name) is module
  for member in _TRAINER_USES:  # defined in the module: no defaults
    assert member in vars(module), (name, member)


@pytest.mark.parametrize('name', sorted(methods.METHODS))
def test_no_method_imports_another_method(name):
  others = {m for n, m in methods.METHODS.items() if n != name}
  imported = [v for v in vars(methods.METHODS[name]).values()
              if isinstance(v, types.ModuleType)]
  assert not others & set(imported)


def _fake_method(name='mine', **overrides):
  module = types.ModuleType(name)
  for member in _TRAINER_USES:
    setattr(module, member, getattr(methods.simclr, member))
  for k, v in overrides.items():
    if v is None:
      delattr(module, k)
    else:
      setattr(module, k, v)
  return module


def test_a_complete_fake_method_passes_the_check():
  base.check(_fake_method())


@pytest.mark.parametrize('missing', _TRAINER_USES)
def test_a_method_missing_a_member_is_rejected_naming_it(missing):
  module = _fake_method(**{missing: None})
  with pytest.raises(TypeError, match=rf'mine lacks {missing}\b'):
    base.check(module)


def test_a_registered_method_missing_members_fails_at_lookup(monkeypatch):
  module = _fake_method(TRAINABLE=None, after_update=None)
  monkeypatch.setitem(methods.METHODS, 'mine', module)
  with pytest.raises(TypeError, match='lacks TRAINABLE, after_update'):
    methods.get('mine')


@pytest.mark.parametrize('overrides, message', [
    (dict(NEEDS_LABELS=1), 'NEEDS_LABELS must be a bool'),
    (dict(TRAINABLE=3.5), 'TRAINABLE must be an nnx filter'),
    (dict(compute_loss=3), 'compute_loss must be callable'),
    (dict(build=lambda encoder, cfg: None),
     r'cannot be called as build\(encoder, cfg, \*, rngs\)'),
    (dict(config_from=lambda method_cfg, frame_rate: None),
     r'cannot be called as config_from\(method_cfg, \*, fps\)'),
    (dict(compute_loss=lambda learner, views, cfg: None),
     'cannot be called as compute_loss'),
])
def test_a_method_with_a_wrong_member_is_rejected(overrides, message):
  with pytest.raises(TypeError, match=message):
    base.check(_fake_method(**overrides))
