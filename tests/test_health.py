"""Loud signs of a broken run: non-finite metrics, collapse."""

from __future__ import annotations

import numpy as np
import pytest

from simper_jax import health


def test_non_finite_metrics_name_the_one_based_step_and_the_causes():
  health.check_finite({'loss': np.float32(1.0)}, 3)
  with pytest.raises(FloatingPointError, match=r"step 6: \{'loss': nan\}\. "
                     'Nothing of this step was saved'):
    health.check_finite({'loss': np.float32('nan'), 'grad_norm': 1.0}, 6)


def test_training_warnings_for_zero_gradients_and_a_frozen_loss():
  assert health.training_warnings(0, [1.2, 1.1, 1.3, 1.2, 1.25], 100) == []
  w = health.training_warnings(40, [2.3026] * 10, 100)
  assert len(w) == 2
  assert w[0].startswith('the gradient norm was exactly 0 on 40 of 100 ')
  assert w[1].startswith('the loss was constant (2.3026) over the last 10')
  # One zero gradient in 100 steps is not a collapse.
  assert health.training_warnings(1, [1.0, 2.0, 1.5, 1.2, 1.1], 100) == []


def test_constant_features_are_called_a_collapse():
  rng = np.random.default_rng(0)
  ok = rng.normal(size=(10, 8))
  flat = np.ones((10, 8))
  flat[:3] = rng.normal(size=(3, 8))  # 7 of 10 constant
  assert health.collapse_warnings({'test': ok}) == []
  (w,) = health.collapse_warnings({'train': ok, 'test': flat})
  assert w.startswith('7 of 10 test feature series are constant')
