"""The text table of an evaluation, one column per model."""

from __future__ import annotations

from typing import Any

from simper_jax.tasks import base as task_base


def format_table(columns: list[tuple[str, dict[str, Any]]],
                 task: task_base.Task, split: str = 'test') -> str:
  """A text table of ``split``'s readout metrics, one column per model.

  Args:
    columns: ``(name, metrics)`` pairs, metrics as returned by
      ``evaluator.evaluate`` (split -> readout -> metric).
    task: the task kind: its readouts, metrics and their units.
    split: the split to show.
  """
  if not all(split in m for _, m in columns):
    return f'{split} split: no labelled clips to score.'
  head = f'{split + " split":14s} {"metric":8s}' + ''.join(
      f' {name:>12s}' for name, _ in columns)
  lines = [head, '-' * len(head)]
  for r in task.readouts:
    if not all(r in m[split] for _, m in columns):
      continue
    for k in task.metrics:
      if not all(k in m[split][r] for _, m in columns):
        continue
      vals = ''.join(f' {m[split][r][k]:12.4f}' for _, m in columns)
      u = task.metric_unit(k)
      lines.append(f'{r:14s} {k + (f" ({u})" if u else ""):8s}{vals}')
  return '\n'.join(lines)
