"""A generated folder of videos with known frequencies (``:synthetic``).

:func:`make_folder` writes short videos (6-10 s) of a shape that moves
periodically at a known frequency in 0.8-3.0 Hz, in the layout a user's
folder has:

* four motions, one sub-folder each: ``rotate`` (a clock hand with a disc
  at its tip turning once per period), ``swing`` (a pendulum
  swinging to one side and back), ``pulse``
  (a disc whose colour pulses) and ``translate`` (a square moving from the
  centre down out of view and back), on a random background with a little noise;
* several containers and codecs (``.mp4`` mp4v, ``.avi`` MJPG, ``.mkv``
  XVID, ``.mov`` mp4v, ``.webm`` VP80), frame rates (24, 25, 30) and sizes
  (64x48, 64x64, 80x60, 48x64), so resampling and the square crop are
  exercised;
* ``labels.csv`` (``file,target``; target in Hz) labelling all but a few
  files (an empty target), ``truth.csv`` (every file's true frequency, its
  motion, rate, size and codec) to evaluate the unlabelled files, and one
  corrupt file (random bytes named ``.mp4``), which the build report lists.

Deterministic from the seed (the frames; the encoders' bytes are whatever
this OpenCV writes).
"""

from __future__ import annotations

import math
import os

import numpy as np

from tfds_builders import folder_synthetic

KINDS = ('rotate', 'swing', 'pulse', 'translate')
# extension -> fourcc (all written and read back by this project's OpenCV).
CONTAINERS = (('mp4', 'mp4v'), ('avi', 'MJPG'), ('mkv', 'XVID'),
              ('mov', 'mp4v'), ('webm', 'VP80'))
RATES = (24.0, 25.0, 30.0, 30.0)  # 30 fps is the most common
SIZES = ((64, 48), (64, 64), (80, 60), (48, 64))  # (width, height)
FREQ_RANGE = (0.8, 3.0)
CORRUPT = 'broken.mp4'
TRUTH_FILE = folder_synthetic.TRUTH_FILE
read_truth = folder_synthetic.read_truth  # file -> true frequency (Hz)
_SHIFT = 4  # cv2 drawing: sub-pixel positions in 1/16 pixel
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
  return int(round(x * _ONE)), int(round(y * _ONE))


def render(kind: str, freq: float, t: np.ndarray, width: int, height: int,
           rng: np.random.Generator) -> np.ndarray:
  """Frames ``[len(t), height, width, 3]`` uint8 BGR of one motion at
  ``freq`` Hz, at times ``t`` (s); colours, phase and amplitude from
  ``rng``."""
  import cv2  # pylint: disable=g-import-not-at-top
  background = rng.integers(0, 110, 3)
  colour = tuple(int(c) for c in rng.integers(140, 256, 3))
  phase0 = rng.uniform(0, 2 * np.pi)
  side = min(width, height)  # the motion stays in the centre square
  cx, cy = width / 2, height / 2
  amp = rng.uniform(0.6, 0.9)
  out = np.empty((len(t), height, width, 3), np.uint8)
  for k, tk in enumerate(t):
    p = 2 * np.pi * freq * tk + phase0
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = background
    if kind == 'rotate':  # one turn per period
      r = 0.36 * side
      tip = (cx + r * math.cos(p), cy + r * math.sin(p))
      cv2.line(frame, _pt(cx, cy), _pt(*tip), colour, 2, cv2.LINE_AA,
               _SHIFT)
      cv2.circle(frame, _pt(*tip), int(0.09 * side * _ONE), colour, -1,
                 cv2.LINE_AA, _SHIFT)
    elif kind == 'swing':  # a pendulum hanging from the top
      # One-sided, from hanging straight down to one side and back: a
      # swing to both sides looks alike at +theta and -theta (and SimPer's
      # views are flipped at random), so its appearance repeats at 2f.
      angle = amp * 0.9 * (1 + math.sin(p)) / 2
      top = (cx, cy - 0.4 * side)
      r = 0.7 * side
      bob = (top[0] + r * math.sin(angle), top[1] + r * math.cos(angle))
      cv2.line(frame, _pt(*top), _pt(*bob), colour, 1, cv2.LINE_AA, _SHIFT)
      cv2.circle(frame, _pt(*bob), int(0.1 * side * _ONE), colour, -1,
                 cv2.LINE_AA, _SHIFT)
    elif kind == 'pulse':  # colour goes dark and back once per period
      level = 0.55 + 0.45 * math.sin(p)
      c = tuple(int(v * level) for v in colour)
      cv2.circle(frame, _pt(cx, cy), int(0.25 * side * _ONE), c, -1,
                 cv2.LINE_AA, _SHIFT)
    elif kind == 'translate':  # a square moving down out of view and back
      # From the centre to the bottom edge, where it leaves the frame in
      # part: once per period (a motion symmetric about the centre would
      # look alike twice per period to a flip-invariant encoder).
      y = cy + 0.5 * side * (1 + math.sin(p)) / 2
      h = 0.12 * side
      cv2.rectangle(frame, _pt(cx - h, y - h), _pt(cx + h, y + h), colour,
                    -1, cv2.LINE_AA, _SHIFT)
    else:
      raise ValueError(f'unknown motion {kind!r}; one of {KINDS}.')
    noise = rng.normal(0, 3, frame.shape)
    out[k] = np.clip(frame + noise, 0, 255).astype(np.uint8)
  return out


def write_video(path: str, frames: np.ndarray, fps: float,
                fourcc: str) -> None:
  """``frames`` (BGR) to ``path`` with OpenCV's writer."""
  import cv2  # pylint: disable=g-import-not-at-top
  h, w = frames.shape[1:3]
  writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps,
                           (w, h))
  if not writer.isOpened():
    raise RuntimeError(f'OpenCV cannot write {path} with {fourcc}.')
  for frame in frames:
    writer.write(frame)
  writer.release()


def make_folder(root: str, seed: int = 0, num_files: int = 48,
                num_unlabelled: int = 4, duration: tuple = (6.0, 10.0)
                ) -> dict[str, float]:
  """Writes the synthetic folder into ``root`` (created).

  Args:
    root: the folder.
    seed: the generator's seed.
    num_files: videos (cycling through motions, containers, rates, sizes).
    num_unlabelled: videos whose ``labels.csv`` target is empty.
    duration: (shortest, longest) video, seconds.

  Returns:
    file (relative to ``root``) -> true frequency (Hz), for every video
    (not the corrupt file); the same as ``truth.csv``.
  """
  rng = np.random.default_rng(seed)
  os.makedirs(root, exist_ok=True)
  rows = []
  for i in range(num_files):
    kind = KINDS[i % len(KINDS)]
    ext, fourcc = CONTAINERS[i % len(CONTAINERS)]
    fps = RATES[int(rng.integers(len(RATES)))]
    width, height = SIZES[int(rng.integers(len(SIZES)))]
    freq = round(float(rng.uniform(*FREQ_RANGE)), 3)
    seconds = float(rng.uniform(*duration))
    t = np.arange(int(seconds * fps)) / fps
    rel = os.path.join(kind, f'{kind}_{i:03d}.{ext}')
    os.makedirs(os.path.join(root, kind), exist_ok=True)
    frames = render(kind, freq, t, width, height, rng)
    write_video(os.path.join(root, rel), frames, fps, fourcc)
    rows.append((rel, freq, kind, fps, f'{width}x{height}', fourcc,
                 len(t)))
  unlabelled = set(rng.choice(num_files, size=min(num_unlabelled, num_files),
                              replace=False).tolist())
  corrupt = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
  return folder_synthetic.write_tables(
      root, rows, unlabelled, ('file', 'target', 'motion', 'fps', 'size',
                               'fourcc', 'frames'), (CORRUPT, corrupt))


def ensure_folder(root: str, seed: int = 0) -> str:
  """``root`` holding the synthetic folder, generated once
  (:func:`tfds_builders.folder_synthetic.ensure_folder`)."""
  return folder_synthetic.ensure_folder(root, make_folder, 'video_folder',
                                        'videos', seed)
