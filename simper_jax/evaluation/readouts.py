"""Readouts of a frozen encoder's feature series, fitted on train only.

* :func:`fft_peak_frequency`: the frequency of the strongest spectral peak
  (training-free), optionally rescaled by :func:`fit_scale` (one factor
  fitted on train, which undoes harmonic lock such as a feature at ``2f``);
* :func:`probe_features` + :func:`fit_ridge_cv`: a linear probe
  (scikit-learn's ``StandardScaler`` and ``Ridge``) with its strength
  chosen by K-fold cross-validation on train;
* :func:`fit_readouts`: all of them for one task kind, scored per split.

Float64 NumPy on the host; bad arguments raise ``ValueError`` naming the
offending shapes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
from sklearn import linear_model
from sklearn import pipeline
from sklearn import preprocessing
import threadpoolctl

from simper_jax.evaluation import scores
from simper_jax.evaluation import spectra
from simper_jax.tasks import base as task_base
from tfds_builders import signals

DEFAULT_BAND = (0.25, 15.0)
# Zero-padding factor of the peak picker's FFT (see fft_peak_frequency).
DEFAULT_PAD_FACTOR = 4
CV_CRITERIA = ('mse', 'mae')


def fft_peak_frequency(series, fps: float,
                       band: Sequence[float] = DEFAULT_BAND, *,
                       pad_factor: int = DEFAULT_PAD_FACTOR) -> np.ndarray:
  """Frequency (Hz) of each series' highest spectral peak inside ``band``.

  The spectrum is ``power_spectrum(..., window='hann', n_fft=pad_factor *
  L)``. A peak is a bin whose power is at least that of both neighbours and
  positive; neighbours beyond the ends of the one-sided spectrum are its
  mirror images (the power of a real series is even about 0 Hz and about
  Nyquist), so a component exactly at 0 Hz or at Nyquist is a peak there.
  The highest peak with ``band[0] <= f <= band[1]`` is refined below one bin
  by fitting a parabola to the log power of it and its two neighbours.

  Why both zero-padding and log-parabolic interpolation: at ``L = 150``,
  30 fps a bin is 0.2 Hz, while ~0.01 Hz is wanted. The Hann main lobe is
  close to a Gaussian, whose log is exactly a parabola, so the fit alone
  removes most of the grid error; zero-padding (default 4x, 0.05 Hz bins)
  samples the lobe closer to its top, where the parabola is more accurate
  still. For clean sinusoids at ``L = 150``, 30 fps the error is below
  2e-4 Hz above 1 Hz and below 2e-3 Hz down to 0.5 Hz (there the
  periodogram's own maximum is pulled by the negative-frequency image),
  at negligible cost for ~150-frame series.

  Only local maxima count, not the highest in-band bin: low-frequency drift
  often puts the most power on the band's lower edge without having a
  peak there, and it must not beat a real oscillation inside the band.
  Rows with no peak inside the band fall back to the highest in-band bin
  (a band edge). The result is clipped to ``band`` (a peak on an edge bin
  cannot be refined outside it). Constant (flat) series return
  ``band[0]``: a finite value keeps downstream metrics defined, and the
  lower edge is as uninformative as any guess.

  Args:
    series: ``[N, L]`` finite real series.
    fps: sampling rate in Hz.
    band: ``(low, high)`` in Hz, inclusive; default ``(0.25, 15.0)``.
    pad_factor: zero-padding factor ``>= 1`` of the FFT.

  Returns:
    ``[N]`` float64 frequencies in Hz, inside ``band``.
  """
  x = signals.as_series(series, 'fft_peak_frequency')
  fps = signals.check_fps(fps, 'fft_peak_frequency')
  lo, hi = signals.check_band(band, 'fft_peak_frequency')
  if int(pad_factor) != pad_factor or pad_factor < 1:
    raise ValueError(f'fft_peak_frequency: pad_factor must be an int >= 1, '
                     f'got {pad_factor!r}.')
  n_fft = int(pad_factor) * x.shape[1]
  freqs, power = spectra.power_spectrum(x, fps, window='hann',
                                        n_fft=n_fft)
  in_band = spectra.band_mask(freqs, (lo, hi), n_fft, fps)
  num_bins = freqs.shape[0]
  # Mirrored neighbours: P(-f) = P(f); past the last bin, P(fps/2 + d) =
  # P(fps/2 - d), i.e. index F - 2 when n_fft is even (last bin = Nyquist)
  # and F - 1 when odd (Nyquist lies half a bin beyond the last one).
  right_end = num_bins - 2 if n_fft % 2 == 0 else num_bins - 1
  left_idx = np.concatenate([[min(1, num_bins - 1)],
                             np.arange(num_bins - 1)])
  right_idx = np.concatenate([np.arange(1, num_bins), [max(right_end, 0)]])
  left, right = power[:, left_idx], power[:, right_idx]
  is_peak = (power >= left) & (power >= right) & (power > 0) & in_band
  has_peak = is_peak.any(axis=1)
  rows = np.arange(x.shape[0])
  k = np.where(has_peak,
               np.argmax(np.where(is_peak, power, -np.inf), axis=1),
               np.argmax(np.where(in_band, power, -np.inf), axis=1))
  # Log of zero power (a neighbour exactly on a zero of the spectrum) is
  # floored far below the peak, which only pulls the vertex towards k.
  floor = power.max(axis=1, keepdims=True) * 1e-30 + np.finfo(float).tiny
  logp = np.log(np.maximum(power, floor))
  a = logp[rows, left_idx[k]]
  b = logp[rows, k]
  c = logp[rows, right_idx[k]]
  curv = a - 2 * b + c
  # Only a strict maximum (negative curvature) has a vertex to move to.
  safe = np.where(curv < 0, curv, -1.0)
  delta = np.where(has_peak & (curv < 0), 0.5 * (a - c) / safe, 0.0)
  delta = np.clip(delta, -0.5, 0.5)
  out = np.clip((k + delta) * fps / n_fft, lo, hi)
  flat = ~(power[:, in_band] > 0).any(axis=1)
  return np.where(flat, lo, out)


def fit_scale(pred_train, y_train) -> float:
  """One factor ``s`` so that ``s * pred ~ y``: median of ``y / pred``.

  Robust by design: the peak picker sometimes locks onto a wrong peak
  (another harmonic, low-frequency drift), and those ratios are far off.
  The median of the ratios ignores up to half of such outliers, whereas
  least squares through the origin is dominated by them (and by the
  largest predictions). A ratio is also the natural unit of harmonic lock:
  a feature at ``2f`` gives ratios near 0.5 whatever ``f`` is.

  Only pairs with a finite positive prediction and a finite target are
  used (a zero or negative frequency has no meaningful ratio).

  Args:
    pred_train: ``[N]`` predictions (e.g. ``fft_peak_frequency``) on train.
    y_train: ``[N]`` targets on train.

  Returns:
    The scale factor as a Python float.

  Raises:
    ValueError: on mismatched shapes or when no pair is usable.
  """
  pred = np.asarray(pred_train, dtype=np.float64)
  y = np.asarray(y_train, dtype=np.float64)
  if pred.ndim != 1 or pred.shape != y.shape:
    raise ValueError(f'fit_scale: pred_train and y_train must both be [N], '
                     f'got shapes {pred.shape} and {y.shape}.')
  ok = np.isfinite(pred) & (pred > 0) & np.isfinite(y)
  if not ok.any():
    raise ValueError(f'fit_scale: none of the {pred.shape[0]} pairs has a '
                     f'finite positive prediction and a finite target.')
  return float(np.median(y[ok] / pred[ok]))


def probe_features(series, fps: float,
                   band: Sequence[float] = DEFAULT_BAND) -> np.ndarray:
  """Linear-probe input: standardized series and unit-sum band spectrum.

  Two blocks, concatenated:

  * the series itself, standardized per clip (zero mean, unit std): a
    global gain or offset of the encoder output then does not matter. This
    block is phase-dependent, so a linear map of it alone cannot read a
    frequency off clips that start at random phases; it is kept so that the
    probe sees everything the encoder emits (cross-validated ridge weights
    it down when it does not help);
  * the Hann-windowed power spectrum (``power_spectrum``, no padding)
    restricted to ``band`` and normalized to unit sum. It is phase-invariant,
    and with unit sum a linear map ``sum_k w_k p_k`` is a weighted average
    over bins: ``w_k = f_k`` gives the spectral centroid, which for a single
    peak is the peak frequency. Without normalization the same map would
    also scale with the signal's power.

  Constant series give all-zero blocks (no information), so the probe
  predicts its bias for them.

  Args:
    series: ``[N, L]`` finite real series.
    fps: sampling rate in Hz.
    band: ``(low, high)`` in Hz, inclusive, for the spectrum block.

  Returns:
    ``[N, L + K]`` float64 features, ``K`` the number of in-band bins.
  """
  x = signals.as_series(series, 'probe_features')
  _, spec = spectra.band_spectrum(x, fps, band)
  centred = x - x.mean(axis=1, keepdims=True)
  std = centred.std(axis=1, keepdims=True)
  flat = np.ptp(x, axis=1, keepdims=True) == 0
  z = np.divide(centred, std, out=np.zeros_like(centred),
                where=(std > 0) & ~flat)
  return np.concatenate([z, spec], axis=1)


@dataclasses.dataclass(frozen=True)
class Probe:
  """A fitted ridge probe: standardize with train statistics, then ridge.

  Attributes:
    model: the scikit-learn pipeline (``StandardScaler``, ``Ridge``).
    alpha: the per-sample strength chosen by cross-validation.
    alphas: ``[A]`` the candidates.
    cv_errors: ``[A]`` cross-validated error of each candidate.
    criterion: ``'mse'`` or ``'mae'``.
  """
  model: pipeline.Pipeline
  alpha: float
  alphas: np.ndarray
  cv_errors: np.ndarray
  criterion: str

  def predict(self, x) -> np.ndarray:
    """Predictions ``[M]`` for features ``x`` ``[M, D]``."""
    x = np.asarray(x, dtype=np.float64)
    d = self.model[0].n_features_in_
    if x.ndim != 2 or x.shape[1] != d:
      raise ValueError(f'Probe.predict: x must be [M, {d}], got shape '
                       f'{x.shape}.')
    signals.check_finite(x, 'Probe.predict')
    return self.model.predict(x)


def kfold_indices(n: int, folds: int, seed: int) -> list[np.ndarray]:
  """Validation indices of each fold: a seeded shuffle cut into ``folds``
  parts whose sizes differ by at most one (``2 <= folds <= n``)."""
  if int(folds) != folds or not 2 <= folds <= n:
    raise ValueError(f'kfold_indices: need an int 2 <= folds <= n, got '
                     f'folds={folds!r}, n={n}.')
  perm = np.random.default_rng(seed).permutation(n)
  return [np.sort(f) for f in np.array_split(perm, int(folds))]


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> pipeline.Pipeline:
  """Fits ``mean((y - b - xs w)^2) + alpha |w|^2`` on standardized ``x``.

  scikit-learn's ``Ridge`` penalizes the *sum* of squared errors, so its
  strength is ``alpha * n``: a per-sample ``alpha`` means the same on CV
  folds and on the full refit. The intercept is not penalized; constant
  features (scale 1 after ``StandardScaler``, all zero once centred) get
  weight 0.
  """
  model = pipeline.make_pipeline(
      preprocessing.StandardScaler(),
      linear_model.Ridge(alpha=alpha * x.shape[0]))
  return model.fit(x, y)


def fit_ridge_cv(x_train, y_train, alphas=None, folds: int = 5,
                 seed: int = 0, criterion: str = 'mse') -> Probe:
  """Ridge regression with ``alpha`` chosen by K-fold CV on train only.

  Each fold standardizes with its own training part. The CV error is
  pooled over all out-of-fold predictions: ``'mse'`` (default; the loss
  ridge minimizes) or ``'mae'``. The smallest error wins; ties go to the
  larger alpha (the simpler model). The probe is then refitted on all of
  ``x_train`` with that alpha.

  Args:
    x_train: ``[N, D]`` finite features.
    y_train: ``[N]`` finite targets.
    alphas: ``[A]`` per-sample strengths > 0; default
      ``np.logspace(-4, 4, 17)``.
    folds: number of folds, ``2 <= folds <= N``.
    seed: seed of the fold shuffle (:func:`kfold_indices`).
    criterion: ``'mse'`` or ``'mae'``.
  """
  x = np.asarray(x_train, dtype=np.float64)
  y = np.asarray(y_train, dtype=np.float64)
  if x.ndim != 2 or x.shape[1] < 1 or y.shape != (x.shape[0],):
    raise ValueError(f'fit_ridge_cv: need x_train [N, D] (D >= 1) and '
                     f'y_train [N], got shapes {x.shape} and {y.shape}.')
  signals.check_finite(x, 'fit_ridge_cv x_train')
  signals.check_finite(y, 'fit_ridge_cv y_train')
  alphas = (np.logspace(-4, 4, 17) if alphas is None
            else np.asarray(alphas, dtype=np.float64))
  if (alphas.ndim != 1 or alphas.size < 1 or not np.isfinite(alphas).all()
      or (alphas <= 0).any()):
    raise ValueError(f'fit_ridge_cv: alphas must be a non-empty [A] array of '
                     f'finite values > 0, got {alphas!r}.')
  if criterion not in CV_CRITERIA:
    raise ValueError(f'fit_ridge_cv: criterion must be one of {CV_CRITERIA}, '
                     f'got {criterion!r}.')
  n = x.shape[0]
  oof = np.empty((alphas.size, n))
  # One BLAS thread: these are many small solves ([D, D], D ~ 200), which
  # multi-threaded BLAS made 10-35x slower on a busy 2-core host (2.5-7.8 s
  # vs 0.2 s per call for N=1000, D=226, 9 alphas; benchmarks/probe.py).
  with threadpoolctl.threadpool_limits(limits=1, user_api='blas'):
    for val in kfold_indices(n, folds, seed):
      train = np.ones(n, dtype=bool)
      train[val] = False
      for i, alpha in enumerate(alphas):
        oof[i, val] = _ridge(x[train], y[train], alpha).predict(x[val])
  err = oof - y[None, :]
  cv_errors = (np.mean(err ** 2, axis=1) if criterion == 'mse'
               else np.mean(np.abs(err), axis=1))
  best = cv_errors == cv_errors.min()
  i = int(np.flatnonzero(best)[np.argmax(alphas[best])])
  with threadpoolctl.threadpool_limits(limits=1, user_api='blas'):
    model = _ridge(x, y, alphas[i])
  return Probe(model=model, alpha=float(alphas[i]),
               alphas=alphas, cv_errors=cv_errors, criterion=criterion)


def fit_readouts(feats: dict[str, np.ndarray], ys: dict[str, np.ndarray],
                 task: task_base.Task, *, fps: float, band: Sequence[float],
                 train_split: str, folds: int, alphas, seed: int = 0
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
  """Fits ``task``'s readouts on ``train_split`` and scores every split.

  Args:
    feats: split -> ``[N, T]`` feature series.
    ys: split -> ``[N]`` targets.
    task: the task kind (its readouts, unit factor and extra metrics).
    fps, band: frame rate and the band (Hz) of the FFT readout and probe.
    train_split: where the harmonic scale and the probe are fitted.
    folds, alphas, seed: the probe's cross-validation.

  Returns:
    ``(metrics, fitted)``: metrics[split][readout][metric] (plus the
    task's split-level blocks), and the fitted readouts (``scale``,
    ``probe``, ``probe_input``, the CV errors, per-split ``preds``).
  """
  if train_split not in feats:
    raise ValueError(f'the readouts are fitted on {train_split!r}, which is '
                     f'not among the evaluated splits {sorted(feats)}.')
  length = feats[train_split].shape[1]
  per_hz = task.per_hz(length, fps)
  scale, peaks = float('nan'), {}
  if per_hz is not None:
    peaks = {s: per_hz * fft_peak_frequency(f, fps, band)
             for s, f in feats.items()}
    scale = fit_scale(peaks[train_split], ys[train_split])
  inputs = {s: probe_features(f, fps, band) for s, f in feats.items()}
  # The probe reads the series, its spectrum, or both: whichever has the
  # lowest cross-validated error on the training split (never the test).
  blocks = {'series': slice(0, length), 'spectrum': slice(length, None),
            'series+spectrum': slice(None)}
  fits = {name: fit_ridge_cv(inputs[train_split][:, cols], ys[train_split],
                             alphas=np.asarray(alphas), folds=folds,
                             seed=seed)
          for name, cols in blocks.items()}
  chosen = min(fits, key=lambda name: float(np.min(fits[name].cv_errors)))
  probe = fits[chosen]
  preds, out = {}, {}
  for s in feats:
    every = {'linear_probe': probe.predict(inputs[s][:, blocks[chosen]]),
             **task.extra_predictions(feats[s], fps, band)}
    if per_hz is not None:
      every.update(fft=peaks[s], fft_scaled=scale * peaks[s])
    preds[s] = {r: every[r] for r in task.readouts}
    out[s] = {r: {**scores.regression_metrics(p, ys[s]),
                  **task.readout_scores(p, ys[s])}
              for r, p in preds[s].items()}
    out[s].update(task.split_scores(preds[s], ys[s], feats[s], fps, band))
  fitted = {'scale': scale, 'probe': probe, 'probe_input': chosen,
            'probe_cv_mse': {n: float(np.min(f.cv_errors))
                             for n, f in fits.items()}}
  return out, {**fitted, 'preds': preds}
