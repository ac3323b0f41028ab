r"""Frequencies of new recordings from a trained run.

    python -m simper_jax.predict --workdir=RUN --output=OUT [--hop_s=S] \
        PATH [PATH ...]

``PATH`` is a file or a folder (searched recursively for the files the
run's dataset reads: videos for ``video_folder``, ``.npy``/``.csv`` series
for ``time_series``). Each recording is read and resampled to the run's
rate and size exactly as its training clips were, cut into windows of the
run's clip length every ``--hop_s`` seconds (default: half a window),
encoded by the run's trained encoder (its latest checkpoint), and read
out: the FFT readout always, the harmonic-scaled FFT and the linear probe
when the run's evaluation fitted them (``RUN/eval/readouts.json``).

Writes ``OUT/predictions.csv`` (``file,start_s,end_s,readout,value,unit``,
one row per window and readout), ``OUT/predictions.json`` (the same, per
file, with each readout's median, and every problem), and per input
``OUT/plots/<file>.png`` (the feature series, its spectrogram and the
frequency over time). ``RUN`` and ``OUT`` may be ``gs://...``
(``simper_jax.paths``); the inputs are local files. A file that cannot be
read or is shorter than one window gets one line on stderr and the others
are still predicted; the exit status is 1 when nothing could be predicted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys

from absl import app
from absl import flags
from absl import logging

FLAGS = flags.FLAGS


def _define_flags() -> None:
  """The command's flags (defined only when it runs, so that importing
  this module beside another command's does not clash)."""
  flags.DEFINE_string('workdir', None, 'The trained run.')
  flags.DEFINE_string('output', None, 'Where the predictions go.')
  flags.DEFINE_float('hop_s', 0.0, 'Seconds between window starts (0: half '
                     'a window).')
  flags.DEFINE_integer('batch_size', 32, 'Windows per forward pass.')
  flags.mark_flags_as_required(['workdir', 'output'])


def load_run(workdir: str):
  """``(config, readouts json)`` of a trained run, or FileNotFoundError
  saying what is missing and how to make it."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  from simper_jax import paths as files  # pylint: disable=g-import-not-at-top
  cfg_path = files.join(workdir, 'config.json')
  fit_path = files.join(workdir, 'eval', 'readouts.json')
  for path, what in ((cfg_path, 'config.json'), (fit_path,
                                                 'eval/readouts.json')):
    if not files.exists(path):
      raise FileNotFoundError(
          f'{workdir} is not a trained run ({what} is missing); train and '
          f'evaluate one with python -m simper_jax.main --config=... '
          f'--workdir={workdir}.')
  config = ml_collections.ConfigDict(json.loads(files.read_text(cfg_path)))
  return config, json.loads(files.read_text(fit_path))


def find_inputs(paths, extensions) -> list[tuple[str, str]]:
  """``(path, name shown)`` of each file named or found below a folder."""
  from tfds_builders import folders  # pylint: disable=g-import-not-at-top
  out = []
  for p in paths:
    if os.path.isdir(p):
      out += [(os.path.join(p, rel), os.path.join(os.path.basename(
          os.path.normpath(p)), rel)) for rel in folders.find_files(
              p, extensions)]
    else:
      out.append((p, p))
  return out


def plot_name(name: str) -> str:
  """The PNG of input ``name``: its path with separators as ``__``."""
  return name.strip(os.sep).replace(os.sep, '__') + '.png'


def windows(n: int, length: int, hop: int) -> list[int]:
  """Starts of the whole windows of ``length`` every ``hop`` samples."""
  return list(range(0, n - length + 1, hop))


def predict(workdir: str, output: str, paths, *, hop_s: float = 0.0,
            batch_size: int = 32) -> dict:
  """Predicts every input; writes the CSV, JSON and PNGs; returns the JSON.

  Raises:
    FileNotFoundError: the workdir holds no trained run.
    ValueError: the run's dataset cannot read files.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  from simper_jax import datasets  # pylint: disable=g-import-not-at-top
  from simper_jax import input_pipeline  # pylint: disable=g-import-not-at-top
  from simper_jax import partitioning  # pylint: disable=g-import-not-at-top
  from simper_jax import paths as files  # pylint: disable=g-import-not-at-top
  from simper_jax import tasks  # pylint: disable=g-import-not-at-top
  from simper_jax import train  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import features  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import figures  # pylint: disable=g-import-not-at-top
  from simper_jax.evaluation import readouts  # pylint: disable=g-import-not-at-top

  workdir = files.resolve(workdir)
  config, fit_json = load_run(workdir)
  plugin = datasets.plugin(config.data)
  if plugin.read is None or not plugin.extensions:
    raise ValueError(
        f'the run in {workdir} was trained on {plugin.name!r}, whose '
        'dataset reads no files of yours; predict needs a run trained on '
        'video_folder or time_series.')
  task = tasks.get(config.data.target_unit)
  fitted = readouts.Readouts.from_json(fit_json)
  length = int(fit_json['clip_shape'][0])
  fps = float(config.data.fps)
  hop = max(1, int(round((hop_s or length / fps / 2) * fps)))
  mesh = partitioning.make_mesh()
  encoder, step = train.restore_encoder(
      config, workdir, in_channels=int(fit_json['clip_shape'][-1]),
      mesh=mesh)
  feature_fn = features.make_feature_fn(encoder, mesh,
                                        tuple(config.method.out_size))
  batch = max(mesh.size, batch_size // mesh.size * mesh.size)
  normalize = tuple(config.data.input_normalize)
  output = files.resolve(output)
  files.makedirs(files.join(output, 'plots'))
  rows, result, problems = [], {}, []
  for path, name in find_inputs(paths, plugin.extensions):
    try:
      clip = np.asarray(plugin.read(path, config.data))
    except (ValueError, OSError) as e:  # DataError is a ValueError
      problems.append(f'{name}: cannot be read: {e}')
      print(f'error: {problems[-1]}', file=sys.stderr)
      continue
    starts = windows(len(clip), length, hop)
    if not starts:
      problems.append(f'{name}: {len(clip) / fps:.2f} s is shorter than one '
                      f'window ({length / fps:.2f} s at {fps:g} fps)')
      print(f'error: {problems[-1]}', file=sys.stderr)
      continue
    feats = []
    for i in range(0, len(starts), batch):
      chunk = [input_pipeline.clip_array(clip[s:s + length], normalize)
               for s in starts[i:i + batch]]
      real = len(chunk)
      chunk += [chunk[-1]] * (-real % mesh.size)  # pad to the devices
      out = feature_fn(partitioning.shard_batch(np.stack(chunk), mesh))
      feats.append(np.asarray(out)[:real])
    feats = np.concatenate(feats).astype(np.float64)
    preds = fitted.predict(feats, task)
    starts_s = np.asarray(starts) / fps
    for k, s in enumerate(starts_s):
      for r, v in preds.items():
        rows.append({'file': name, 'start_s': round(float(s), 4),
                     'end_s': round(float(s) + length / fps, 4),
                     'readout': r, 'value': float(v[k]), 'unit': task.unit})
    result[name] = {
        'windows': [{'start_s': float(s), 'end_s': float(s) + length / fps,
                     **{r: float(v[k]) for r, v in preds.items()}}
                    for k, s in enumerate(starts_s)],
        'median': {r: float(np.median(v)) for r, v in preds.items()}}
    figures.plot_recording(
        files.join(output, 'plots', plot_name(name)),
        feats, starts_s, preds, task, fps=fps, band=fitted.band,
        title=f'{name} ({config.data.name} run, step {step})')
  table = io.StringIO(newline='')
  writer = csv.DictWriter(table, fieldnames=('file', 'start_s', 'end_s',
                                             'readout', 'value', 'unit'))
  writer.writeheader()
  writer.writerows(rows)
  files.write_text(files.join(output, 'predictions.csv'), table.getvalue())
  summary = {'workdir': workdir, 'step': step, 'unit': task.unit,
             'readouts': list(fitted.readouts), 'fps': fps,
             'window_s': length / fps, 'hop_s': hop / fps, 'files': result,
             'problems': problems}
  files.write_text(files.join(output, 'predictions.json'),
                   json.dumps(summary, indent=1))
  return summary


def main(argv):
  paths = argv[1:]
  if not paths:
    raise app.UsageError('give at least one file or folder to predict.')
  logging.set_verbosity(logging.WARNING)
  try:
    out = predict(FLAGS.workdir, FLAGS.output, paths, hop_s=FLAGS.hop_s,
                  batch_size=FLAGS.batch_size)
  except (FileNotFoundError, ValueError) as e:
    sys.exit(f'error: {e}')
  n = sum(len(v['windows']) for v in out['files'].values())
  print(f'{len(out["files"])} files, {n} windows predicted '
        f'({", ".join(out["readouts"])}; {out["unit"]}); '
        f'{len(out["problems"])} problems')
  from simper_jax import paths as files  # pylint: disable=g-import-not-at-top
  print(f'predictions: {files.join(FLAGS.output, "predictions.csv")}')
  if not out['files']:
    sys.exit(1)


if __name__ == '__main__':
  _define_flags()
  app.run(main)
