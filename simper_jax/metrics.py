"""Readouts of a frozen encoder's per-frame feature series, in NumPy.

The encoder maps each clip to a 1-D feature series ``z`` of length ``L`` (one
scalar per frame, sampled at ``fps``); the target is a frequency in Hz. This
module turns such series into frequency predictions and scores them:

* ``fft_peak_frequency``: the frequency of the strongest spectral peak
  (training-free), optionally rescaled by ``fit_scale`` (one factor fitted
  on train, which undoes harmonic lock such as a feature running at ``2f``);
* ``probe_features`` + ``fit_ridge_cv`` / ``RidgeModel.predict``: a linear
  probe with its regularization chosen by K-fold cross-validation on train;
* ``regression_metrics``: MAE, MAPE, RMSE and Pearson r;
* ``pca_2d``: a 2-D embedding for figures.

Everything is float64 NumPy on the host: the arrays are small (thousands of
series of ~150 frames) and the readouts must not depend on accelerator
precision. Bad arguments raise ``ValueError`` naming the offending shapes.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

DEFAULT_BAND = (0.25, 15.0)
# Zero-padding factor of the peak picker's FFT (see fft_peak_frequency).
DEFAULT_PAD_FACTOR = 4
WINDOWS = ('hann', 'rect')
CV_CRITERIA = ('mse', 'mae')


def _as_series(series, name: str) -> np.ndarray:
  """Validates a ``[N, L]`` finite array and returns it as float64."""
  x = np.asarray(series, dtype=np.float64)
  if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
    raise ValueError(f'{name}: series must be [N, L] with N >= 1 and L >= 2, '
                     f'got shape {x.shape}.')
  _check_finite(x, name)
  return x


def _check_finite(x: np.ndarray, name: str) -> None:
  """Raises ValueError saying how many entries are non-finite and where."""
  bad = ~np.isfinite(x)
  if bad.any():
    where = np.argwhere(bad)[:5].tolist()
    raise ValueError(f'{name}: {int(bad.sum())} non-finite value(s) in array '
                     f'of shape {x.shape}; first at index {where}.')


def _check_fps(fps: float) -> float:
  fps = float(fps)
  if not (np.isfinite(fps) and fps > 0):
    raise ValueError(f'fps must be a finite positive number, got {fps}.')
  return fps


def _check_band(band: Sequence[float]) -> tuple[float, float]:
  lo, hi = (float(b) for b in band)
  if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi):
    raise ValueError(f'band must be (low, high) Hz with 0 <= low <= high, '
                     f'got {tuple(band)}.')
  return lo, hi


def _band_mask(freqs: np.ndarray, band: tuple[float, float], num_samples: int,
               fps: float) -> np.ndarray:
  """Bins with ``band[0] <= f <= band[1]`` (inclusive, as in similarity)."""
  mask = (freqs >= band[0]) & (freqs <= band[1])
  if not mask.any():
    raise ValueError(
        f'band {band} Hz contains no frequency bin for {num_samples} FFT '
        f'points at {fps} fps (bin spacing {fps / num_samples:.4g} Hz, '
        f'Nyquist {fps / 2:.4g} Hz).')
  return mask


def power_spectrum(series, fps: float, *, window: str = 'hann',
                   n_fft: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
  """One-sided power spectrum ``|rfft(w * (z - mean z), n_fft)|^2``.

  Each series has its mean removed (so the DC bin carries no offset), is
  multiplied by the window and zero-padded to ``n_fft`` points. Constant
  series give an all-zero spectrum exactly (their residual after mean
  removal, pure rounding error, is zeroed).

  The default periodic Hann window ``0.5 - 0.5 cos(2 pi n / L)`` trades a
  main lobe twice as wide for sidelobes that fall as ``1/f^3`` (rectangular:
  ``1/f``, first sidelobe only 13 dB down). With a few cycles per clip most
  frequencies fall between bins, and without a window the leakage of the
  strongest component would lift every other bin, bias unit-sum spectra
  towards the band centre and make the main lobe poorly described by a
  parabola; with Hann the log main lobe is nearly parabolic. ``'rect'``
  reproduces ``simper_jax.similarity.power_spectrum`` (no window).

  Args:
    series: ``[N, L]`` finite real series, ``L >= 2`` (non-finite values
      raise ValueError: a diverged encoder should be noticed, not read).
    fps: sampling rate in Hz.
    window: ``'hann'`` (default) or ``'rect'``.
    n_fft: FFT length ``>= L`` (zero-padding interpolates the spectrum on a
      finer grid); default ``L``.

  Returns:
    ``(freqs, power)``: ``freqs`` ``[F]`` in Hz, ``k * fps / n_fft`` for
    ``k = 0 .. n_fft // 2``, and ``power`` ``[N, F]`` (arbitrary units).
  """
  x = _as_series(series, 'power_spectrum')
  fps = _check_fps(fps)
  length = x.shape[1]
  n_fft = length if n_fft is None else int(n_fft)
  if n_fft < length:
    raise ValueError(f'power_spectrum: n_fft={n_fft} is shorter than the '
                     f'series, shape {x.shape}.')
  if window not in WINDOWS:
    raise ValueError(f'power_spectrum: window must be one of {WINDOWS}, got '
                     f'{window!r}.')
  centred = x - x.mean(axis=1, keepdims=True)
  # x - mean(x) of a constant row can be a tiny nonzero constant (rounding
  # in the mean); zero it so a flat series has exactly zero power.
  centred[np.ptp(x, axis=1) == 0] = 0.0
  if window == 'hann':
    n = np.arange(length)
    centred = centred * (0.5 - 0.5 * np.cos(2 * np.pi * n / length))
  spec = np.fft.rfft(centred, n=n_fft, axis=1)
  power = spec.real ** 2 + spec.imag ** 2
  freqs = np.arange(n_fft // 2 + 1) * fps / n_fft
  return freqs, power


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
  x = _as_series(series, 'fft_peak_frequency')
  fps = _check_fps(fps)
  lo, hi = _check_band(band)
  if int(pad_factor) != pad_factor or pad_factor < 1:
    raise ValueError(f'fft_peak_frequency: pad_factor must be an int >= 1, '
                     f'got {pad_factor!r}.')
  n_fft = int(pad_factor) * x.shape[1]
  freqs, power = power_spectrum(x, fps, window='hann', n_fft=n_fft)
  in_band = _band_mask(freqs, (lo, hi), n_fft, fps)
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
  x = _as_series(series, 'probe_features')
  fps = _check_fps(fps)
  lo, hi = _check_band(band)
  freqs, power = power_spectrum(x, fps, window='hann')
  power = power[:, _band_mask(freqs, (lo, hi), x.shape[1], fps)]
  total = power.sum(axis=1, keepdims=True)
  spec = np.divide(power, total, out=np.zeros_like(power), where=total > 0)
  centred = x - x.mean(axis=1, keepdims=True)
  std = centred.std(axis=1, keepdims=True)
  flat = np.ptp(x, axis=1, keepdims=True) == 0
  z = np.divide(centred, std, out=np.zeros_like(centred),
                where=(std > 0) & ~flat)
  return np.concatenate([z, spec], axis=1)


@dataclasses.dataclass(frozen=True)
class RidgeModel:
  """A ridge regression fitted on standardized features.

  ``predict(x) = ((x - mean) / scale) @ weights + bias``.

  Attributes:
    mean: ``[D]`` train feature means.
    scale: ``[D]`` train feature stds (1 where a feature is constant on
      train; its weight is then 0).
    weights: ``[D]`` weights on the standardized features.
    bias: intercept (unpenalized).
    alpha: the regularization strength chosen by cross-validation.
    alphas: ``[A]`` the candidate strengths.
    cv_errors: ``[A]`` cross-validated error of each candidate.
    criterion: the CV error, ``'mse'`` or ``'mae'``.
  """

  mean: np.ndarray
  scale: np.ndarray
  weights: np.ndarray
  bias: float
  alpha: float
  alphas: np.ndarray
  cv_errors: np.ndarray
  criterion: str

  def predict(self, x) -> np.ndarray:
    """Predictions ``[M]`` for features ``x`` ``[M, D]``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != self.weights.shape[0]:
      raise ValueError(f'RidgeModel.predict: x must be [M, '
                       f'{self.weights.shape[0]}], got shape {x.shape}.')
    _check_finite(x, 'RidgeModel.predict')
    return ((x - self.mean) / self.scale) @ self.weights + self.bias


def ridge_predict(model: RidgeModel, x) -> np.ndarray:
  """Same as ``model.predict(x)``: ``[M, D]`` features to ``[M]``."""
  return model.predict(x)


def kfold_indices(n: int, folds: int, seed: int) -> list[np.ndarray]:
  """Validation indices of each fold: a seeded shuffle cut into ``folds``.

  Args:
    n: number of samples.
    folds: number of folds, ``2 <= folds <= n``.
    seed: seed of the shuffle.

  Returns:
    ``folds`` disjoint int arrays covering ``0 .. n - 1``, sizes differing
    by at most one.
  """
  if int(folds) != folds or not 2 <= folds <= n:
    raise ValueError(f'kfold_indices: need an int 2 <= folds <= n, got '
                     f'folds={folds!r}, n={n}.')
  perm = np.random.default_rng(seed).permutation(n)
  return [np.sort(f) for f in np.array_split(perm, int(folds))]


def _standardizer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                          np.ndarray]:
  """Train mean ``[D]``, scale ``[D]`` and constant-feature mask ``[D]``."""
  mean = x.mean(axis=0)
  # ptp == 0 is exact for constant columns, where std may be a rounding
  # residual; those get scale 1 and, later, weight 0.
  const = np.ptp(x, axis=0) == 0
  std = x.std(axis=0)
  scale = np.where(const | (std == 0), 1.0, std)
  return mean, scale, const | (std == 0)


def _ridge_paths(xs: np.ndarray, yc: np.ndarray, alphas: np.ndarray
                 ) -> np.ndarray:
  """Weights ``[A, D]`` of centred ridge for every alpha at once.

  Minimizes ``mean((y - xs w)^2) + alpha |w|^2``: with the eigenpairs
  ``(lam, V)`` of the Gram matrix ``xs^T xs`` (the squared singular values
  and right singular vectors of ``xs``), ``w = V diag(1 / (lam + n alpha))
  V^T xs^T y``. One ``[D, D]`` eigendecomposition serves all alphas; for
  ``N >> D`` it is several times cheaper than the SVD of ``xs``. Squaring
  the condition number costs nothing that matters here: for ``alpha > 0``
  the ``n alpha`` term dominates the eigenvalues that rounding can
  corrupt. Eigenvalues below ``D * eps * max(lam)`` are
  dropped, so exact collinearity (unit-sum spectra, per-clip standardized
  series) gives the minimum-norm solution at ``alpha = 0`` instead of
  blowing up.
  """
  n, d = xs.shape
  lam, v = np.linalg.eigh(xs.T @ xs)
  keep = lam > max(lam.max(initial=0.0), 0.0) * d * np.finfo(float).eps
  lam, v = lam[keep], v[:, keep]
  vty = v.T @ (xs.T @ yc)
  coef = vty[None, :] / (lam[None, :] + n * alphas[:, None])
  return coef @ v.T


def _fit_one(x: np.ndarray, y: np.ndarray, alphas: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
  """Standardizes with ``x``'s own stats; returns mean, scale, W, biases."""
  mean, scale, const = _standardizer(x)
  xs = (x - mean) / scale
  xs[:, const] = 0.0
  y_mean = y.mean()
  # Centring x and y makes the intercept y_mean exactly, unpenalized.
  w = _ridge_paths(xs, y - y_mean, alphas)
  w[:, const] = 0.0
  return mean, scale, w, np.full(alphas.shape, y_mean)


def fit_ridge_cv(x_train, y_train, alphas=None, folds: int = 5,
                 seed: int = 0, criterion: str = 'mse') -> RidgeModel:
  """Ridge regression with ``alpha`` chosen by K-fold CV on train only.

  The objective is ``mean((y - b - xs @ w)^2) + alpha * |w|^2`` on
  features ``xs`` standardized with the (fold-)train mean and std; the
  bias ``b`` is not penalized. Per-sample (mean) loss makes ``alpha``
  independent of the number of samples, so the strength chosen on folds of
  ``(folds - 1) / folds`` of the data means the same on the full refit.

  Each fold standardizes with its own training part only; predictions for
  all alphas come from one ``[D, D]`` eigendecomposition per fold. The CV
  error is pooled over all out-of-fold predictions: ``'mse'`` (default;
  the loss ridge minimizes, hence the consistent choice) or ``'mae'``. The
  smallest error wins; ties go to the larger alpha (the simpler model).
  The model is then refitted on all of ``x_train`` with that alpha.

  Args:
    x_train: ``[N, D]`` finite features.
    y_train: ``[N]`` finite targets.
    alphas: ``[A]`` non-negative strengths; default
      ``np.logspace(-4, 4, 17)``.
    folds: number of folds, ``2 <= folds <= N``.
    seed: seed of the fold shuffle (``kfold_indices``).
    criterion: ``'mse'`` or ``'mae'``.

  Returns:
    The fitted ``RidgeModel``.
  """
  x = np.asarray(x_train, dtype=np.float64)
  y = np.asarray(y_train, dtype=np.float64)
  if x.ndim != 2 or x.shape[1] < 1 or y.shape != (x.shape[0],):
    raise ValueError(f'fit_ridge_cv: need x_train [N, D] (D >= 1) and '
                     f'y_train [N], got shapes {x.shape} and {y.shape}.')
  _check_finite(x, 'fit_ridge_cv x_train')
  _check_finite(y, 'fit_ridge_cv y_train')
  alphas = (np.logspace(-4, 4, 17) if alphas is None
            else np.asarray(alphas, dtype=np.float64))
  if (alphas.ndim != 1 or alphas.size < 1 or not np.isfinite(alphas).all()
      or (alphas < 0).any()):
    raise ValueError(f'fit_ridge_cv: alphas must be a non-empty [A] array of '
                     f'finite values >= 0, got shape {alphas.shape}.')
  if criterion not in CV_CRITERIA:
    raise ValueError(f'fit_ridge_cv: criterion must be one of {CV_CRITERIA}, '
                     f'got {criterion!r}.')
  n = x.shape[0]
  oof = np.empty((alphas.size, n))
  for val in kfold_indices(n, folds, seed):
    train = np.ones(n, dtype=bool)
    train[val] = False
    mean, scale, w, b = _fit_one(x[train], y[train], alphas)
    oof[:, val] = w @ ((x[val] - mean) / scale).T + b[:, None]
  err = oof - y[None, :]
  cv_errors = (np.mean(err ** 2, axis=1) if criterion == 'mse'
               else np.mean(np.abs(err), axis=1))
  best = cv_errors.min()
  # Largest alpha among the (exact) minimizers.
  i = int(np.flatnonzero(cv_errors == best)[np.argmax(
      alphas[cv_errors == best])])
  mean, scale, w, b = _fit_one(x, y, alphas[i:i + 1])
  return RidgeModel(mean=mean, scale=scale, weights=w[0], bias=float(b[0]),
                    alpha=float(alphas[i]), alphas=alphas,
                    cv_errors=cv_errors, criterion=criterion)


def regression_metrics(pred, true) -> dict[str, float]:
  """MAE, MAPE (percent), RMSE and Pearson r of ``pred`` against ``true``.

  ``mape`` is ``100 * mean(|pred - true| / |true|)``; it is NaN when any
  ``true`` is 0 (undefined). ``pearson`` is NaN when either input is
  constant (zero variance, e.g. a single sample): the correlation is
  undefined, and callers writing JSON map NaN to null.

  Args:
    pred: ``[N]`` finite predictions.
    true: ``[N]`` finite targets.

  Returns:
    ``{'mae', 'mape', 'rmse', 'pearson'}`` as Python floats.

  Raises:
    ValueError: on shape mismatch, empty or non-finite inputs.
  """
  p = np.asarray(pred, dtype=np.float64)
  t = np.asarray(true, dtype=np.float64)
  if p.ndim != 1 or p.shape != t.shape:
    raise ValueError(f'regression_metrics: pred and true must both be [N], '
                     f'got shapes {p.shape} and {t.shape}.')
  if p.size == 0:
    raise ValueError('regression_metrics: empty inputs, shape (0,).')
  _check_finite(p, 'regression_metrics pred')
  _check_finite(t, 'regression_metrics true')
  err = p - t
  if (t == 0).any():
    mape = float('nan')
  else:
    mape = float(100.0 * np.mean(np.abs(err) / np.abs(t)))
  dp, dt = p - p.mean(), t - t.mean()
  # ptp == 0 tests constancy exactly (dp of a constant can be rounding).
  if np.ptp(p) == 0 or np.ptp(t) == 0:
    pearson = float('nan')
  else:
    r = np.sum(dp * dt) / np.sqrt(np.sum(dp ** 2) * np.sum(dt ** 2))
    pearson = float(np.clip(r, -1.0, 1.0))
  return {'mae': float(np.mean(np.abs(err))),
          'mape': mape,
          'rmse': float(np.sqrt(np.mean(err ** 2))),
          'pearson': pearson}


def pca_2d(x) -> np.ndarray:
  """Scores on the top-2 principal components of centred ``x``.

  Computed by SVD of the centred data. Signs are made deterministic: each
  component's loading vector is flipped so its largest-magnitude entry is
  positive. With fewer than two non-trivial components (``N`` or ``D`` < 2,
  or rank < 2) the missing columns are zero.

  Args:
    x: ``[N, D]`` finite data, ``N >= 1``, ``D >= 1``.

  Returns:
    ``[N, 2]`` float64 scores (column 0: largest variance).
  """
  x = np.asarray(x, dtype=np.float64)
  if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
    raise ValueError(f'pca_2d: x must be [N, D] with N, D >= 1, got shape '
                     f'{x.shape}.')
  _check_finite(x, 'pca_2d')
  xc = x - x.mean(axis=0)
  u, s, vt = np.linalg.svd(xc, full_matrices=False)
  k = min(2, s.shape[0])
  cols = np.arange(k)
  signs = np.sign(vt[cols, np.argmax(np.abs(vt[:k]), axis=1)])
  signs[signs == 0] = 1.0
  out = np.zeros((x.shape[0], 2))
  out[:, :k] = u[:, :k] * (s[:k] * signs)
  return out
