"""Readouts of a frozen encoder's feature series, fitted on train only.

* ``spectra.fft_peak_frequency``: the frequency of the strongest spectral peak
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

CV_CRITERIA = ('mse', 'mae')


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
                   band: Sequence[float] = spectra.DEFAULT_BAND) -> np.ndarray:
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


def kfold_indices(n: int, folds: int, seed: int,
                  groups=None) -> list[np.ndarray]:
  """Validation indices of each fold.

  Without ``groups``: a seeded shuffle of ``0 .. n-1`` cut into ``folds``
  parts whose sizes differ by at most one (``2 <= folds <= n``). With
  ``groups`` (``[n]`` labels, e.g. each window's source file): the
  distinct groups are shuffled and cut instead, so every example of a
  group is in one fold (``2 <= folds <= number of groups``); windows of one
  recording are alike, and splitting them would let CV overrate a probe
  that only memorizes its training files.
  """
  if groups is None:
    if int(folds) != folds or not 2 <= folds <= n:
      raise ValueError(f'kfold_indices: need an int 2 <= folds <= n, got '
                       f'folds={folds!r}, n={n}.')
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(f) for f in np.array_split(perm, int(folds))]
  groups = np.asarray(groups)
  if groups.shape != (n,):
    raise ValueError(f'kfold_indices: groups must be [{n}], got '
                     f'{groups.shape}.')
  names = np.unique(groups)
  if int(folds) != folds or not 2 <= folds <= len(names):
    raise ValueError(f'kfold_indices: need an int 2 <= folds <= groups, got '
                     f'folds={folds!r}, {len(names)} groups.')
  perm = np.random.default_rng(seed).permutation(len(names))
  return [np.sort(np.flatnonzero(np.isin(groups, names[part])))
          for part in np.array_split(perm, int(folds))]


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
                 seed: int = 0, criterion: str = 'mse',
                 groups=None) -> Probe:
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
    groups: ``[N]`` each example's source; folds never split a source.
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
    for val in kfold_indices(n, folds, seed, groups):
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


@dataclasses.dataclass(frozen=True)
class LinearMap:
  """A fitted probe read back from JSON: ``((x - mean) / scale) @ coef +
  intercept`` (what the scikit-learn pipeline computes)."""
  mean: np.ndarray
  scale: np.ndarray
  coef: np.ndarray
  intercept: float
  alpha: float

  def predict(self, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != self.coef.shape[0]:
      raise ValueError(f'LinearMap.predict: x must be [M, '
                       f'{self.coef.shape[0]}], got shape {x.shape}.')
    return ((x - self.mean) / self.scale) @ self.coef + self.intercept


# The probe reads the series, its spectrum, or both: whichever has the
# lowest cross-validated error on the training split (never the test).
PROBE_INPUTS = ('series', 'spectrum', 'series+spectrum')


def _block(x: np.ndarray, name: str, length: int) -> np.ndarray:
  return {'series': x[:, :length], 'spectrum': x[:, length:],
          'series+spectrum': x}[name]


@dataclasses.dataclass(frozen=True)
class Readouts:
  """Readouts fitted on labelled training series, applied to any series.

  Attributes:
    readouts: the readouts this fit can give (the task's, less those its
      labels could not fit: no label, no scale or probe; one, no probe).
    length, fps, band: the series' length, rate and the readout band.
    per_hz: target units per Hz (None: not a rate, probe only).
    scale: the harmonic factor of ``fft_scaled`` (NaN if not fitted).
    probe: the ridge probe (None if not fitted), reading ``probe_input``.
    probe_cv_mse: the cross-validated error of each probe input.
    num_labelled: labelled training series the fit used.
  """
  readouts: tuple[str, ...]
  length: int
  fps: float
  band: tuple[float, float]
  per_hz: float | None
  scale: float
  probe: Probe | LinearMap | None
  probe_input: str
  probe_cv_mse: dict[str, float]
  num_labelled: int

  def predict(self, feats: np.ndarray, task: task_base.Task
              ) -> dict[str, np.ndarray]:
    """Readout -> ``[N]`` predictions for ``[N, length]`` series."""
    every = dict(task.extra_predictions(feats, self.fps, self.band))
    if self.per_hz is not None:
      peaks = self.per_hz * spectra.fft_peak_frequency(feats, self.fps,
                                                       self.band)
      every.update(fft=peaks, fft_scaled=self.scale * peaks)
    if self.probe is not None:
      x = probe_features(feats, self.fps, self.band)
      every['linear_probe'] = self.probe.predict(
          _block(x, self.probe_input, self.length))
    return {r: every[r] for r in self.readouts}

  @classmethod
  def from_json(cls, blob: dict[str, Any]) -> 'Readouts':
    """The inverse of :meth:`to_json` (the probe as a :class:`LinearMap`)."""
    p = blob.get('probe')
    probe = None if not p else LinearMap(
        mean=np.asarray(p['mean']), scale=np.asarray(p['scale']),
        coef=np.asarray(p['coef']), intercept=float(p['intercept']),
        alpha=float(p['alpha']))
    return cls(readouts=tuple(blob['readouts']), length=int(blob['length']),
               fps=float(blob['fps']), band=tuple(blob['band']),
               per_hz=blob['per_hz'], scale=float(blob['scale']),
               probe=probe, probe_input=p['input'] if p else '',
               probe_cv_mse=dict(blob.get('probe_cv_mse') or {}),
               num_labelled=int(blob['num_labelled']))

  def to_json(self) -> dict[str, Any]:
    """The fit as plain JSON (what ``simper_jax.predict`` reads back)."""
    probe = None
    if isinstance(self.probe, LinearMap):
      probe = {'input': self.probe_input, 'alpha': self.probe.alpha,
               'mean': self.probe.mean.tolist(),
               'scale': self.probe.scale.tolist(),
               'coef': self.probe.coef.tolist(),
               'intercept': self.probe.intercept}
    elif self.probe is not None:
      scaler, ridge = self.probe.model[0], self.probe.model[-1]
      probe = {'input': self.probe_input, 'alpha': self.probe.alpha,
               'mean': scaler.mean_.tolist(), 'scale': scaler.scale_.tolist(),
               'coef': np.ravel(ridge.coef_).tolist(),
               'intercept': float(ridge.intercept_)}
    return {'readouts': list(self.readouts), 'length': self.length,
            'fps': self.fps, 'band': list(self.band), 'per_hz': self.per_hz,
            'scale': self.scale, 'probe': probe,
            'probe_cv_mse': self.probe_cv_mse,
            'num_labelled': self.num_labelled}


def fit(feats: np.ndarray, y: np.ndarray, task: task_base.Task, *,
        fps: float, band: Sequence[float], folds: int, alphas,
        seed: int = 0, length: int | None = None,
        groups=None) -> Readouts:
  """Fits ``task``'s readouts on labelled training series.

  Args:
    feats: ``[N, L]`` training feature series (``N`` may be 0).
    y: ``[N]`` their finite targets.
    task: the task kind.
    fps, band: the series' rate and the readout band (Hz).
    folds, alphas, seed: the probe's cross-validation (folds are capped
      at the number of labelled series, or of their sources; below 2 there
      is no probe).
    length: the series' length when ``N`` is 0.
    groups: ``[N]`` each series' source (file); CV folds keep sources
      whole.
  """
  length = feats.shape[1] if len(feats) else int(length or 0)
  band = tuple(float(b) for b in band)
  per_hz = task.per_hz(length, fps)
  n = len(y)
  units = n if groups is None else len(np.unique(groups))
  scale, probe, chosen, cv = float('nan'), None, '', {}
  if per_hz is not None and n >= 1:
    scale = fit_scale(per_hz * spectra.fft_peak_frequency(feats, fps, band), y)
  if units >= 2:
    x = probe_features(feats, fps, band)
    fits = {name: fit_ridge_cv(_block(x, name, length), y,
                               alphas=np.asarray(alphas),
                               folds=min(folds, units), seed=seed,
                               groups=groups)
            for name in PROBE_INPUTS}
    chosen = min(fits, key=lambda name: float(np.min(fits[name].cv_errors)))
    probe = fits[chosen]
    cv = {name: float(np.min(f.cv_errors)) for name, f in fits.items()}
  drop = set()
  if per_hz is None:
    drop |= {'fft', 'fft_scaled'}
  if n < 1:
    drop.add('fft_scaled')
  if probe is None:
    drop.add('linear_probe')
  return Readouts(readouts=tuple(r for r in task.readouts if r not in drop),
                  length=length, fps=float(fps), band=band, per_hz=per_hz,
                  scale=scale, probe=probe, probe_input=chosen,
                  probe_cv_mse=cv, num_labelled=n)


def score(preds: dict[str, np.ndarray], y: np.ndarray, feats: np.ndarray,
          task: task_base.Task, fps: float, band) -> dict[str, Any]:
  """Metrics of one split: readout -> metric, plus the task's blocks."""
  out = {r: {**scores.regression_metrics(p, y), **task.readout_scores(p, y)}
         for r, p in preds.items()}
  out.update(task.split_scores(preds, y, feats, fps, band))
  return out


def fit_readouts(feats: dict[str, np.ndarray], ys: dict[str, np.ndarray],
                 task: task_base.Task, *, fps: float, band: Sequence[float],
                 train_split: str, folds: int, alphas, seed: int = 0,
                 groups=None
                 ) -> tuple[dict[str, Any], Readouts, dict[str, Any]]:
  """Fits ``task``'s readouts on ``train_split`` and scores every split.

  Args:
    feats: split -> ``[N, T]`` feature series, labelled ones only.
    ys: split -> ``[N]`` their targets.
    task: the task kind (its readouts, unit factor and extra metrics).
    fps, band: frame rate and the band (Hz) of the FFT readout and probe.
    train_split: where the harmonic scale and the probe are fitted.
    folds, alphas, seed: the probe's cross-validation.
    groups: ``[N]`` the training series' sources (CV keeps them whole).

  Returns:
    ``(metrics, readouts, preds)``: metrics[split][readout][metric] (plus
    the task's split-level blocks) for every split with a labelled series,
    the fitted :class:`Readouts`, and split -> readout -> predictions.
  """
  if train_split not in feats:
    raise ValueError(f'the readouts are fitted on {train_split!r}, which is '
                     f'not among the evaluated splits {sorted(feats)}.')
  length = feats[train_split].shape[1]
  fitted = fit(feats[train_split], ys[train_split], task, fps=fps, band=band,
               folds=folds, alphas=alphas, seed=seed, length=length,
               groups=groups)
  preds, out = {}, {}
  for s in feats:
    if len(ys[s]):
      preds[s] = fitted.predict(feats[s], task)
      out[s] = score(preds[s], ys[s], feats[s], task, fps, band)
  return out, fitted, preds
