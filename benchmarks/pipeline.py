r"""Host input pipeline alone: clips/s, and what an accelerator would need.

    python benchmarks/pipeline.py [--batches=30] [--workers=0,2]
        [--plan=plan.json] [--json=pipeline.json]

Prepares three small datasets (in a temp folder) whose clips have the
shapes the default recipes train on, and times
``input_pipeline.train_loader`` over them (ArrayRecord read, decode,
selection, batching; no device): median of 3 runs of ``--batches``
batches after 3 warm-up batches, per ``worker_count``.

  rotating_digits  150x28x28x1 uint8, 4 clips/batch (the RotatingDigits recipe)
  tscan_chunk      180x72x72x3 uint8, 8 clips/batch (UBFC-rPPG, TS-CAN)
  r3d_clip         64x112x112x3 uint8, 8 clips/batch (Countix, R3D-18)

With ``--plan`` (the JSON of ``benchmarks/plan.py``), also prints the
clips/s a step at each accelerator's peak would consume (batch / (step
FLOPs / peak)) for the matching recipe: the rate the host must beat for
the pipeline never to be what the accelerator waits on.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

from absl import app
from absl import flags
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from simper_jax import config_common  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
from simper_jax import input_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position
from tfds_builders import rppg_synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position

_BATCHES = flags.DEFINE_integer('batches', 30, 'Timed batches per run.')
_WORKERS = flags.DEFINE_list('workers', ['0', '2'], 'grain worker counts.')
_PLAN = flags.DEFINE_string('plan', None, 'benchmarks/plan.py --json output.')
_JSON = flags.DEFINE_string('json', None, 'Also write the figures here.')

# name -> (recipe in plan.py, batch)
CASES = {'rotating_digits': ('rotating_digits', 4),
         'tscan_chunk': ('ubfc', 8), 'r3d_clip': ('countix', 8)}


def _source(name: str, root: str):
  """(train data source, clip key) of a small dataset of the case's shape."""
  data_dir = os.path.join(root, 'tfds')
  if name == 'rotating_digits':
    cfg = config_common.data('rotating_digits', target_unit='hz', fps=30.0,
                             source='mnist_offline', train_per_class=10,
                             test_per_class=1, num_frames=150)
  elif name == 'tscan_chunk':
    raw = os.path.join(root, 'ubfc')
    for number, hr in ((1, 70.0), (3, 90.0), (5, 60.0), (40, 80.0)):
      t = np.arange(900) / 30.0  # 5 chunks of 180 frames each
      rppg_synthetic.write_ubfc_subject(
          os.path.join(raw, f'subject{number}'),
          rppg_synthetic.face_frames(t, hr, height=96, width=96, noise=2),
          rppg_synthetic.ppg(t, hr), 30.0)
    cfg = config_common.data('ubfc_rppg', target_unit='bpm', fps=30.0,
                             image_size=72, chunk_length=180, manual_dir=raw)
  else:
    cfg = config_common.data('countix', target_unit='count', fps=16.0,
                             source='synthetic', num_frames=64,
                             image_size=112, num_train=24, num_test=8,
                             count_range=(2, 8))
  cfg.data_dir = data_dir
  builder = datasets.prepare(cfg)
  plugin = datasets.plugin(cfg)
  return builder.as_data_source('train'), plugin.clip


def time_loader(source, clip: str, batch: int, workers: int,
                batches: int) -> dict:
  runs = []
  for _ in range(3):
    it = iter(input_pipeline.train_loader(
        source, global_batch_size=batch, seed=0, video_key=clip,
        worker_count=workers))
    for _ in range(3):
      shape = next(it)['clip'].shape
    t0 = time.perf_counter()
    for _ in range(batches):
      next(it)
    runs.append(batches * batch / (time.perf_counter() - t0))
  return {'clips_per_s': statistics.median(runs), 'shape': list(shape[1:]),
          'mb_per_clip': float(np.prod(shape[1:])) / 1e6}


def main(argv):
  del argv
  plan = None
  if _PLAN.value:
    with open(_PLAN.value) as f:
      plan = json.load(f)
  out = {}
  with tempfile.TemporaryDirectory() as root:
    for name, (recipe, batch) in CASES.items():
      source, clip = _source(name, os.path.join(root, name))
      for w in map(int, _WORKERS.value):
        r = time_loader(source, clip, batch, w, _BATCHES.value)
        out[f'{name}/workers={w}'] = r
        print(f'{name:16s} {"x".join(map(str, r["shape"])):14s} batch '
              f'{batch}  workers {w}: {r["clips_per_s"]:8.1f} clips/s '
              f'({r["clips_per_s"] * r["mb_per_clip"]:.0f} MB/s)',
              flush=True)
      if plan:
        row = next(x for x in plan['rows'] if x['experiment'] == recipe)
        need = {k: batch / (row['flops_per_step'] / peak)
                for k, peak in plan['peaks'].items()}
        out[f'{name}/needed_at_peak'] = need
        print(f'{"":16s} a step at peak consumes: ' + ', '.join(
            f'{k} {v:,.0f}' for k, v in need.items()) + ' clips/s')
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(out, f, indent=1)


if __name__ == '__main__':
  app.run(main)
