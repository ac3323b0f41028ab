"""A folder of videos as a dataset plug-in (``tfds_builders.registry``).

``data.path`` is the folder (or, with ``data.synthetic``, a generated one);
``data.fps = 0`` takes the most common header rate of the folder. The
prepared dataset's config name holds a fingerprint of the folder (each
video's path, size and modification time, and ``labels.csv``) and the
options, so a changed folder or option gets a new prepared dataset.
"""

from __future__ import annotations

import math
import os

from tfds_builders import common
from tfds_builders import folders
from tfds_builders.video_folder import synthetic
from tfds_builders.video_folder.video_folder_dataset_builder import Builder
from tfds_builders.video_folder.video_folder_dataset_builder import EXTENSIONS
from tfds_builders.video_folder.video_folder_dataset_builder import header_rate
from tfds_builders.video_folder.video_folder_dataset_builder import read_video
from tfds_builders.video_folder.video_folder_dataset_builder import resample_frames
from tfds_builders.video_folder.video_folder_dataset_builder import Unusable
from tfds_builders.video_folder.video_folder_dataset_builder import VideoFolderConfig

SYNTHETIC_FOLDER = 'video_folder_synthetic'
_DEFAULTS = VideoFolderConfig(name='defaults')
# option -> tag in the config name, after the folder fingerprint.
_SHORT = {'fps': 'r', 'size': 's', 'num_frames': 't', 'hop': 'h',
          'test_fraction': 'x', 'split_seed': 'seed'}


def synthetic_path(cfg) -> str:
  """Where ``data.synthetic`` generates its folder (unless ``data.path``)."""
  data_dir = common.option(cfg, 'data_dir', '') or ''
  top = os.path.expanduser(data_dir or '~/tensorflow_datasets')
  return os.path.join(top, 'downloads', 'manual', SYNTHETIC_FOLDER)


def _path(cfg) -> str:
  return os.path.expanduser(str(common.option(cfg, 'path', '') or ''))


def folder_rate(path: str) -> float:
  """The most common header frame rate of the videos below ``path``."""
  return folders.most_common_rate(
      header_rate(os.path.join(path, f))
      for f in folders.find_files(path, EXTENSIONS))


def resolve(cfg) -> dict:
  """The data fields left to the data: ``path`` (``data.synthetic``: the
  generated folder, made here once, deterministic from the seed) and
  ``fps`` (``data.fps = 0``: the folder's most common header rate)."""
  out = {}
  path = _path(cfg)
  if common.option(cfg, 'synthetic', False):
    if not path:
      path = synthetic_path(cfg)
      out['path'] = path
    synthetic.ensure_folder(path)
  fps = float(common.option(cfg, 'fps', 0.0) or 0.0)
  if fps == 0 and path and os.path.isdir(path):
    out['fps'] = folder_rate(path)
  return out


def _tag(value) -> str:
  if isinstance(value, float) and value == int(value):
    value = int(value)
  return str(value).replace('.', 'p').replace('-', 'm')


def make_builder(cfg, data_dir):
  """The builder of the folder ``data.path`` with the ``data`` options.

  Fields ``resolve`` fills are resolved here too when they are still
  unset, so the plug-in also works where ``resolve`` was not applied (e.g.
  ``python -m simper_jax.prepare video_folder
  --builder_config=path=DIR``).
  """
  values = {**{k: common.option(cfg, k, getattr(_DEFAULTS, k))
               for k in _SHORT}, 'path': _path(cfg)}
  if (not values['path'] and common.option(cfg, 'synthetic', False)) or (
      not values['fps']):
    values.update(resolve(cfg))
  path = values['path']
  if not path or not os.path.isdir(path):
    state = ('is not set' if not path else
             f'= {path!r} does not exist' if not os.path.exists(path) else
             f'= {path!r} is not a folder')
    raise common.DataError(
        f'video_folder: data.path {state}. Set --config.data.path=DIR (a '
        'folder of videos: mp4, avi, mov, mkv, webm, with an optional '
        'labels.csv) or use the :synthetic variant '
        '(--config=experiments/video_folder.py:synthetic).')
  path = os.path.abspath(path)
  fps = float(values['fps'] or 0.0)
  if not (math.isfinite(fps) and fps > 0):
    raise common.DataError(
        f'video_folder: data.fps is 0 and no video below {path} has a frame '
        'rate in its header. Set --config.data.fps=RATE.')
  options = {'fps': fps, 'size': int(values['size']),
             'num_frames': int(values['num_frames']),
             'hop': int(values['hop']) or int(values['num_frames']) // 2,
             'test_fraction': float(values['test_fraction']),
             'split_seed': int(values['split_seed'])}
  fingerprint = folders.fingerprint(path, folders.find_files(path,
                                                             EXTENSIONS))
  name = f'f{fingerprint}' + ''.join(f'_{_SHORT[k]}{_tag(v)}'
                                     for k, v in options.items())
  config = VideoFolderConfig(
      name=name, path=path, **options,
      description=f'Videos of {path}, {options}.')
  return Builder(config=config, data_dir=data_dir, file_format='array_record')


def read(path: str, cfg):
  """One video as the dataset's clips are made: ``[T, size, size, 3]``
  uint8 RGB at ``data.fps`` (centre square, resized; for ``predict``)."""
  try:
    times, frames, _ = read_video(path, int(common.option(
        cfg, 'size', _DEFAULTS.size)))
  except (Unusable, OSError) as e:
    raise common.DataError(f'{path}: {e}') from e
  fps = float(common.option(cfg, 'fps', 0.0) or 0.0)
  if not fps > 0:
    raise common.DataError(f'{path}: data.fps must be > 0 to resample it, '
                           f'got {fps!r}.')
  return resample_frames(times, frames, fps)


DATASET = common.Dataset(
    name='video_folder', make_builder=make_builder, clip='video',
    target='target', group='file',
    options=('path', 'synthetic', *_SHORT), resolve=resolve, read=read,
    extensions=EXTENSIONS)
