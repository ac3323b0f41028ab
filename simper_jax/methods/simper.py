"""SimPer: contrast a clip against speed-changed copies of itself.

Paper: Yang et al., ICLR 2023. Views come from ``simper_jax.augment``; the
loss is ``simper_jax.losses.simper_loss`` on the encoder's per-frame series.
"""

from __future__ import annotations

import dataclasses

import jax
from flax import nnx

from simper_jax import augment
from simper_jax import losses
from simper_jax import similarity as similarity_lib
from simper_jax.methods import common

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Config:
  """Static SimPer settings (hashable, closed over by the compiled step).

  Attributes:
    views: the view maker's settings.
    similarity: ``mxcorr``, ``npsd``, ``cosine`` or ``l2``.
    feature_temperature: ``tau_feat`` (1.0 reproduces the original code and
      measured best; README.md, "Choices").
    label_kernel: ``l1``, ``l2`` or ``sqrt``.
    label_temperature: ``tau_label``.
    fps: frame rate of the clips in Hz (for ``npsd``).
    band: frequency band in Hz for ``npsd``.
  """
  views: augment.ViewConfig = augment.ViewConfig()
  similarity: str = 'mxcorr'
  feature_temperature: float = 1.0
  label_kernel: str = 'l1'
  label_temperature: float = 0.1
  fps: float = 30.0
  band: tuple[float, float] = (0.25, 15.0)

  def __post_init__(self):
    if self.label_kernel not in losses.KERNELS:
      raise ValueError(f'simper.Config: unknown label_kernel '
                       f'{self.label_kernel!r}; choose one of '
                       f'{losses.KERNELS}.')
    if self.similarity == 'npsd':
      # The views' length decides the bins; fail now, not inside jit.
      similarity_lib.band_mask(self.views.num_frames, self.fps, self.band)
    elif self.similarity not in ('mxcorr', 'cosine', 'l2'):
      raise ValueError(f'simper.Config: unknown similarity '
                       f'{self.similarity!r}; choose mxcorr, npsd, cosine '
                       'or l2.')
    if not (self.feature_temperature > 0 and self.label_temperature > 0):
      raise ValueError('simper.Config: temperatures must be > 0, got '
                       f'{self.feature_temperature}, '
                       f'{self.label_temperature}.')


def make_views(key: Array, clip: Array, cfg: Config) -> augment.Views:
  """``[T, H, W, C]`` clip -> views ``[2, M, L, H', W', C]`` and speeds."""
  return augment.make_views(key, clip, cfg.views)


def loss(features: Array, views: augment.Views, cfg: Config) -> Array:
  """SimPer loss from per-view features.

  Args:
    features: ``[B, 2, M, L]`` encoder series of view sets A and B.
    views: the batch of :class:`augment.Views` (``speeds`` ``[B, M]``).
    cfg: :class:`Config`.

  Returns:
    Scalar loss.
  """
  if features.ndim != 4 or features.shape[1] != 2:
    raise ValueError(f'simper.loss: features must be [B, 2, M, L], got '
                     f'{features.shape}.')
  return losses.simper_loss(
      features[:, 0], features[:, 1], views.speeds,
      similarity=cfg.similarity,
      feature_temperature=cfg.feature_temperature,
      label_kernel=cfg.label_kernel,
      label_temperature=cfg.label_temperature, fps=cfg.fps, band=cfg.band)


def config_from(method_cfg, fps: float) -> Config:
  """A :class:`Config` from an experiment's ``method`` section."""
  views = augment.ViewConfig(
      num_speeds=method_cfg.num_speeds, num_frames=method_cfg.num_frames,
      speed_range=tuple(method_cfg.speed_range),
      **common.view_settings(method_cfg))
  return Config(views=views, similarity=method_cfg.similarity,
                feature_temperature=method_cfg.feature_temperature,
                label_kernel=method_cfg.label_kernel,
                label_temperature=method_cfg.label_temperature, fps=fps,
                band=tuple(method_cfg.band))


# --- The method interface (``simper_jax.methods.base.Method``).

NEEDS_LABELS = False  # pretraining never sees a label
TRAINABLE = nnx.Param  # the learner is the encoder: all its parameters


def build(encoder, cfg: Config, *, rngs) -> nnx.Module:
  """SimPer trains the encoder alone (no heads): the learner is it."""
  del cfg, rngs
  return encoder


def encoder_of(learner: nnx.Module) -> nnx.Module:
  """The encoder to evaluate, frozen, after training."""
  return learner


def compute_loss(learner: nnx.Module, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  """Encodes the ``[B, 2, M, L, H, W, C]`` views; returns (loss, aux)."""
  del batch
  v = views.views
  b, two, m = v.shape[:3]
  feats = learner(v.reshape(b * two * m, *v.shape[3:]))
  return loss(feats.reshape(b, two, m, -1), views, cfg), {}


def after_update(learner: nnx.Module, cfg: Config) -> None:
  """Nothing to do after the optimizer step (no target network)."""
  del learner, cfg
