"""Self-supervised methods, each a module with ``make_views`` and ``loss``.

Chosen from the config through the explicit ``METHODS`` dict (no string
evaluation). Baselines (SimCLR, MoCo v2, BYOL, CVRL, supervised) join here.
"""

from simper_jax.methods import byol
from simper_jax.methods import cvrl
from simper_jax.methods import moco_v2
from simper_jax.methods import simclr
from simper_jax.methods import simper
from simper_jax.methods import supervised

METHODS = {
    'simper': simper,
    'simclr': simclr,
    'byol': byol,
    'moco_v2': moco_v2,
    'cvrl': cvrl,
    'supervised': supervised,
}


def get(name: str):
  """The method module called ``name``."""
  if name not in METHODS:
    raise ValueError(f'unknown method {name!r}; choose one of '
                     f'{sorted(METHODS)}.')
  return METHODS[name]
