"""``video_folder`` as a dataset plug-in (``tfds_builders.registry``).

Its own part: ``data.fps = 0`` resolves to the most common frame rate in
the video headers, and ``read`` gives one video as ``predict`` windows it.
Paths, ``data.synthetic`` and config names: :mod:`tfds_builders.folders`.
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
_WHAT = 'videos: mp4, avi, mov, mkv, webm'  # what data.path holds


def synthetic_path(cfg) -> str:
  """Where ``data.synthetic`` generates its folder (unless ``data.path``)."""
  return folders.synthetic_path(cfg, SYNTHETIC_FOLDER)


def folder_rate(path: str) -> float:
  """The most common header frame rate of the videos below ``path``."""
  return folders.most_common_rate(
      header_rate(os.path.join(path, f))
      for f in folders.find_files(path, EXTENSIONS))


def resolve(cfg) -> dict:
  """The data fields left to the data: ``path`` (``data.synthetic``: the
  generated folder, made here once, deterministic from the seed) and
  ``fps`` (``data.fps = 0``: the folder's most common header rate)."""
  path, out = folders.resolve_path(cfg, SYNTHETIC_FOLDER,
                                   synthetic.ensure_folder)
  fps = float(common.option(cfg, 'fps', 0.0) or 0.0)
  if fps == 0 and path and os.path.isdir(path):
    out['fps'] = folder_rate(path)
  return out


def make_builder(cfg, data_dir):
  """The builder of the folder ``data.path`` with the ``data`` options.

  Fields ``resolve`` fills are resolved here too when they are still
  unset, so the plug-in also works where ``resolve`` was not applied (e.g.
  ``python -m simper_jax.prepare video_folder
  --builder_config=path=DIR``).
  """
  path, values = folders.plugin_options(cfg, _SHORT, _DEFAULTS, resolve,
                                        _WHAT, 'video_folder')
  files = folders.find_files(path, EXTENSIONS)
  if not files:
    raise folders.no_files_error('video_folder', path, 'videos', EXTENSIONS)
  fps = float(values['fps'] or 0.0)
  if not (math.isfinite(fps) and fps > 0):
    raise common.DataError(
        f'video_folder: data.fps is {fps:g}: ' + (
            f'none of the {len(files)} videos below {path} has a frame rate '
            'in its header' if fps == 0 else 'it must be > 0') +
        '. Set --config.data.fps=RATE (frames per second).')
  options = {'fps': fps, 'size': int(values['size']),
             'num_frames': int(values['num_frames']),
             'hop': int(values['hop']) or int(values['num_frames']) // 2,
             'test_fraction': float(values['test_fraction']),
             'split_seed': int(values['split_seed'])}
  name = folders.config_name(path, files, options, _SHORT)
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
  return resample_frames(times, frames, folders.read_rate(cfg, path))


DATASET = folders.plugin(
    'video_folder', 'video', _SHORT, make_builder=make_builder,
    resolve=resolve, read=read, extensions=EXTENSIONS)
