"""Task kinds: what a target means (unit, readouts, metrics, labels).

``data.target_unit`` selects the kind through the explicit ``TASKS`` dict;
a new kind is one module implementing ``base.Task`` plus its line here
(docs/extending.md).
"""

from __future__ import annotations

from simper_jax.tasks import base
from simper_jax.tasks import count
from simper_jax.tasks import frequency
from simper_jax.tasks import heart_rate
from simper_jax.tasks import value

# data.target_unit -> task kind.
TASKS: dict[str, base.Task] = {
    'hz': frequency.TASK,
    'bpm': heart_rate.TASK,
    'count': count.TASK,
    'kelvin': value.Value(unit='K', quantity='temperature'),
}


def get(target_unit: str) -> base.Task:
  """The task kind of ``data.target_unit``, or a ValueError listing them."""
  if target_unit not in TASKS:
    raise ValueError(f'data.target_unit={target_unit!r} names no task kind; '
                     f'choose one of {sorted(TASKS)}.')
  return TASKS[target_unit]
