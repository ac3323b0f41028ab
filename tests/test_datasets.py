"""simper_jax.datasets and the plug-in plumbing it rests on
(tfds_builders.registry and common): lookup, custom config names, preparing
a tiny RotatingDigits, and a failed build leaving nothing behind."""

from __future__ import annotations

import dataclasses
import math
import os
import types

import numpy as np

import pytest
import tensorflow_datasets as tfds

from simper_jax import config_common
from simper_jax import datasets
from tfds_builders import common
from tfds_builders import registry
from tfds_builders.rotating_digits import adapter as rd_adapter


# ----------------------------------------------------------------- registry


def test_every_registered_dataset_is_a_plugin_under_its_name():
  assert {'rotating_digits', 'scamps', 'ubfc_rppg', 'pure', 'countix',
          'lst'} <= set(registry.DATASETS)
  for name, plugin in registry.DATASETS.items():
    assert isinstance(plugin, common.Dataset) and plugin.name == name
    assert callable(plugin.make_builder)
    assert plugin.clip and plugin.target and plugin.clip != plugin.target


def test_unknown_dataset_lists_the_registered_names():
  names = ', '.join(repr(n) for n in sorted(registry.DATASETS))
  with pytest.raises(ValueError, match=rf"'mnist3d'.*\[{names}\]"):
    registry.get('mnist3d')
  cfg = config_common.data('mnist3d', target_unit='hz', fps=30.0)
  with pytest.raises(ValueError, match='data.name'):
    datasets.plugin(cfg)


def test_plugin_of_a_data_section_says_which_features_to_read():
  cfg = config_common.data('rotating_digits', target_unit='hz', fps=30.0)
  plugin = datasets.plugin(cfg)
  assert plugin is rd_adapter.DATASET
  assert (plugin.clip, plugin.target) == ('video', 'frequency')


# ------------------------------------------------------------ custom_config


@dataclasses.dataclass
class _Config(tfds.core.BuilderConfig):
  size: int = 8
  fps: float = 30.0
  band: tuple[float, float] = (0.5, 2.0)


_BASE = _Config(name='base', description='Base.')
_SHORT = {'size': 's', 'fps': 'fps', 'band': 'b'}


def test_custom_config_is_the_base_when_nothing_changes():
  assert common.custom_config(_BASE, {'size': 8, 'fps': 30.0}, _SHORT) is (
      _BASE)


def test_custom_config_names_only_the_changed_options():
  cfg = common.custom_config(_BASE, {'size': 16, 'fps': 30.0}, _SHORT)
  assert cfg.name == 'base_s16'
  assert (cfg.size, cfg.fps, cfg.band) == (16, 30.0, (0.5, 2.0))
  assert _BASE.size == 8  # the registered config is left alone
  assert 'Custom' in cfg.description and "'size': 16" in cfg.description
  # Dots become 'p', sequences are joined with '-', in the given order.
  cfg = common.custom_config(
      _BASE, {'band': (0.75, 2.5), 'size': 8, 'fps': 12.5}, _SHORT)
  assert cfg.name == 'base_b0p75-2p5_fps12p5'


def test_named_config_lists_the_choices():
  builder_cls = rd_adapter.Builder
  assert common.named_config(builder_cls, 'mnist').name == 'mnist'
  with pytest.raises(ValueError, match=r"data.source='emnist'.*"
                                       r"\['mnist', 'mnist_offline'\]"):
    common.named_config(builder_cls, 'emnist')


def test_option_reads_declared_fields_else_the_default():
  cfg = config_common.data('rotating_digits', target_unit='hz', fps=30.0,
                           num_frames=8)
  assert common.option(cfg, 'num_frames', 150) == 8
  assert common.option(cfg, 'train_per_class', 100) == 100


# ------------------------------------------------------------------ prepare


def _tiny(data_dir, fps=30.0, **kw):
  return config_common.data('rotating_digits', target_unit='hz', fps=fps,
                            train_per_class=1, test_per_class=1,
                            num_frames=8, data_dir=str(data_dir), **kw)


def test_prepare_builds_a_tiny_rotating_digits_once(tmp_path):
  cfg = _tiny(tmp_path / 'tfds')
  builder = datasets.prepare(cfg)
  assert builder.info.config_name == 'mnist_offline_tr1_te1_t8'
  assert builder.data_dir == os.path.join(
      str(tmp_path / 'tfds'), 'rotating_digits', 'mnist_offline_tr1_te1_t8',
      '1.0.0')
  assert datasets.split_size(builder, 'train') == 10  # one clip per digit
  assert datasets.split_size(builder, 'test') == 10
  ex = builder.as_data_source('test')[0]
  plugin = datasets.plugin(cfg)
  assert ex[plugin.clip].shape == (8, 28, 28, 1)
  assert 0.5 <= float(ex[plugin.target]) <= 5.0
  info = os.path.join(builder.data_dir, 'dataset_info.json')
  stamp = os.stat(info).st_mtime_ns
  again = datasets.prepare(cfg)  # already prepared: not rebuilt
  assert os.stat(info).st_mtime_ns == stamp
  assert again.info.splits['train'].num_examples == 10
  with pytest.raises(ValueError, match=r"no split 'validation'.*'test', "
                                       r"'train'"):
    datasets.split_size(builder, 'validation')


def test_other_options_get_their_own_folder(tmp_path):
  # data.fps is both the clips' rate and a builder option.
  builder = datasets.get_builder(_tiny(tmp_path, fps=12.5))
  assert builder.info.config_name == 'mnist_offline_tr1_te1_t8_fps12p5'
  assert math.isclose(builder.builder_config.fps, 12.5)
  default = datasets.get_builder(config_common.data(
      'rotating_digits', target_unit='hz', fps=30.0, data_dir=str(tmp_path)))
  assert default.info.config_name == 'mnist_offline'


# -------------------------------------------------------------------- build


class _FailingBuilder:
  """What ``datasets.build`` reads of a builder; its build writes files
  and then fails."""

  name = 'fake'

  def __init__(self, data_dir):
    self.data_dir = os.path.join(data_dir, 'fake', 'cfg', '1.0.0')
    self.info = types.SimpleNamespace(full_name='fake/cfg/1.0.0')
    self.calls = 0

  def download_and_prepare(self, **kwargs):
    del kwargs
    self.calls += 1
    os.makedirs(self.data_dir)
    with open(os.path.join(self.data_dir, 'part.array_record'), 'w') as f:
      f.write('half')
    os.makedirs(os.path.join(os.path.dirname(self.data_dir), '..',
                             '..', 'downloads', 'extracted'))
    raise RuntimeError('the raw data is corrupt')


def test_failed_build_removes_what_it_created(tmp_path):
  top = tmp_path / 'tfds'
  (top / 'other').mkdir(parents=True)  # another dataset, kept
  (top / 'fake' / 'old_cfg').mkdir(parents=True)  # an earlier build, kept
  builder = _FailingBuilder(str(top))
  with pytest.raises(RuntimeError, match='corrupt'):
    datasets.build(builder)
  assert builder.calls == 1
  assert sorted(os.listdir(top)) == ['fake', 'other']
  assert os.listdir(top / 'fake') == ['old_cfg']


def test_failed_build_in_a_new_folder_removes_the_folder(tmp_path):
  builder = _FailingBuilder(str(tmp_path / 'new' / 'tfds'))
  with pytest.raises(RuntimeError):
    datasets.build(builder)
  assert not (tmp_path / 'new' / 'tfds').exists()


def test_missing_manual_data_is_named_before_anything_is_written(tmp_path):
  builder = _FailingBuilder(str(tmp_path / 'tfds'))
  builder.MANUAL_DOWNLOAD_INSTRUCTIONS = 'Download it from example.org.'
  with pytest.raises(common.DataError) as e:
    datasets.build(builder)
  where = os.path.join(str(tmp_path / 'tfds'), 'downloads', 'manual', 'fake')
  assert where in str(e.value) and 'does not exist' in str(e.value)
  assert 'example.org' in str(e.value)
  assert builder.calls == 0 and not (tmp_path / 'tfds').exists()


def test_a_changed_raw_folder_is_noticed_when_the_preparation_is_reused(
    tmp_path, capsys):
  import shutil  # pylint: disable=g-import-not-at-top
  import ml_collections  # pylint: disable=g-import-not-at-top
  dummy = os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), 'tfds_builders', 'ubfc_rppg', 'dummy_data')
  partial, full = tmp_path / 'partial', tmp_path / 'full'
  shutil.copytree(dummy, full)
  os.makedirs(partial)
  for name in ('subject1', 'subject40'):
    shutil.copytree(os.path.join(dummy, name), partial / name)
  cfg = ml_collections.ConfigDict({
      'name': 'ubfc_rppg', 'data_dir': str(tmp_path / 'tfds'),
      'manual_dir': str(partial), 'image_size': 16, 'chunk_length': 12})
  datasets.prepare(cfg)
  capsys.readouterr()
  datasets.prepare(cfg)  # the same folder: reused silently
  assert 'NOTE' not in capsys.readouterr().out
  cfg.manual_dir = str(full)  # more subjects: reused, and said loudly
  builder = datasets.prepare(cfg)
  out = capsys.readouterr().out
  assert f'NOTE: {builder.info.full_name} was prepared from {partial}' in out
  assert f'the raw data in {full} differs' in out
  assert 'delete that folder' in out


def test_a_misspelt_builder_option_of_prepare_is_refused():
  from simper_jax import prepare  # pylint: disable=g-import-not-at-top
  cfg = prepare.data_config('ubfc_rppg', '/tmp/x', '', 'image_size=16')
  assert cfg.image_size == 16
  with pytest.raises(ValueError, match=r"ubfc_rppg has no option "
                     r"'image_sise'; it has \['chunk_length', 'image_size'\]"):
    prepare.data_config('ubfc_rppg', '/tmp/x', '', 'image_sise=16')


def test_a_custom_config_source_survives_pickling(tmp_path):
  # grain worker processes receive the data source pickled; its builder's
  # custom config is already registered there (forked), which TFDS refused.
  import pickle  # pylint: disable=g-import-not-at-top
  cfg = config_common.data('countix', target_unit='count', fps=16.0,
                           source='synthetic', num_frames=16, image_size=16,
                           num_train=8, num_test=4, count_range=(2, 4))
  cfg.data_dir = str(tmp_path)
  source = datasets.prepare(cfg).as_data_source('train')
  copy = pickle.loads(pickle.dumps(source))
  assert len(copy) == len(source) == 8
  np.testing.assert_array_equal(copy[3]['video'], source[3]['video'])
