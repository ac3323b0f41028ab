"""The compiled SimPer train step: learning, compilation, device count."""

import jax
import numpy as np
import optax
import pytest
from flax import nnx

from simper_jax import augment
from simper_jax import health
from simper_jax import partitioning
from simper_jax import synthetic
from simper_jax import train
from simper_jax.methods import simper
from simper_jax.models import cnn3d

CFG = simper.Config(views=augment.ViewConfig(
    num_speeds=4, num_frames=24, speed_range=(0.5, 2.0)))
BATCH = 8


class _CountingSimPer:
  """SimPer, counting how often the step is traced."""
  traces = 0

  @classmethod
  def make_views(cls, key, clip, cfg):
    cls.traces += 1
    return simper.make_views(key, clip, cfg)

  TRAINABLE = simper.TRAINABLE
  compute_loss = staticmethod(simper.compute_loss)
  after_update = staticmethod(simper.after_update)


def _setup(devices, method=simper, tx=None):
  model = cnn3d.CNN3D(channels=(4, 8), rngs=nnx.Rngs(0))
  model.train()
  tx = tx or optax.adam(1e-2)
  optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
  graphdef, state = train.split_state(model, optimizer)
  mesh = partitioning.make_mesh(devices)
  fns = train.make_train_step(graphdef, method=method, method_cfg=CFG,
                              mesh=mesh)
  return fns, partitioning.replicate(state, mesh), mesh


def _batch(mesh, step, clips):
  index = (np.arange(BATCH) + step * BATCH).astype(np.int32)
  return partitioning.shard_batch(
      {'clip': clips[index % len(clips)], 'index': index}, mesh)


@pytest.fixture(scope='module')
def clips():
  return synthetic.periodic_clips(0, 16, num_frames=60, size=12,
                                  freq_range=(0.5, 2.5))[0]


def test_loss_falls_on_synthetic_periodic_batch(clips):
  fns, state, mesh = _setup(jax.devices()[:1])
  losses = []
  for step in range(40):
    state, metrics = fns.step(state, _batch(mesh, step % 2, clips),
                              jax.random.key(0))
    health.check_finite(metrics, step + 1)
    losses.append(float(metrics['loss']))
  first, last = np.mean(losses[:5]), np.mean(losses[-5:])
  assert last < first - 0.04, (first, last, losses)


def test_step_compiles_once(clips):
  _CountingSimPer.traces = 0
  fns, state, mesh = _setup(jax.devices()[:1], method=_CountingSimPer)
  for step in range(3):
    state, _ = fns.step(state, _batch(mesh, step, clips), jax.random.key(1))
  assert _CountingSimPer.traces == 1  # vmap traces make_views once per trace
  assert fns.step._cache_size() == 1


def test_four_devices_match_one_device(clips):
  assert len(jax.devices()) >= 4, 'conftest must set 4 fake CPU devices'
  # Plain SGD: parameter differences are lr * gradient differences (Adam
  # would blow float reduction-order noise in near-zero gradients up to lr).
  results = []
  for devices in (jax.devices()[:1], jax.devices()[:4]):
    fns, state, mesh = _setup(devices, tx=optax.sgd(0.1))
    losses = []
    for step in range(3):
      state, metrics = fns.step(state, _batch(mesh, step, clips),
                                jax.random.key(2))
      losses += [float(metrics['loss']), float(metrics['grad_norm'])]
    params = jax.tree.map(np.asarray, nnx.state(
        train.merge_state(fns.graphdef, state)[0], nnx.Param))
    results.append((losses, jax.tree.leaves(params)))
  (l1, p1), (l4, p4) = results
  # Reduction order differs across devices: float32 noise of ~1e-5.
  np.testing.assert_allclose(l4, l1, rtol=1e-4)
  for a, b in zip(p4, p1):
    np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)


def test_state_is_sharded_as_designed(clips):
  fns, state, mesh = _setup(jax.devices()[:4])
  batch = _batch(mesh, 0, clips)
  assert batch['clip'].sharding.spec == jax.sharding.PartitionSpec('data')
  state, _ = fns.step(state, batch, jax.random.key(0))
  for leaf in jax.tree.leaves(state):
    assert leaf.sharding.is_fully_replicated


def test_bad_batch_and_nonfinite_metrics_raise():
  mesh = partitioning.make_mesh(jax.devices()[:4])
  with pytest.raises(ValueError, match='multiple'):
    partitioning.shard_batch({'clip': np.zeros((6, 2))}, mesh)
  with pytest.raises(FloatingPointError, match='step 7'):
    health.check_finite({'loss': np.float32(np.nan)}, 7)


def test_step_schedule_is_the_tutorials_decay():
  import ml_collections  # pylint: disable=g-import-not-at-top
  cfg = ml_collections.ConfigDict(dict(
      name='adam', learning_rate=1e-3, schedule='step',
      decay_epochs=(12.0, 16.0), decay_factors=(0.1, 0.01), warmup_steps=0,
      weight_decay=0.0, grad_clip_norm=0.0))
  _, schedule = train.make_optimizer(cfg, steps_per_epoch=250,
                                     total_steps=5000)
  # Epoch 12 starts at step 3,000 and epoch 16 at 4,000.
  for step, lr in ((0, 1e-3), (2999, 1e-3), (3000, 1e-4), (3999, 1e-4),
                   (4000, 1e-5), (4999, 1e-5)):
    np.testing.assert_allclose(float(schedule(step)), lr, rtol=1e-6,
                               err_msg=f'step {step}')
  cfg.decay_factors = (0.1,)
  with pytest.raises(ValueError, match='same length'):
    train.make_optimizer(cfg, steps_per_epoch=250, total_steps=5000)
