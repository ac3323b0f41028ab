"""A folder of sensor recordings as a dataset plug-in (``tfds_builders.registry``).

``data.path`` is the folder (or, with ``data.synthetic``, a generated one);
``data.fps = 0`` takes the most common input rate of the folder. The
prepared dataset's config name holds a fingerprint of the folder (each
file's path, size and modification time, and ``labels.csv``) and the
options, so a changed folder or option gets a new prepared dataset.
"""

from __future__ import annotations

import math
import os

import numpy as np

from tfds_builders import common
from tfds_builders import folders
from tfds_builders.time_series import synthetic
from tfds_builders.time_series.reading import EXTENSIONS
from tfds_builders.time_series.reading import find_recordings
from tfds_builders.time_series.reading import folder_rates
from tfds_builders.time_series.reading import read_recording
from tfds_builders.time_series.reading import to_rate
from tfds_builders.time_series.reading import Unusable
from tfds_builders.time_series.time_series_dataset_builder import Builder
from tfds_builders.time_series.time_series_dataset_builder import TimeSeriesConfig

SYNTHETIC_FOLDER = 'time_series_synthetic'
_DEFAULTS = TimeSeriesConfig(name='defaults')
# option -> tag in the config name, after the folder fingerprint.
_SHORT = {'sample_rate': 'sr', 'fps': 'r', 'channels': 'c',
          'num_frames': 't', 'hop': 'h', 'test_fraction': 'x',
          'split_seed': 'seed', 'max_gap_s': 'g'}
_INTS = ('channels', 'num_frames', 'hop', 'split_seed')


def synthetic_path(cfg) -> str:
  """Where ``data.synthetic`` generates its folder (unless ``data.path``)."""
  data_dir = common.option(cfg, 'data_dir', '') or ''
  top = os.path.expanduser(data_dir or '~/tensorflow_datasets')
  return os.path.join(top, 'downloads', 'manual', SYNTHETIC_FOLDER)


def _path(cfg) -> str:
  return os.path.expanduser(str(common.option(cfg, 'path', '') or ''))


def _folder_error(path: str) -> common.DataError:
  state = ('is not set' if not path else
           f'= {path!r} does not exist' if not os.path.exists(path) else
           f'= {path!r} is not a folder')
  return common.DataError(
      f'time_series: data.path {state}. Set --config.data.path=DIR (a '
      'folder of .npy [T] / [T, C] arrays and .csv tables of numeric '
      'columns, with an optional labels.csv) or use the :synthetic variant '
      '(--config=experiments/time_series.py:synthetic).')


def folder_rate(path: str, sample_rate: float) -> float:
  """The most common input rate of the recordings below ``path`` (0 when
  none has a known rate)."""
  return folders.most_common_rate(folder_rates(path, sample_rate).values())


def resolve(cfg) -> dict:
  """The data fields left to the data: ``path`` (``data.synthetic``: the
  generated folder, made here once, deterministic from the seed; with
  ``sample_rate``, the rate of its time-less files, when unset) and
  ``fps`` (``data.fps = 0``: the folder's most common input rate)."""
  out = {}
  path = _path(cfg)
  sample_rate = float(common.option(cfg, 'sample_rate', 0.0) or 0.0)
  if common.option(cfg, 'synthetic', False):
    if not path:
      path = synthetic_path(cfg)
      out['path'] = path
    synthetic.ensure_folder(path)
    if not sample_rate:
      sample_rate = out['sample_rate'] = synthetic.SAMPLE_RATE
  if not float(common.option(cfg, 'fps', 0.0) or 0.0):
    if not path or not os.path.isdir(path):
      raise _folder_error(path)
    fps = folder_rate(path, sample_rate)
    if not fps:
      raise common.DataError(
          f'time_series: data.fps is 0 and no recording below {path} has a '
          'known rate (a "time" column in seconds; .npy files and CSVs '
          'without one are at data.sample_rate, which is 0). Set '
          '--config.data.sample_rate=HZ or --config.data.fps=HZ.')
    out['fps'] = fps
  return out


def _tag(value) -> str:
  if isinstance(value, float) and value == int(value):
    value = int(value)
  return str(value).replace('.', 'p').replace('-', 'm')


def make_builder(cfg, data_dir):
  """The builder of the folder ``data.path`` with the ``data`` options.

  Fields ``resolve`` fills are resolved here too when they are still
  unset, so the plug-in also works where ``resolve`` was not applied (e.g.
  ``python -m simper_jax.prepare time_series
  --builder_config=path=DIR,sample_rate=50``).
  """
  values = {**{k: common.option(cfg, k, getattr(_DEFAULTS, k))
               for k in _SHORT}, 'path': _path(cfg)}
  if (not values['path'] and common.option(cfg, 'synthetic', False)) or (
      not values['fps']):
    values.update(resolve(cfg))
  path = values.pop('path')
  if not path or not os.path.isdir(path):
    raise _folder_error(path)
  path = os.path.abspath(path)
  options = {k: int(v) if k in _INTS else float(v or 0.0)
             for k, v in values.items()}
  if not math.isfinite(options['fps']) or options['fps'] <= 0:
    raise common.DataError(f'time_series: data.fps must be > 0, got '
                           f'{options["fps"]!r}.')
  options['hop'] = options['hop'] or options['num_frames'] // 2
  files = find_recordings(path)
  name = f'f{folders.fingerprint(path, files)}' + ''.join(
      f'_{_SHORT[k]}{_tag(v)}' for k, v in options.items())
  config = TimeSeriesConfig(name=name, path=path, **options,
                            description=f'Recordings of {path}, {options}.')
  return Builder(config=config, data_dir=data_dir, file_format='array_record')


def read(path: str, cfg) -> np.ndarray:
  """One recording as the dataset's clips are made: ``[T, 1, 1, C]``
  float32 at ``data.fps`` (for ``predict``). Gaps up to ``data.max_gap_s``
  are filled as in the build; longer ones are bridged by the same linear
  interpolation (a build rejects the windows touching them)."""
  fps = float(common.option(cfg, 'fps', 0.0) or 0.0)
  if not fps > 0:
    raise common.DataError(f'{path}: data.fps must be > 0 to resample it, '
                           f'got {fps!r}.')
  try:
    rec = read_recording(path, float(common.option(cfg, 'sample_rate', 0.0)
                                     or 0.0))
    series = to_rate(rec, int(common.option(cfg, 'channels', 1)), fps,
                     float(common.option(cfg, 'max_gap_s',
                                         _DEFAULTS.max_gap_s)))
  except (Unusable, OSError) as e:
    raise common.DataError(f'{path}: {e}') from e
  return series.values[:, None, None, :]


DATASET = common.Dataset(
    name='time_series', make_builder=make_builder, clip='series',
    target='target', group='file',
    options=('path', 'synthetic', *_SHORT), resolve=resolve, read=read,
    extensions=EXTENSIONS)
