"""What can go wrong in a run, said loudly: non-finite values and collapse.

A run stops (``FloatingPointError``) on a non-finite metric or train state
before anything is saved; a collapsed run (gradients exactly 0, a loss
that no longer moves, constant features) finishes but says so in the log
and in ``metrics.json["warnings"]``.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from simper_jax import writers


NON_FINITE_ADVICE = (
    'Nothing of this step was saved; the last checkpoint is intact. Common '
    'causes: a learning rate too high for this model (optim.learning_rate), '
    'NaN or infinite values in the input data, or float16 overflow '
    '(model.dtype).')


def check_finite(metrics: dict[str, Any], step: int) -> None:
  """Raises ``FloatingPointError`` if a metric of ``step`` (1-based, as in
  ``metrics.jsonl``) is not finite."""
  bad = {k: float(v) for k, v in metrics.items()
         if not bool(jnp.all(jnp.isfinite(v)))}
  if bad:
    raise FloatingPointError(
        f'non-finite training metrics at step {step}: {bad}. '
        + NON_FINITE_ADVICE)


def training_warnings(zero_grads: int, losses: list[float],
                      steps: int) -> list[str]:
  """Signs of a collapsed run: the gradient exactly 0 on many steps, or a
  loss that no longer moves at all (every view alike)."""
  out = []
  if steps and zero_grads >= max(2, 0.1 * steps):
    out.append(f'the gradient norm was exactly 0 on {zero_grads} of {steps} '
               'steps: the encoder stopped learning (collapsed; e.g. a '
               'learning rate too high, or dead ReLUs).')
  tail = losses[-10:]
  if len(tail) >= 5 and max(tail) - min(tail) <= 1e-7 * max(1.0, abs(
      tail[-1])):
    out.append(f'the loss was constant ({tail[-1]:.6g}) over the last '
               f'{len(tail)} steps: the features no longer depend on the '
               'input (collapsed).')
  for text in out:
    writers.log(f'WARNING: {text}')
  return out


def collapse_warnings(feats: dict[str, np.ndarray]) -> list[str]:
  """A loud line per split whose feature series are mostly constant: a
  collapsed encoder, whose readouts mean nothing."""
  out = []
  for split, f in feats.items():
    flat = int(np.sum(np.ptp(f, axis=1) == 0)) if len(f) else 0
    if flat and flat >= 0.5 * len(f):
      out.append(f'{flat} of {len(f)} {split} feature series are constant: '
                 'the encoder has collapsed and its readouts are '
                 'meaningless (e.g. a learning rate too high).')
      writers.log(f'WARNING: {out[-1]}')
  return out
