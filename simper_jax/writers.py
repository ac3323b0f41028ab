"""Training metrics on disk: JSON lines and TensorBoard event files.

TensorBoard files are written with ``tensorboardX`` (no TensorFlow). Only
process 0 writes; on other processes the writer does nothing.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping


def log(msg: str) -> None:
  """Progress for the user, printed by process 0 only."""
  import jax  # pylint: disable=g-import-not-at-top
  if jax.process_index() == 0:
    print(msg, flush=True)


def jsonable(x: Any) -> Any:
  """``x`` with NaN/inf floats mapped to ``None`` (strict JSON) and NumPy /
  JAX scalars turned into Python numbers, recursively."""
  if isinstance(x, Mapping):
    return {str(k): jsonable(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [jsonable(v) for v in x]
  if hasattr(x, 'item') and getattr(x, 'size', 2) == 1:
    x = x.item()
  if isinstance(x, float) and not math.isfinite(x):
    return None
  return x


def write_json(path: str, obj: Any) -> None:
  """Writes ``obj`` as strict, indented JSON, atomically (tmp + rename)."""
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(jsonable(obj), f, indent=2, sort_keys=True, allow_nan=False)
    f.write('\n')
  os.replace(tmp, path)


class MetricWriter:
  """Appends scalars to ``WORKDIR/metrics.jsonl`` and TensorBoard events.

  Args:
    workdir: the run's directory; events go to ``WORKDIR/tensorboard``.
    enabled: write anything at all (``jax.process_index() == 0``).
    resume_step: the step training resumes from; JSON lines of later steps
      (logged before an interruption, then redone) are removed so each step
      appears once. TensorBoard shows the redone steps over the old ones.
  """

  def __init__(self, workdir: str, *, enabled: bool = True,
               resume_step: int = 0):
    self.enabled = enabled
    self._jsonl = self._tb = None
    if not enabled:
      return
    import tensorboardX  # pylint: disable=g-import-not-at-top
    os.makedirs(workdir, exist_ok=True)
    self.jsonl_path = os.path.join(workdir, 'metrics.jsonl')
    if os.path.exists(self.jsonl_path):
      with open(self.jsonl_path) as f:
        keep = [ln for ln in f if ln.strip()
                and json.loads(ln)['step'] <= resume_step]
      with open(self.jsonl_path, 'w') as f:
        f.writelines(keep)
    self._jsonl = open(self.jsonl_path, 'a')
    self._tb = tensorboardX.SummaryWriter(
        os.path.join(workdir, 'tensorboard'), flush_secs=30)

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    if not self.enabled:
      return
    row = {'step': int(step), **{k: float(v) for k, v in scalars.items()}}
    self._jsonl.write(json.dumps(jsonable(row), allow_nan=False) + '\n')
    self._jsonl.flush()
    for k, v in scalars.items():
      self._tb.add_scalar(k, float(v), int(step))

  def close(self) -> None:
    if self._jsonl is not None:
      self._jsonl.close()
      self._tb.close()
      self._jsonl = self._tb = None


def note_config_changes(path: str, config) -> None:
  """Says which fields differ from the config a workdir was started with
  (a resumed run then continues under the new values)."""
  if not os.path.exists(path):
    return
  with open(path) as f:
    old = _flatten(json.load(f))
  new = _flatten(jsonable(config.to_dict()))
  changed = sorted(k for k in old.keys() | new.keys()
                   if old.get(k) != new.get(k))
  if changed:
    log('Note: the config differs from the one in '
         f'{path}: ' + ', '.join(f'{k}: {old.get(k)!r} -> {new.get(k)!r}'
                                 for k in changed))


def _flatten(tree, prefix: str = '') -> dict[str, Any]:
  if isinstance(tree, dict):
    return {k: v for key, sub in tree.items()
            for k, v in _flatten(sub, f'{prefix}{key}.').items()}
  return {prefix[:-1]: tree}
