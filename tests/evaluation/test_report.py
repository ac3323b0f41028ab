"""simper_jax.evaluation.report: the text table of an evaluation."""

from __future__ import annotations

from simper_jax import tasks
from simper_jax.evaluation import report


def _metrics(task, offset, readouts=None):
  """A split's metrics: readout -> metric -> a value that says which."""
  return {'test': {r: {k: offset + 10 * i + j
                       for j, k in enumerate(task.metrics)}
                   for i, r in enumerate(readouts or task.readouts)},
          'train': {}}


def _rows(table):
  return [line.split() for line in table.splitlines()[2:]]


def test_table_has_a_row_per_readout_and_metric_with_units():
  task = tasks.get('hz')
  table = report.format_table(
      [('init', _metrics(task, 0.0)), ('trained', _metrics(task, 0.5))],
      task, 'test')
  head, rule = table.splitlines()[:2]
  assert head.split() == ['test', 'split', 'metric', 'init', 'trained']
  assert rule == '-' * len(head)
  rows = _rows(table)
  assert len(rows) == len(task.readouts) * len(task.metrics)
  assert rows[0] == ['fft', 'mae', '(Hz)', '0.0000', '0.5000']
  assert rows[1] == ['fft', 'mape', '(%)', '1.0000', '1.5000']
  assert rows[2] == ['fft', 'rmse', '(Hz)', '2.0000', '2.5000']
  assert rows[3] == ['fft', 'pearson', '3.0000', '3.5000']
  assert [r[0] for r in rows[::len(task.metrics)]] == list(task.readouts)
  assert rows[-4][3:] == ['20.0000', '20.5000']  # linear_probe mae


def test_table_skips_what_a_model_lacks_and_adds_the_task_metrics():
  task = tasks.get('count')
  full = _metrics(task, 0.0)
  probe_only = _metrics(task, 0.0, readouts=('linear_probe',))
  table = report.format_table([('a', full), ('b', probe_only)], task)
  rows = _rows(table)
  assert {r[0] for r in rows} == {'linear_probe'}
  assert [r[1] for r in rows] == list(task.metrics)
  assert ['linear_probe', 'obo'] == rows[-1][:2]
  assert ['linear_probe', 'mae', '(reps)'] == rows[0][:3]


def test_table_of_a_value_task_shows_its_unit():
  task = tasks.get('kelvin')
  rows = _rows(report.format_table([('m', _metrics(task, 1.0))], task))
  assert rows[0] == ['linear_probe', 'mae', '(K)', '1.0000']
  assert len(rows) == len(task.metrics)
