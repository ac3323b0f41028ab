"""SimPer's generalized InfoNCE over continuous (speed) labels.

Paper: Yang et al., "SimPer: Simple self-supervised learning of periodic
targets", ICLR 2023, Eq. 2 (generalized contrastive loss with soft targets).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from simper_jax import partitioning
from simper_jax import similarity as similarity_lib

Array = jax.Array

KERNELS = ('l1', 'l2', 'sqrt')


def label_targets(speeds_a: Array, speeds_b: Array, *, kernel: str = 'l1',
                  temperature: float = 0.1) -> Array:
  """Soft targets from label distances: ``softmax_j(-d(s_a_i, s_b_j) / tau)``.

  Args:
    speeds_a: ``[..., M]`` labels (speeds) of the anchors.
    speeds_b: ``[..., N]`` labels of the candidates; leading dims as
      ``speeds_a``.
    kernel: distance ``d``: ``l1`` (``|s_a - s_b|``), ``l2`` (its square) or
      ``sqrt`` (its square root).
    temperature: ``tau > 0``.

  Returns:
    ``[..., M, N]`` targets; every row sums to 1.
  """
  if speeds_a.shape[:-1] != speeds_b.shape[:-1] or speeds_a.ndim < 1:
    raise ValueError(
        f'label_targets: leading dims must match, got {speeds_a.shape} and '
        f'{speeds_b.shape} (expected [..., M] and [..., N]).')
  if not temperature > 0:
    raise ValueError(f'label_targets: temperature must be > 0, got '
                     f'{temperature}.')
  diff = jnp.abs(speeds_a[..., :, None] - speeds_b[..., None, :])
  diff = jax.lax.stop_gradient(diff)
  if kernel == 'l1':
    dist = diff
  elif kernel == 'l2':
    dist = diff ** 2
  elif kernel == 'sqrt':
    dist = jnp.sqrt(diff)
  else:
    raise ValueError(f'label_targets: unknown kernel {kernel!r}; choose one '
                     f'of {KERNELS}.')
  return jax.nn.softmax(-dist / temperature, axis=-1)


def generalized_infonce(logits: Array, targets: Array) -> Array:
  """Cross-entropy between soft targets and ``softmax(logits)`` per row.

  Args:
    logits: ``[..., M, N]``.
    targets: ``[..., M, N]``, rows summing to 1.

  Returns:
    Scalar: mean over rows and leading dims of
    ``-sum_j targets * log_softmax(logits)``.
  """
  if logits.shape != targets.shape or logits.ndim < 2:
    raise ValueError(
        f'generalized_infonce: logits {logits.shape} and targets '
        f'{targets.shape} must have the same shape [..., M, N].')
  logp = jax.nn.log_softmax(logits.astype(jnp.promote_types(
      logits.dtype, jnp.float32)), axis=-1)
  return -jnp.mean(jnp.sum(targets * logp, axis=-1))


def similarity_logits(features_a: Array, features_b: Array, *,
                      similarity: str = 'mxcorr',
                      feature_temperature: float = 1.0,
                      fps: float | None = None,
                      band: tuple[float, float] | None = None) -> Array:
  """``S[b, i, j] = sim(features_a[b, i], features_b[b, j]) / tau_feat``.

  Args:
    features_a: ``[B, M, T]`` feature series of view set A.
    features_b: ``[B, N, T]`` feature series of view set B.
    similarity: ``mxcorr``, ``npsd``, ``cosine`` or ``l2``.
    feature_temperature: ``tau_feat > 0``.
    fps, band: frame rate and band (Hz), for ``npsd``.

  Returns:
    ``[B, M, N]`` logits.
  """
  if (features_a.ndim != 3 or features_b.ndim != 3 or
      features_a.shape[0] != features_b.shape[0] or
      features_a.shape[2] != features_b.shape[2]):
    raise ValueError(
        f'similarity_logits: expected [B, M, T] and [B, N, T], got '
        f'{features_a.shape} and {features_b.shape}.')
  if not feature_temperature > 0:
    raise ValueError('feature_temperature must be > 0, got '
                     f'{feature_temperature}.')
  sim = similarity_lib.get(similarity, fps=fps, band=band)
  features_a, features_b = partitioning.gather((features_a, features_b))
  return jax.vmap(sim)(features_a, features_b) / feature_temperature


def simper_loss(features_a: Array, features_b: Array, speeds: Array, *,
                similarity: str = 'mxcorr', feature_temperature: float = 1.0,
                label_kernel: str = 'l1', label_temperature: float = 0.1,
                fps: float | None = None,
                band: tuple[float, float] | None = None) -> Array:
  """The SimPer objective for a batch of clips.

  For each clip, view set A and view set B hold one feature series per
  speed. Logits ``S[i, j] = sim(z^A_i, z^B_j) / tau_feat``; targets
  ``W[i, :] = softmax_j(-d(s_i, s_j) / tau_label)``; the loss is the
  generalized InfoNCE averaged over rows and clips. There are no cross-clip
  negatives.

  Args:
    features_a: ``[B, M, T]`` feature series of view set A.
    features_b: ``[B, M, T]`` feature series of view set B (same speeds).
    speeds: ``[B, M]`` speeds of the views (the pseudo-labels).
    similarity: ``mxcorr`` (default), ``npsd``, ``cosine`` or ``l2``.
    feature_temperature: ``tau_feat``; 1.0 reproduces the original code.
    label_kernel: ``l1``, ``l2`` or ``sqrt``.
    label_temperature: ``tau_label``.
    fps, band: frame rate and band (Hz) for ``npsd``.

  Returns:
    Scalar loss.
  """
  if features_a.shape != features_b.shape:
    raise ValueError(f'simper_loss: view sets differ in shape: '
                     f'{features_a.shape} vs {features_b.shape}.')
  if speeds.shape != features_a.shape[:2]:
    raise ValueError(f'simper_loss: speeds {speeds.shape} must be [B, M] = '
                     f'{features_a.shape[:2]}.')
  logits = similarity_logits(
      features_a, features_b, similarity=similarity,
      feature_temperature=feature_temperature, fps=fps, band=band)
  targets = label_targets(speeds, speeds, kernel=label_kernel,
                          temperature=label_temperature)
  return generalized_infonce(logits, targets)
