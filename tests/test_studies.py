"""simper_jax.studies at the smoke scale: arms x seeds x budgets, the
report and figures, resumability."""

from __future__ import annotations

import json
import os

import pytest

from simper_jax import studies
from simper_jax import train

_SMOKE = 'experiments/rotating_digits.py:smoke'


def test_arms_of_each_study():
  assert list(studies.arms('compare_methods')) == [
      'simper', 'simclr', 'moco_v2', 'byol', 'cvrl', 'supervised']
  de = studies.arms('data_efficiency')
  assert de['simper_0.05'] == {'method.name': 'simper',
                               'data.train_fraction': 0.05}
  assert len(de) == 10
  zs = studies.arms('zero_shot')
  assert zs['supervised_extrapolation']['data.holdout_band'] == (4.0, 5.0)
  assert zs['simper_interpolation']['data.holdout_band'] == (2.0, 3.0)
  ab = studies.arms('ablations')
  assert ab['similarity_npsd'] == {'method.similarity': 'npsd'}
  assert ab['speed_range_0.5-2'] == {'method.speed_range': (0.5, 2.0)}
  assert len(ab) == 12
  with pytest.raises(ValueError, match='unknown study'):
    studies.arms('compare')


@pytest.mark.slow
def test_smoke_study_report_and_resume(tmp_path, monkeypatch):
  data_dir, workdir = str(tmp_path / 'tfds'), str(tmp_path / 'study')
  out = studies.run_study('compare_methods', workdir, experiment=_SMOKE,
                          seeds=[0, 1], budgets=[2, 4],
                          only=['simper', 'supervised'], data_dir=data_dir)
  with open(os.path.join(workdir, 'summary.json')) as f:
    summary = json.load(f)
  assert set(summary['test_mae']) == {'untrained', 'simper', 'supervised'}
  # The table's numbers are those of the evaluations at the last budget.
  vals = []
  for seed in (0, 1):
    with open(os.path.join(workdir, 'simper', f'seed{seed}', 'curve',
                           'step_4.json')) as f:
      vals.append(json.load(f)['test']['linear_probe']['mae'])
  row = summary['test_mae']['simper']['linear_probe']
  assert row['values'] == vals
  assert row['min'] <= row['mean'] <= row['max']
  assert f'{row["mean"]:.3f}' in out['report']
  assert set(summary['curves']['simper']['0']) == {'2', '4'}
  for name in ('report.md', 'curves.png', 'embeddings.png'):
    assert os.path.getsize(os.path.join(workdir, name)) > 100

  # A second run recomputes nothing.
  calls = []
  monkeypatch.setattr(train, 'train_and_evaluate',
                      lambda *a, **k: calls.append(a))
  again = studies.run_study('compare_methods', workdir, experiment=_SMOKE,
                            seeds=[0, 1], budgets=[2, 4],
                            only=['simper', 'supervised'],
                            data_dir=data_dir)
  assert not calls and again['report'] == out['report']


@pytest.mark.slow
def test_zero_shot_reports_the_held_out_band(tmp_path):
  workdir = str(tmp_path / 'zs')
  studies.run_study('zero_shot', workdir, experiment=_SMOKE, seeds=[0],
                    budgets=[2], only=['simper_interpolation'],
                    data_dir=str(tmp_path / 'tfds'))
  with open(os.path.join(workdir, 'report.md')) as f:
    report = f.read()
  assert '| simper_interpolation | test_heldout |' in report
  # The floor is evaluated on the same held-out band.
  assert '| untrained_2-3 | test_heldout |' in report
  with open(os.path.join(workdir, 'simper_interpolation', 'seed0', 'curve',
                         'step_2.json')) as f:
    metrics = json.load(f)
  assert 0 < metrics['num_clips']['test_heldout'] < metrics['num_clips'][
      'test']


def test_unknown_arm_is_refused(tmp_path):
  with pytest.raises(ValueError, match='unknown arm'):
    studies.run_study('compare_methods', str(tmp_path), experiment=_SMOKE,
                      seeds=[0], budgets=[2], only=['simclear'])


@pytest.mark.slow
def test_data_efficiency_uses_the_fraction_and_plots_it(tmp_path):
  workdir = str(tmp_path / 'de')
  studies.run_study('data_efficiency', workdir, experiment=_SMOKE, seeds=[0],
                    budgets=[2], only=['supervised_0.5'],
                    data_dir=str(tmp_path / 'tfds'))
  with open(os.path.join(workdir, 'report.md')) as f:
    report = f.read()
  assert '| supervised_0.5 | test |' in report
  assert '| untrained_0.5 | test |' in report
  with open(os.path.join(workdir, 'supervised_0.5', 'seed0', 'curve',
                         'step_2.json')) as f:
    half = json.load(f)['num_clips']
  # Half of the smoke config's training clips (10 classes), for the
  # pretraining and the readouts alike.
  per_class = studies.base_config(_SMOKE).data.train_per_class
  assert half['train'] == round(0.5 * 10 * per_class)
  assert os.path.getsize(os.path.join(workdir, 'efficiency.png')) > 100


def test_report_of_another_experiment_uses_its_task(tmp_path):
  """Any experiment: a count target's report has the count readouts and
  unit, read from the evaluation files the arms would have written."""
  config = studies.base_config('experiments/countix.py:smoke')
  assert studies.default_budgets(config) == tuple(sorted(
      {max(1, config.num_train_steps // 4),
       max(1, config.num_train_steps // 2), config.num_train_steps}))
  def point(mae):
    return {'test': {r: {'mae': mae} for r in ('fft', 'fft_scaled',
                                                'linear_probe')}}
  results = {'simper': {0: {2: point(1.0)}, 1: {2: point(3.0)}},
             'untrained': {0: {0: point(5.0)}, 1: {0: point(7.0)}}}
  text = studies.write_report('ablations', str(tmp_path), results,
                              config=config, experiment='countix:smoke',
                              budgets=[2], seeds=[0, 1])
  assert 'test MAE in reps' in text
  assert '| simper | test | 2.000 [1.000, 3.000]' in text
  with open(os.path.join(tmp_path, 'summary.json')) as f:
    summary = json.load(f)
  assert summary['unit'] == 'reps'
  assert summary['test_mae']['untrained']['linear_probe']['values'] == [
      5.0, 7.0]


def test_unknown_experiment_is_refused():
  with pytest.raises(ValueError, match='no experiment file'):
    studies.base_config('experiments/nope.py:smoke')
