"""The configured dataset: its plug-in, preparation and splits.

``data.name`` selects a plug-in from ``tfds_builders.registry`` (which
knows how the ``data`` section becomes a TFDS builder and which features
are the clip and the target); this module prepares it (ArrayRecord, no
TensorFlow), once, on process 0, leaving nothing behind when a build
fails. It holds no per-dataset code.
"""

from __future__ import annotations

import json
import os
import shutil

import jax
import ml_collections
import tensorflow_datasets as tfds

from tfds_builders import common
from tfds_builders import folders
from tfds_builders import registry


def plugin(cfg: ml_collections.ConfigDict) -> common.Dataset:
  """The plug-in of a config's ``data`` section (``data.name``)."""
  return registry.get(cfg.name)


def resolved(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """``config`` with the data fields its dataset resolves filled in.

  A plug-in may leave fields to the data (``fps=0``: a folder's most
  common rate; ``synthetic=True``: the generated folder's ``path``). The
  resolved values are what the run records in ``config.json`` and what
  ``predict`` later reads. ``config`` itself is not changed.
  """
  values = dict(plugin(config.data).resolve(config.data)
                if plugin(config.data).resolve else {})
  if not values:
    return config
  out = config.copy_and_resolve_references()
  with out.unlocked():
    for key, value in values.items():
      out.data[key] = value
  return out


def get_builder(cfg: ml_collections.ConfigDict) -> tfds.core.DatasetBuilder:
  """The TFDS builder of ``cfg`` (a config's ``data`` section)."""
  data_dir = os.path.expanduser(cfg.data_dir) or None
  return plugin(cfg).make_builder(cfg, data_dir)


def prepare(cfg: ml_collections.ConfigDict) -> tfds.core.DatasetBuilder:
  """Builds the dataset unless it is already prepared; returns its builder.

  In a multi-process run only process 0 writes; the others wait for it.
  """
  builder = get_builder(cfg)
  manual_dir = cfg.manual_dir if 'manual_dir' in cfg else ''
  if jax.process_index() == 0:
    if not _prepared(builder):
      build(builder, manual_dir)
    else:
      _note_changed_source(builder, manual_dir)
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    multihost_utils.sync_global_devices('simper_jax.datasets.prepare')
    builder = get_builder(cfg)  # re-read the info written by process 0
  if not _prepared(builder):
    raise FileNotFoundError(
        f'dataset {builder.info.full_name} is not prepared in '
        f'{builder.data_dir}; process 0 should have built it. Check that '
        'data.data_dir is on storage shared by all hosts.')
  return builder


def build(builder: tfds.core.DatasetBuilder, manual_dir: str = '') -> None:
  """``download_and_prepare`` (ArrayRecord), leaving nothing on failure.

  Raw data is read from ``manual_dir`` for the datasets that need a manual
  download (default ``<data_dir>/downloads/manual/<name>``), checked
  before TFDS creates anything. If the build fails, every file and folder
  it created under the builder's data folder is removed before the error
  propagates.
  """
  top = os.path.dirname(os.path.dirname(os.path.dirname(builder.data_dir)))
  root = os.path.join(top, builder.name)  # data_dir/name
  top_existed = os.path.isdir(top)
  top_before = set(os.listdir(top)) if top_existed else set()
  before = _tree(root)
  manual = os.path.expanduser(manual_dir) if manual_dir else None
  instructions = getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', None)
  needs_manual = getattr(builder, 'needs_manual_dir', lambda: True)()
  if instructions and needs_manual:
    # Not given: TFDS's conventional place, <data_dir>/downloads/manual/NAME.
    manual = manual or os.path.join(top, 'downloads', 'manual', builder.name)
    common.require_manual_dir(manual, builder.name, instructions)
  print(f'Preparing {builder.info.full_name} in {builder.data_dir} ...',
        flush=True)
  try:
    builder.download_and_prepare(
        file_format='array_record',
        download_config=tfds.download.DownloadConfig(manual_dir=manual))
    if manual and instructions and needs_manual:
      _write_source(builder, manual)
  except BaseException as e:
    if not top_existed:
      shutil.rmtree(top, ignore_errors=True)
    else:
      new = ({os.path.join(top, x) for x in os.listdir(top)} -
             {os.path.join(top, x) for x in top_before})
      new |= _tree(root) - before
      for path in sorted(new, key=len, reverse=True):
        if os.path.isdir(path) and not os.path.islink(path):
          shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
          os.remove(path)
    if isinstance(e, AssertionError):  # TFDS: e.g. a split without examples
      raise common.DataError(
          f'{builder.name}: the build failed ({e}); usually every example '
          'of a split was left out (see the build report printed above: '
          'too-short or unreadable files). Nothing was kept.') from e
    raise


_SOURCE = 'simper_jax_source.json'


def _source_fingerprint(manual_dir: str) -> str:
  """A hash of the raw folder's file paths, sizes and modification times."""
  files = []
  for d, dirs, names in os.walk(manual_dir):
    dirs.sort()
    files += [os.path.relpath(os.path.join(d, n), manual_dir)
              for n in sorted(names)]
  return folders.fingerprint(manual_dir, files)


def _write_source(builder, manual_dir: str) -> None:
  """Records what a manual-download dataset was built from."""
  with open(os.path.join(builder.data_dir, _SOURCE), 'w') as f:
    json.dump({'manual_dir': os.path.abspath(manual_dir),
               'fingerprint': _source_fingerprint(manual_dir)}, f)


def _note_changed_source(builder, manual_dir: str) -> None:
  """Says loudly when the raw folder differs from the one a prepared
  dataset was built from (the preparation is reused, not rebuilt)."""
  path = os.path.join(builder.data_dir, _SOURCE)
  if not os.path.exists(path):
    return
  with open(path) as f:
    source = json.load(f)
  top = os.path.dirname(os.path.dirname(os.path.dirname(builder.data_dir)))
  manual = os.path.abspath(os.path.expanduser(manual_dir) if manual_dir
                           else os.path.join(top, 'downloads', 'manual',
                                             builder.name))
  if not os.path.isdir(manual):
    return
  if (manual != source['manual_dir']
      or _source_fingerprint(manual) != source['fingerprint']):
    print(f'NOTE: {builder.info.full_name} was prepared from '
          f'{source["manual_dir"]}; the raw data in {manual} differs (files '
          'added, removed or changed). The existing preparation in '
          f'{builder.data_dir} is used as it is; to rebuild from {manual}, '
          'delete that folder (or set data.data_dir to a new one).',
          flush=True)


def _tree(root: str) -> set[str]:
  out = set()
  for d, dirs, files in os.walk(root):
    out.add(d)
    out.update(os.path.join(d, x) for x in dirs + files)
  return out


def _prepared(builder) -> bool:
  return os.path.exists(os.path.join(builder.data_dir, 'dataset_info.json'))


def split_size(builder, split: str) -> int:
  """Number of examples in ``split``, with a clear error if it is unknown."""
  splits = builder.info.splits
  if split not in splits:
    raise ValueError(f'{builder.info.full_name} has no split {split!r}; it '
                     f'has {sorted(splits)}.')
  return splits[split].num_examples
