"""Supervised reference: the encoder plus a linear head on the label.

The data-efficiency comparison's reference (README.md, studies). One
augmented view of a window at speed 1 per clip (no speed change, so the label is unchanged).
The encoder emits a per-frame series whose phase is random per clip, so a
linear map of the series itself cannot express frequency; the linear head
reads the series' power spectrum normalized to unit sum over the band
(where a linear map can express the spectral centroid), differentiable end
to end. The head starts as the spectral centroid itself (weights = the
bins' frequencies in Hz, bias 0), so its first predictions are in Hz and
the gradient goes to the encoder at once; from a random head the bias alone
needs ~1000 Adam steps to reach the labels' mean. Trained with MAE (default)
or MSE on the frequency in Hz.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from simper_jax import augment
from simper_jax import partitioning
from simper_jax import similarity as similarity_lib
from simper_jax.methods import common

Array = jax.Array
NEEDS_LABELS = True
TRAINABLE = nnx.Param


@dataclasses.dataclass(frozen=True)
class Config:
  views: augment.ViewConfig
  fps: float = 30.0
  band: tuple[float, float] = (0.25, 15.0)
  loss: str = 'mae'

  def __post_init__(self):
    if self.loss not in ('mae', 'mse'):
      raise ValueError(f'supervised: loss must be mae or mse, got '
                       f'{self.loss!r}.')
    similarity_lib.band_mask(self.views.num_frames, self.fps, self.band)


def config_from(method_cfg, fps: float) -> Config:
  return Config(views=common.view_config(method_cfg), fps=fps,
                band=tuple(method_cfg.band), loss=method_cfg.supervised_loss)


def spectrum_features(series: Array, cfg: Config) -> Array:
  """``[N, L]`` series -> ``[N, K]`` unit-sum in-band power spectra."""
  series = partitioning.gather(series)  # see partitioning.gather
  power = similarity_lib.power_spectrum(series, fps=cfg.fps, band=cfg.band)
  return power / (jnp.sum(power, axis=-1, keepdims=True) + 1e-12)


class Learner(nnx.Module):
  def __init__(self, encoder: nnx.Module, cfg: Config, *, rngs: nnx.Rngs):
    self.encoder = encoder
    freqs = bin_frequencies(cfg)

    def centroid(key, shape, dtype=jnp.float32):
      del key
      return jnp.asarray(freqs, dtype).reshape(shape)

    self.head = nnx.Linear(len(freqs), 1, kernel_init=centroid,
                           bias_init=nnx.initializers.zeros_init(), rngs=rngs)


def bin_frequencies(cfg: Config) -> np.ndarray:
  """Frequencies (Hz) of the in-band bins ``spectrum_features`` keeps."""
  n = cfg.views.num_frames
  mask = similarity_lib.band_mask(n, cfg.fps, cfg.band)
  return (np.flatnonzero(mask) * cfg.fps / n).astype(np.float32)


def build(encoder, cfg: Config, *, rngs) -> Learner:
  return Learner(encoder, cfg, rngs=rngs)


encoder_of = common.encoder_of


make_views = common.make_views


def compute_loss(learner: Learner, views: augment.Views, batch,
                 cfg: Config) -> tuple[Array, dict[str, Array]]:
  v = views.views[:, 0, 0]  # one view per clip: [B, L, H, W, C]
  series = learner.encoder(v)
  pred = learner.head(spectrum_features(series, cfg))[:, 0]
  err = pred - batch['label']
  loss = jnp.mean(jnp.abs(err)) if cfg.loss == 'mae' else jnp.mean(err ** 2)
  return loss, {'train_mae': jnp.mean(jnp.abs(err))}


def after_update(learner: Learner, cfg: Config) -> None:
  del learner, cfg
