"""Training methods: SimPer and the baselines, each a module.

Every method module satisfies the :class:`base.Method` protocol
(``simper_jax/methods/base.py``), which lists exactly what the trainer
uses: ``NEEDS_LABELS``, ``TRAINABLE``, ``config_from``, ``build``,
``make_views``, ``compute_loss``, ``after_update`` and ``encoder_of``, all
defined explicitly in each module (no defaults). Pieces the methods share
(instance views, projection heads, target-network copy and EMA update,
NT-Xent) live in :mod:`common`; no method imports another.

Chosen from the config through the explicit ``METHODS`` dict (no string
evaluation). To add a method, put its module in ``METHODS``;
:func:`get` runs :func:`base.check` on it, so a module missing a member
fails at lookup with a ``TypeError`` naming what is missing.
"""

from simper_jax.methods import base
from simper_jax.methods import byol
from simper_jax.methods import cvrl
from simper_jax.methods import moco_v2
from simper_jax.methods import simclr
from simper_jax.methods import simper
from simper_jax.methods import supervised

Method = base.Method

METHODS = {
    'simper': simper,
    'simclr': simclr,
    'byol': byol,
    'moco_v2': moco_v2,
    'cvrl': cvrl,
    'supervised': supervised,
}


def get(name: str) -> Method:
  """The method called ``name``, checked against :class:`base.Method`."""
  if name not in METHODS:
    raise ValueError(f'unknown method {name!r}; choose one of '
                     f'{sorted(METHODS)}.')
  method = METHODS[name]
  base.check(method)
  return method
