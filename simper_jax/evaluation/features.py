"""Frozen-encoder features: every clip of a split to its feature series.

The encoder runs in inference mode (BatchNorm statistics frozen), jitted
and sharded over the mesh; padding makes every process run the same number
of batches, and it is masked out again, so no clip is dropped or counted
twice.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from simper_jax import augment
from simper_jax import input_pipeline
from simper_jax import partitioning


def make_feature_fn(model: nnx.Module, mesh, out_size):
  """A jitted ``uint8 clips [B, T, H, W, C] -> features [B, T]`` of the
  frozen ``model`` (BatchNorm in inference mode), sharded over ``mesh``."""
  model.eval()
  graphdef, state = nnx.split(model)
  state = partitioning.replicate(state, mesh)

  @jax.jit
  def features(state, clips):
    x = clips.astype(jnp.float32)
    if jnp.issubdtype(clips.dtype, jnp.integer):
      x = x / 255.0
    x = augment.resize_frames(x, out_size)
    return nnx.merge(graphdef, state)(x)

  return lambda clips: features(state, clips)


def extract_features(feature_fn, source, *, mesh, batch_size: int,
                     clip: str, target: str, normalize: tuple = ()
                     ) -> tuple[np.ndarray, np.ndarray]:
  """Features and targets of every example of ``source``, in order.

  Args:
    feature_fn: from :func:`make_feature_fn`.
    source: a random-access source of examples.
    mesh: the ``('data',)`` mesh.
    batch_size: global clips per forward pass.
    clip, target: the features holding the clip and the label.
    normalize: per-channel ``(offsets, scales)`` of float clips.

  Returns:
    ``(features [N, T], targets [N])`` as NumPy, on every process.
  """
  feats, targets = [], []
  n = len(source)
  # Any device count: the batch is padded up to a multiple of the devices
  # (the padding is masked below; inference BatchNorm makes it harmless).
  batch_size = -(-batch_size // mesh.size) * mesh.size
  for batch, valid in input_pipeline.eval_batches(
      source, global_batch_size=batch_size, keys=(clip, target)):
    glob = partitioning.shard_batch(
        {'clip': input_pipeline.clip_array(batch[clip], normalize),
         'y': batch[target].astype(np.float32),
         'valid': valid}, mesh)
    out = {'f': feature_fn(glob['clip']), 'y': glob['y'],
           'valid': glob['valid']}
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      out = multihost_utils.process_allgather(out, tiled=True)
    out = jax.device_get(out)
    keep = np.asarray(out['valid'], bool)
    feats.append(np.asarray(out['f'])[keep])
    targets.append(np.asarray(out['y'])[keep])
  feats, targets = np.concatenate(feats), np.concatenate(targets)
  if len(feats) != n:  # padding is masked; anything else is a bug
    raise RuntimeError(f'extracted {len(feats)} feature series for {n} '
                       'examples.')
  if not np.all(np.isfinite(feats)):
    bad = int(np.sum(~np.all(np.isfinite(feats), axis=1)))
    raise FloatingPointError(f'{bad} of {n} feature series are not finite; '
                             'the encoder has diverged.')
  return feats, targets
