r"""Prepares a dataset of the project (ArrayRecord, no TensorFlow).

    python -m simper_jax.prepare NAME --data_dir=DIR [--manual_dir=RAW]
        [--builder_config=image_size=72,chunk_length=180]

``NAME`` is a dataset of ``tfds_builders.registry`` (``rotating_digits``,
``scamps``, ``ubfc_rppg``, ``pure``, ``countix``, ``lst``, and your own
folders: ``video_folder``, ``time_series`` with
``--builder_config=path=DIR``). The datasets
other than RotatingDigits (and Countix's ``source=synthetic``) read the raw
data the user downloaded into ``--manual_dir`` (default
``DATA_DIR/downloads/manual/NAME``; each builder's
``MANUAL_DOWNLOAD_INSTRUCTIONS`` say where to get it and how to lay it
out). ``--builder_config`` sets the dataset plug-in's options as
``key=value`` pairs, the same names as an experiment's ``data`` section
(``image_size``, ``chunk_length`` for heart rate; ``source``,
``num_frames``, ``image_size`` for Countix; ``window_hours``, ``patch``,
... for LST; ``source``, ``train_per_class``, ... for RotatingDigits); the
builder's defaults apply to the others. Training calls the same code when
its data is missing (``simper_jax.datasets.prepare``).

When the raw data is absent or malformed: one message naming the missing or
bad file, where it looked and how to get the data; exit status 1; nothing
of the failed build left in ``--data_dir``.
"""

from __future__ import annotations

import ast
import os
import sys

from absl import app
from absl import flags

FLAGS = flags.FLAGS


def _define_flags() -> None:
  """The command's flags (defined only when it runs, so that importing
  this module beside another command's does not clash)."""
  flags.DEFINE_string('data_dir', None, 'TFDS data folder to write the '
                      'prepared dataset to.')
  flags.DEFINE_string('manual_dir', '', 'Folder holding the raw data '
                      '(manual-download datasets).')
  flags.DEFINE_string('builder_config', '', 'Builder options, '
                      'key=value[,key=value...].')


def data_config(name: str, data_dir: str, manual_dir: str = '',
                builder_config: str = ''):
  """The ``data`` config section that ``datasets.prepare`` reads."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  from tfds_builders import registry  # pylint: disable=g-import-not-at-top
  options = registry.get(name).options
  cfg = ml_collections.ConfigDict({'name': name, 'data_dir': data_dir,
                                   'manual_dir': manual_dir})
  for item in filter(None, (s.strip() for s in builder_config.split(','))):
    key, sep, value = item.partition('=')
    key = key.strip()
    if not sep or not key:
      raise ValueError(f'--builder_config: expected key=value, got '
                       f'{item!r}.')
    if key not in options:
      raise ValueError(f'--builder_config: {name} has no option {key!r}; '
                       f'it has {sorted(options)}.')
    try:
      value = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
      value = value.strip()  # a plain string, e.g. source=mnist
    cfg[key] = value
  return cfg


def run(name: str, data_dir: str, manual_dir: str = '',
        builder_config: str = ''):
  """Builds ``name`` unless prepared; returns the builder."""
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  return datasets.prepare(data_config(name, data_dir, manual_dir,
                                      builder_config))


def main(argv):
  if len(argv) != 2:
    raise app.UsageError('usage: python -m simper_jax.prepare NAME '
                         '--data_dir=DIR [--manual_dir=RAW]')
  if not FLAGS.data_dir:
    raise app.UsageError('--data_dir is required.')
  from tfds_builders import common  # pylint: disable=g-import-not-at-top
  try:
    builder = run(argv[1], os.path.abspath(os.path.expanduser(
        FLAGS.data_dir)), FLAGS.manual_dir, FLAGS.builder_config)
  except (common.DataError, ValueError, FileNotFoundError) as e:
    sys.exit(f'error: {e}')
  splits = {k: v.num_examples for k, v in builder.info.splits.items()}
  print(f'{builder.info.full_name} ready in {builder.data_dir}: {splits}')
  meta = builder.info.metadata or {}
  for key in ('build_report', 'manifest_counts'):
    if key in meta:
      print(f'{key} (also in metadata.json):', meta[key])


if __name__ == '__main__':
  _define_flags()
  app.run(main)
