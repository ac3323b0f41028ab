"""simper_jax.evaluation.sources on a tiny RotatingDigits (10 clips per
split, built once): which splits an evaluation reads, and how."""

from __future__ import annotations

import ml_collections
import numpy as np
import pytest

from simper_jax import config_common
from simper_jax import datasets
from simper_jax.evaluation import sources


@pytest.fixture(scope='module')
def built(tmp_path_factory):
  data = config_common.data(
      'rotating_digits', target_unit='hz', fps=30.0, train_per_class=1,
      test_per_class=1, num_frames=8,
      data_dir=str(tmp_path_factory.mktemp('tfds')))
  return data, datasets.prepare(data)


def _config(data, **overrides):
  c = config_common.base('simper')
  c.data = data.copy_and_resolve_references()
  c.data.update(overrides)
  return c


def _freqs(source):
  return np.array([source[i]['frequency'] for i in range(len(source))])


def test_train_and_eval_splits_whole_by_default(built):
  data, builder = built
  out = sources.eval_sources(builder, _config(data))
  assert list(out) == ['train', 'test']  # the train split once, first
  assert [len(s) for s in out.values()] == [10, 10]


def test_train_fraction_reduces_only_the_training_split(built):
  data, builder = built
  out = sources.eval_sources(builder, _config(data, train_fraction=0.5))
  assert len(out['train']) == 5 and len(out['test']) == 10
  again = sources.eval_sources(builder, _config(data, train_fraction=0.5))
  np.testing.assert_array_equal(_freqs(again['train']), _freqs(out['train']))


def test_holdout_band_adds_the_heldout_clips_of_each_eval_split(built):
  data, builder = built
  test = _freqs(builder.as_data_source('test'))
  band = tuple(np.sort(test)[[2, 6]])  # 5 of the 10 test clips inside
  out = sources.eval_sources(builder, _config(data, holdout_band=band))
  assert set(out) == {'train', 'test', 'test_heldout'}
  held = _freqs(out['test_heldout'])
  assert len(held) == 5 and np.all((held >= band[0]) & (held <= band[1]))
  assert len(out['test']) == 10  # the whole split is scored too
  train = _freqs(out['train'])
  assert np.all((train < band[0]) | (train > band[1]))


def test_cross_datasets_are_read_with_the_same_preprocessing(built):
  data, builder = built
  c = _config(data)
  c.eval.cross_datasets = ml_collections.ConfigDict({'rotating_digits': ''})
  out = sources.eval_sources(builder, c)
  assert set(out) == {'train', 'test', 'rotating_digits_test'}
  np.testing.assert_array_equal(_freqs(out['rotating_digits_test']),
                                _freqs(out['test']))


def test_unknown_split_is_named(built):
  data, builder = built
  with pytest.raises(ValueError, match=r"no split 'validation'.*'test'"):
    sources.eval_sources(builder, _config(data,
                                          eval_splits=('validation',)))
