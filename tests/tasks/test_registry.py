"""simper_jax.tasks: every registered kind honours the Task interface, and
``tasks.get`` names the choices."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from simper_jax import tasks
from simper_jax.tasks import base

FPS = 30.0
BAND = (0.75, 2.5)
_FFT = ('fft', 'fft_scaled')


def _protocol_members():
  attrs = set(base.Task.__annotations__)
  methods = {n: f for n, f in vars(base.Task).items()
             if inspect.isfunction(f) and not n.startswith('_')}
  return attrs, methods


def test_the_interface_is_what_evaluation_uses():
  attrs, methods = _protocol_members()
  assert attrs == {'name', 'unit', 'quantity', 'readouts', 'metrics'}
  assert set(methods) == {'per_hz', 'extra_predictions', 'readout_scores',
                          'split_scores', 'metric_unit'}


@pytest.mark.parametrize('unit', sorted(tasks.TASKS))
def test_every_task_kind_has_every_protocol_member(unit):
  task = tasks.TASKS[unit]
  attrs, methods = _protocol_members()
  for a in ('name', 'unit', 'quantity'):
    assert isinstance(getattr(task, a), str) and getattr(task, a), a
  assert isinstance(task.readouts, tuple) and task.readouts
  assert isinstance(task.metrics, tuple)
  assert task.metrics[:len(base.BASE_METRICS)] == base.BASE_METRICS
  assert len(set(task.metrics)) == len(task.metrics)
  assert attrs <= set(dir(task))
  for name, proto in methods.items():
    impl = getattr(task, name)
    assert callable(impl), name
    want = list(inspect.signature(proto).parameters)[1:]  # without self
    assert list(inspect.signature(impl).parameters) == want, name


@pytest.mark.parametrize('unit', sorted(tasks.TASKS))
def test_every_task_kind_behaves_as_documented(unit):
  task = tasks.TASKS[unit]
  rng = np.random.default_rng(0)
  true = rng.uniform(1.0, 2.0, 6) * (60.0 if unit == 'bpm' else 1.0)
  feats = np.sin(2 * np.pi * rng.uniform(1.0, 2.0, (6, 1)) *
                 np.arange(300)[None] / FPS)
  per_hz = task.per_hz(feats.shape[1], FPS)
  # The FFT readouts exactly when the target is a rate.
  assert (per_hz is None) == (not set(_FFT) & set(task.readouts))
  if per_hz is not None:
    assert set(_FFT) <= set(task.readouts) and per_hz > 0
  extra = task.extra_predictions(feats, FPS, BAND)
  assert set(task.readouts) == (
      {'linear_probe'} | set(extra) | (set(_FFT) if per_hz else set()))
  assert all(np.shape(p) == (6,) for p in extra.values())
  added = task.readout_scores(true + 0.5, true)
  assert tuple(added) == task.metrics[len(base.BASE_METRICS):]
  assert all(isinstance(v, float) for v in added.values())
  preds = {r: true + 0.5 for r in task.readouts}
  assert isinstance(task.split_scores(preds, true, feats, FPS, BAND), dict)
  assert task.metric_unit('mape') == '%'
  assert task.metric_unit('mae') == task.metric_unit('rmse') == task.unit
  assert task.metric_unit('pearson') == ''


def test_units_select_their_kinds():
  assert {u: t.name for u, t in tasks.TASKS.items()} == {
      'hz': 'frequency', 'bpm': 'heart_rate', 'count': 'count',
      'kelvin': 'value'}
  for unit, task in tasks.TASKS.items():
    assert tasks.get(unit) is task


def test_unknown_unit_lists_the_kinds():
  with pytest.raises(ValueError, match=r"'furlongs'.*\['bpm', 'count', "
                                       r"'hz', 'kelvin'\]"):
    tasks.get('furlongs')
