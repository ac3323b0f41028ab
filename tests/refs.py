"""Independent NumPy references written as direct loops (no FFTs).

These are deliberately naive and share no code with simper_jax.
"""

import math

import numpy as np


def mxcorr(a, b):
  a = np.asarray(a, np.float64)
  b = np.asarray(b, np.float64)
  m, t = a.shape
  n = b.shape[0]
  out = np.zeros((m, n))
  for i in range(m):
    x = a[i] - a[i].mean()
    sx = math.sqrt(sum(v * v for v in x) / t)
    for j in range(n):
      y = b[j] - b[j].mean()
      sy = math.sqrt(sum(v * v for v in y) / t)
      if sx == 0 or sy == 0:
        out[i, j] = 0.0
        continue
      best = -np.inf
      for lag in range(-(t - 1), t):
        s = 0.0
        for k in range(t):
          if 0 <= k + lag < t:
            s += x[k + lag] * y[k]
        best = max(best, s)
      out[i, j] = best / (t * sx * sy)
  return out


def band_power(x, fps, band):
  x = np.asarray(x, np.float64)
  t = len(x)
  x = x - x.mean()
  powers = []
  for k in range(t // 2 + 1):
    f = k * fps / t
    if band[0] <= f <= band[1]:
      re = sum(x[s] * math.cos(2 * math.pi * k * s / t) for s in range(t))
      im = -sum(x[s] * math.sin(2 * math.pi * k * s / t) for s in range(t))
      powers.append(re * re + im * im)
  return np.array(powers)


def npsd(a, b, fps, band):
  def unit(p):
    norm = math.sqrt(sum(v * v for v in p))
    return p / norm if norm > 0 else p
  pa = [unit(band_power(x, fps, band)) for x in a]
  pb = [unit(band_power(y, fps, band)) for y in b]
  return np.array([[sum(u * v for u, v in zip(p, q)) for q in pb]
                   for p in pa])


def cosine(a, b):
  out = np.zeros((len(a), len(b)))
  for i, x in enumerate(np.asarray(a, np.float64)):
    for j, y in enumerate(np.asarray(b, np.float64)):
      nx = math.sqrt(sum(v * v for v in x))
      ny = math.sqrt(sum(v * v for v in y))
      out[i, j] = 0.0 if nx == 0 or ny == 0 else sum(x * y) / (nx * ny)
  return out


def negative_l2(a, b):
  out = np.zeros((len(a), len(b)))
  for i, x in enumerate(np.asarray(a, np.float64)):
    for j, y in enumerate(np.asarray(b, np.float64)):
      out[i, j] = -math.sqrt(sum((u - v) ** 2 for u, v in zip(x, y)))
  return out


def label_targets(sa, sb, kernel, temperature):
  """sa [M], sb [N] -> [M, N]."""
  out = np.zeros((len(sa), len(sb)))
  for i, u in enumerate(sa):
    d = []
    for v in sb:
      diff = abs(float(u) - float(v))
      d.append({'l1': diff, 'l2': diff ** 2, 'sqrt': math.sqrt(diff)}[kernel])
    e = [math.exp(-x / temperature) for x in d]
    out[i] = np.array(e) / sum(e)
  return out


def infonce_row(logits_row, target_row):
  mx = max(logits_row)
  lse = mx + math.log(sum(math.exp(v - mx) for v in logits_row))
  return -sum(w * (v - lse) for w, v in zip(target_row, logits_row))


def speed_resample(clip, speed, start, num_frames):
  clip = np.asarray(clip, np.float64)
  t = clip.shape[0]
  out = []
  for k in range(num_frames):
    time = min(max(start + k * speed, 0.0), t - 1)
    lo = int(math.floor(time))
    hi = min(lo + 1, t - 1)
    w = time - lo
    out.append(clip[lo] * (1 - w) + clip[hi] * w)
  return np.stack(out)


def conv3d_same(x, w):
  """Direct stride-1 SAME 3-D correlation, [N,T,H,W,C] x [kt,kh,kw,C,O]."""
  x = np.asarray(x, np.float64)
  w = np.asarray(w, np.float64)
  n, t, h, wd, c = x.shape
  kt, kh, kw, _, o = w.shape
  pads = [((k - 1) // 2, k // 2) for k in (kt, kh, kw)]
  xp = np.pad(x, ((0, 0), *pads, (0, 0)))
  y = np.zeros((n, t, h, wd, o))
  for i in range(kt):
    for j in range(kh):
      for k in range(kw):
        patch = xp[:, i:i + t, j:j + h, k:k + wd]  # [n,t,h,w,c]
        for ci in range(c):
          y += patch[..., ci:ci + 1] * w[i, j, k, ci][None, None, None, None]
  return y


def hann(n):
  """The periodic Hann window ``0.5 - 0.5 cos(2 pi i / n)``."""
  return [0.5 - 0.5 * math.cos(2 * math.pi * i / n) for i in range(n)]


def dft_power(x, n_fft, window):
  """Direct one-sided DFT power of one mean-removed, windowed series."""
  n = len(x)
  mean = sum(x) / n
  w = hann(n) if window == 'hann' else [1.0] * n
  xc = [(v - mean) * w[i] for i, v in enumerate(x)]
  out = []
  for k in range(n_fft // 2 + 1):
    re = sum(xc[s] * math.cos(2 * math.pi * k * s / n_fft) for s in range(n))
    im = -sum(xc[s] * math.sin(2 * math.pi * k * s / n_fft) for s in range(n))
    out.append(re * re + im * im)
  return np.array(out)


def ridge(x, y, alpha):
  """Ridge by explicit standardization and the augmented normal equations.

  Minimizes mean((y - b - xs w)^2) + alpha |w|^2, i.e. solves
  (A^T A + n alpha P) [w; b] = A^T y with A = [xs, 1], P = diag(1..1, 0).
  Returns ``(w, b, predict)``, ``w`` on the standardized features.
  """
  n, d = len(x), len(x[0])
  mean = [sum(x[i][j] for i in range(n)) / n for j in range(d)]
  std = [math.sqrt(sum((x[i][j] - mean[j]) ** 2 for i in range(n)) / n)
         for j in range(d)]
  a = np.ones((n, d + 1))
  for i in range(n):
    for j in range(d):
      a[i, j] = (x[i][j] - mean[j]) / std[j]
  pen = np.eye(d + 1) * n * alpha
  pen[d, d] = 0.0
  sol = np.linalg.solve(a.T @ a + pen, a.T @ np.asarray(y))

  def predict(xn):
    return np.array([sum((row[j] - mean[j]) / std[j] * sol[j]
                         for j in range(d)) + sol[d] for row in xn])
  return sol[:d], sol[d], predict


def loop_periodogram(x, fps):
  """One-sided density periodogram, zero-padded to the next power of 2
  (rPPG-Toolbox's ``scipy.signal.periodogram`` call), by direct DFT."""
  n = len(x)
  nfft = 1
  while nfft < n:
    nfft *= 2
  freqs, power = [], []
  for k in range(nfft // 2 + 1):
    re = 0.0
    im = 0.0
    for t in range(n):
      re += x[t] * math.cos(2 * math.pi * k * t / nfft)
      im -= x[t] * math.sin(2 * math.pi * k * t / nfft)
    p = (re * re + im * im) / (fps * n)
    if 0 < k < nfft / 2:
      p *= 2  # One-sided: the negative frequency's power folded in.
    freqs.append(k * fps / nfft)
    power.append(p)
  return freqs, power
