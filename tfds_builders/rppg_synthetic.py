"""Synthetic pulsing faces, written in each heart-rate dataset's raw format.

Used by the ``make_dummy_data.py`` scripts next to each builder and by the
tests: a drawn face (which OpenCV's frontal-face Haar cascade detects) on a
dark background, whose skin colour is modulated by a pulse at a known heart
rate, plus the matching PPG waveform, written as

- SCAMPS: a MATLAB v7.3 file (HDF5 with MATLAB's 512-byte header), ``Xsub``
  float in [0, 1] stored as the distributed files do, MATLAB [T, H, W, 3]
  (HDF5 [3, W, H, T]; ``layout='old'``: MATLAB [H, W, 3, T], HDF5
  [T, 3, W, H]), ``d_ppg`` [T, 1];
- UBFC-rPPG: ``subjectN/vid.avi`` (MJPG) and ``subjectN/ground_truth.txt``
  (PPG, HR, time lines);
- PURE: ``NN-MM/NN-MM/Image<ns>.png`` and ``NN-MM/NN-MM.json`` with
  ``/FullPackage`` (PPG at its own, uneven rate) and ``/Image`` entries.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np


def ppg(times_s: np.ndarray, hr_bpm: float, phase: float = 0.0
        ) -> np.ndarray:
  """A pulse waveform: the fundamental at ``hr_bpm`` plus a weaker 2nd
  harmonic (the dicrotic shape), in arbitrary units."""
  w = 2 * math.pi * hr_bpm / 60.0 * np.asarray(times_s, np.float64) + phase
  return np.sin(w) + 0.3 * np.sin(2 * w + 0.5)


def face_frames(times_s: np.ndarray, hr_bpm: float, *, height: int = 64,
                width: int = 80, amplitude: float = 6.0, noise: float = 0.5,
                seed: int = 0) -> np.ndarray:
  """``[T, height, width, 3]`` uint8 RGB frames of a pulsing drawn face.

  The skin's red and green levels follow ``ppg(times_s, hr_bpm)`` (green
  the most, as blood volume absorbs green); the face sits off-centre so a
  crop is visible. A little seeded noise keeps frames from being identical.
  """
  import cv2  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  size = min(height, width)
  s = size / 96
  c = (int(width * 0.55), int(height * 0.5))
  mask = np.zeros((height, width), np.uint8)
  cv2.ellipse(mask, (c[0], int(c[1] + 4 * s)), (int(30 * s), int(40 * s)),
              0, 0, 360, 1, -1)
  base = np.full((height, width, 3), 40, np.uint8)
  cv2.ellipse(base, (c[0], int(c[1] + 4 * s)), (int(30 * s), int(40 * s)),
              0, 0, 360, (200, 150, 120), -1)
  features = np.zeros((height, width), np.uint8)  # not skin: no pulse
  for dx in (-13, 13):
    x = int(c[0] + dx * s)
    cv2.line(base, (int(x - 7 * s), int(c[1] - 14 * s)),
             (int(x + 7 * s), int(c[1] - 14 * s)), (60, 40, 30),
             max(1, int(3 * s)))
    cv2.ellipse(base, (x, int(c[1] - 6 * s)), (int(6 * s), int(3 * s)), 0, 0,
                360, (255, 255, 255), -1)
    cv2.ellipse(features, (x, int(c[1] - 6 * s)), (int(6 * s), int(3 * s)),
                0, 0, 360, 1, -1)
    cv2.circle(base, (x, int(c[1] - 6 * s)), max(1, int(3 * s)),
               (20, 20, 20), -1)
  cv2.ellipse(base, (c[0], int(c[1] + 22 * s)), (int(10 * s), int(4 * s)),
              0, 0, 360, (120, 40, 40), -1)
  cv2.ellipse(features, (c[0], int(c[1] + 22 * s)), (int(10 * s), int(4 * s)),
              0, 0, 360, 1, -1)
  skin = (mask > 0) & (features == 0)
  pulse = ppg(times_s, hr_bpm)
  out = np.empty((len(times_s), height, width, 3), np.uint8)
  gain = np.array([0.5, 1.0, 0.3]) * amplitude
  for i, p in enumerate(pulse):
    frame = base.astype(np.float64)
    frame[skin] += gain * p
    if noise:
      frame += rng.normal(0, noise, frame.shape)
    out[i] = np.clip(np.round(frame), 0, 255).astype(np.uint8)
  return out


_MATLAB_HEADER = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: '
                  b'Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .')


def write_scamps_mat(path: str, frames: np.ndarray, wave: np.ndarray,
                     layout: str = 'matlab_thw3') -> None:
  """A SCAMPS-format MATLAB v7.3 file from ``[T, H, W, 3]`` uint8 frames.

  ``layout``: ``'matlab_thw3'`` (as distributed: MATLAB [T, H, W, 3],
  column-major, is HDF5 [3, W, H, T]) or ``'old'`` (MATLAB [H, W, 3, T],
  HDF5 [T, 3, W, H]).
  """
  import h5py  # pylint: disable=g-import-not-at-top
  x = frames.astype(np.float32) / 255.0  # SCAMPS stores floats in [0, 1]
  axes = {'matlab_thw3': (3, 2, 1, 0), 'old': (0, 3, 2, 1)}[layout]
  with h5py.File(path, 'w', userblock_size=512) as f:
    f.create_dataset('Xsub', data=x.transpose(axes),
                     compression='gzip', compression_opts=9)
    f.create_dataset('d_ppg', data=np.asarray(wave, np.float64)[None, :])
    for name in ('Xsub', 'd_ppg'):
      f[name].attrs['MATLAB_class'] = np.bytes_('double' if name == 'd_ppg'
                                                else 'single')
  header = _MATLAB_HEADER.ljust(116) + b'\x00' * 8 + b'\x00\x02IM'
  with open(path, 'r+b') as f:
    f.write(header.ljust(128, b'\x00'))


def write_ubfc_subject(folder: str, frames: np.ndarray, wave: np.ndarray,
                       fps: float) -> None:
  """``folder/vid.avi`` (MJPG) and ``folder/ground_truth.txt``."""
  import cv2  # pylint: disable=g-import-not-at-top
  os.makedirs(folder, exist_ok=True)
  h, w = frames.shape[1:3]
  writer = cv2.VideoWriter(os.path.join(folder, 'vid.avi'),
                           cv2.VideoWriter_fourcc(*'MJPG'), fps, (w, h))
  if not writer.isOpened():
    raise RuntimeError('OpenCV cannot write MJPG AVI files here.')
  for frame in frames:
    writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
  writer.release()
  t = np.arange(len(wave)) / fps
  with open(os.path.join(folder, 'ground_truth.txt'), 'w') as f:
    f.write(' '.join(f'{v:.7e}' for v in wave) + '\n')
    f.write(' '.join('7.0e+01' for _ in wave) + '\n')  # device HR (unused)
    f.write(' '.join(f'{v:.7e}' for v in t) + '\n')


def write_pure_recording(root: str, name: str, frames: np.ndarray,
                         frame_ts_ns: np.ndarray, ppg_ts_ns: np.ndarray,
                         wave: np.ndarray) -> None:
  """``root/name/name/Image<ns>.png`` and ``root/name/name.json``."""
  import cv2  # pylint: disable=g-import-not-at-top
  folder = os.path.join(root, name, name)
  os.makedirs(folder, exist_ok=True)
  for frame, ts in zip(frames, frame_ts_ns):
    cv2.imwrite(os.path.join(folder, f'Image{int(ts)}.png'),
                cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
  data = {
      '/FullPackage': [
          {'Timestamp': int(ts), 'Value': {
              'pulseRate': 70, 'o2saturation': 98, 'signalStrength': 5,
              'waveform': int(round(v))}}
          for ts, v in zip(ppg_ts_ns, wave)],
      '/Image': [{'Timestamp': int(ts)} for ts in frame_ts_ns],
  }
  with open(os.path.join(root, name, f'{name}.json'), 'w') as f:
    json.dump(data, f)


def uneven_times_ns(start_ns: int, duration_s: float, rate_hz: float,
                    jitter: float, seed: int) -> np.ndarray:
  """Increasing time stamps at about ``rate_hz``, each interval scaled by
  a random factor in ``1 +- jitter`` (an uneven sampling clock)."""
  rng = np.random.default_rng(seed)
  n = int(duration_s * rate_hz * 1.2) + 2
  steps = (1.0 + rng.uniform(-jitter, jitter, n)) / rate_hz
  t = np.concatenate([[0.0], np.cumsum(steps)])
  t = t[t <= duration_s]
  return start_ns + np.round(t * 1e9).astype(np.int64)
