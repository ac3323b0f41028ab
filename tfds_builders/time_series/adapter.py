"""``time_series`` as a dataset plug-in (``tfds_builders.registry``).

Beyond :mod:`tfds_builders.folders` (paths, ``data.synthetic``, config
names): ``data.fps = 0`` is the folder's most common input rate (time
columns, else ``data.sample_rate``, which the synthetic folder sets), and
``read`` resamples one recording for ``predict``.
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
# What data.path holds.
_WHAT = '.npy [T] / [T, C] arrays and .csv tables of numeric columns'


def synthetic_path(cfg) -> str:
  """Where ``data.synthetic`` generates its folder (unless ``data.path``)."""
  return folders.synthetic_path(cfg, SYNTHETIC_FOLDER)


def folder_rate(path: str, sample_rate: float) -> float:
  """The most common input rate of the recordings below ``path`` (0 when
  none has a known rate)."""
  return folders.most_common_rate(folder_rates(path, sample_rate).values())


def resolve(cfg) -> dict:
  """The data fields left to the data: ``path`` (``data.synthetic``: the
  generated folder, made here once, deterministic from the seed; with
  ``sample_rate``, the rate of its time-less files, when unset) and
  ``fps`` (``data.fps = 0``: the folder's most common input rate)."""
  path, out = folders.resolve_path(cfg, SYNTHETIC_FOLDER,
                                   synthetic.ensure_folder)
  sample_rate = float(common.option(cfg, 'sample_rate', 0.0) or 0.0)
  if common.option(cfg, 'synthetic', False) and not sample_rate:
    sample_rate = out['sample_rate'] = synthetic.SAMPLE_RATE
  if not float(common.option(cfg, 'fps', 0.0) or 0.0):
    if not path or not os.path.isdir(path):
      raise folders.path_error('time_series', path, _WHAT)
    if not find_recordings(path):
      raise folders.no_files_error('time_series', path, 'recordings',
                                   EXTENSIONS)
    fps = folder_rate(path, sample_rate)
    if not fps:
      raise common.DataError(
          f'time_series: data.fps is 0 and no recording below {path} has a '
          'known rate (a "time" column in seconds; .npy files and CSVs '
          'without one are at data.sample_rate, which is 0). Set '
          '--config.data.sample_rate=HZ or --config.data.fps=HZ.')
    out['fps'] = fps
  return out


def make_builder(cfg, data_dir):
  """The builder of the folder ``data.path`` with the ``data`` options.

  Fields ``resolve`` fills are resolved here too when they are still
  unset, so the plug-in also works where ``resolve`` was not applied (e.g.
  ``python -m simper_jax.prepare time_series
  --builder_config=path=DIR,sample_rate=50``).
  """
  path, values = folders.plugin_options(cfg, _SHORT, _DEFAULTS, resolve,
                                        _WHAT, 'time_series')
  options = {k: int(v) if k in _INTS else float(v or 0.0)
             for k, v in values.items()}
  if not math.isfinite(options['fps']) or options['fps'] <= 0:
    raise common.DataError(f'time_series: data.fps must be > 0, got '
                           f'{options["fps"]!r}.')
  options['hop'] = options['hop'] or options['num_frames'] // 2
  name = folders.config_name(path, find_recordings(path), options, _SHORT)
  config = TimeSeriesConfig(name=name, path=path, **options,
                            description=f'Recordings of {path}, {options}.')
  return Builder(config=config, data_dir=data_dir, file_format='array_record')


def read(path: str, cfg) -> np.ndarray:
  """One recording as the dataset's clips are made: ``[T, 1, 1, C]``
  float32 at ``data.fps`` (for ``predict``). Gaps up to ``data.max_gap_s``
  are filled as in the build; longer ones are bridged by the same linear
  interpolation (a build rejects the windows touching them)."""
  fps = folders.read_rate(cfg, path)
  try:
    rec = read_recording(path, float(common.option(cfg, 'sample_rate', 0.0)
                                     or 0.0))
    series = to_rate(rec, int(common.option(cfg, 'channels', 1)), fps,
                     float(common.option(cfg, 'max_gap_s',
                                         _DEFAULTS.max_gap_s)))
  except (Unusable, OSError) as e:
    raise common.DataError(f'{path}: {e}') from e
  return series.values[:, None, None, :]


DATASET = folders.plugin(
    'time_series', 'series', _SHORT, make_builder=make_builder,
    resolve=resolve, read=read, extensions=EXTENSIONS)
