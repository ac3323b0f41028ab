"""The splits an evaluation reads, as random-access sources."""

from __future__ import annotations

from typing import Any

import ml_collections

from simper_jax import datasets
from simper_jax import input_pipeline
from simper_jax import writers


def eval_sources(builder, config: ml_collections.ConfigDict
                 ) -> dict[str, Any]:
  """The splits to evaluate: name -> source.

  The training split reduced as for pretraining (``data.train_fraction``,
  ``data.holdout_band``), the other evaluation splits whole,
  ``<split>_heldout`` (the clips inside the held-out band) for each of them
  when a band is held out, and ``<name>_<eval.cross_split>`` for each
  dataset of ``eval.cross_datasets`` (same pre-processing, scored with the
  readouts fitted here).
  """
  ds = config.data
  target = datasets.plugin(ds).target
  out = {}
  for split in dict.fromkeys([ds.train_split, *ds.eval_splits]):
    datasets.split_size(builder, split)  # clear error if unknown
    source = builder.as_data_source(split)
    if split == ds.train_split:
      source, note = input_pipeline.select(source, ds, role='train',
                                           seed=config.seed, target=target)
      writers.log(f'Evaluation split {split}: {note}')
    out[split] = source
    if tuple(ds.holdout_band) and split != ds.train_split:
      out[f'{split}_heldout'], note = input_pipeline.select(
          source, ds, role='heldout', seed=config.seed, target=target)
      writers.log(f'Evaluation split {split}_heldout: {note}')
  for name, manual_dir in dict(config.eval.cross_datasets).items():
    other = ds.copy_and_resolve_references()
    other.name, other.manual_dir = name, manual_dir
    other_builder = datasets.prepare(other)
    split = config.eval.cross_split
    datasets.split_size(other_builder, split)
    out[f'{name}_{split}'] = other_builder.as_data_source(split)
  return out
