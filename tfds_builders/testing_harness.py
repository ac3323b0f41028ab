"""The project's builder test harness: ``DatasetBuilderTestCase`` without TF.

``tfds.testing.DatasetBuilderTestCase`` subclasses ``tf.test.TestCase`` and
reads with ``as_dataset`` (tf.data), so it needs TensorFlow. This harness
runs the same generic checks with ``as_data_source`` on a builder's
``dummy_data/``:

* the build (``file_format='array_record'``, into a temporary
  ``data_dir``) writes ``dataset_info.json``;
* the splits and their example counts are the expected ones, also when the
  prepared dataset is reopened;
* every example of every split decodes and matches the feature spec (keys,
  shapes, dtypes);
* a second build in another temporary ``data_dir`` gives identical
  examples in the same order (arrays compared exactly) and byte-identical
  record files;
* optionally, a ``group_key`` (e.g. ``'subject'``) never appears in two
  splits.

Use the mixin with a ``TestCase`` (absltest or unittest; pytest runs both)::

    class ScampsHarnessTest(testing_harness.BuilderHarness,
                            absltest.TestCase):
      BUILDER = scamps.Builder
      CONFIG = rppg_common.RppgConfig(name='tiny', chunk_length=10)
      MANUAL_DIR = DUMMY_DATA
      SPLITS = {'train': 4, 'validation': 4, 'test': 4}
      GROUP_KEY = 'subject'

or call ``build``, ``read_split``, ``check_example`` and ``assert_same``
directly. Expected split sizes belong in the test, counted from the dummy
data by hand, never computed by the code under test.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import numpy as np
import tensorflow_datasets as tfds


def build(builder_cls: type[tfds.core.DatasetBuilder], config: Any,
          data_dir: str, manual_dir: str | None = None
          ) -> tfds.core.DatasetBuilder:
  """Builds ``config`` (a ``BuilderConfig`` or its name) as ArrayRecord."""
  builder = builder_cls(config=config, data_dir=data_dir,
                        file_format='array_record')
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=os.fspath(manual_dir) if manual_dir else None,
      compute_stats=tfds.download.ComputeStatsMode.SKIP))
  return builder


def read_split(builder: tfds.core.DatasetBuilder, split: str) -> list[dict]:
  """Every example of ``split``, in order, decoded by ``as_data_source``."""
  source = builder.as_data_source(split)
  return [source[i] for i in range(len(source))]


def _shape_matches(shape: tuple, spec: tuple) -> bool:
  return len(shape) == len(spec) and all(
      want is None or want == got for got, want in zip(shape, spec))


def check_example(example: dict, specs: dict, where: str) -> None:
  """Raises ``AssertionError`` unless ``example`` matches ``specs``.

  Args:
    example: one decoded example (``as_data_source``).
    specs: ``builder.info.features.get_tensor_info()``: the flat dict of
      ``TensorInfo`` (nested ``FeaturesDict``s are not supported).
    where: names the example in error messages.
  """
  if set(example) != set(specs):
    raise AssertionError(f'{where}: keys {sorted(example)} differ from the '
                         f'feature spec {sorted(specs)}.')
  for key, spec in specs.items():
    if isinstance(spec, dict):
      raise AssertionError(f'{where}: nested feature {key!r} unsupported.')
    value, want = example[key], np.dtype(spec.np_dtype)
    what = f'{where}, feature {key!r}'
    if want == object:  # Text: the NumPy decoder gives bytes
      if spec.shape != () or not isinstance(value, (bytes, str)):
        raise AssertionError(f'{what}: expected text, got {value!r}.')
      continue
    if isinstance(value, np.ndarray):
      if value.dtype != want or not _shape_matches(value.shape, spec.shape):
        raise AssertionError(
            f'{what}: {value.dtype} {value.shape}, the spec says {want} '
            f'{spec.shape}.')
      continue
    # Scalars come back as Python numbers; the value must be one of `want`.
    if spec.shape != () or not isinstance(value, (bool, int, float,
                                                  np.generic)):
      raise AssertionError(f'{what}: got {type(value).__name__} {value!r}, '
                           f'the spec says {want} {spec.shape}.')
    if not _is_value_of(value, want):
      raise AssertionError(f'{what}: {value!r} is not a {want} value.')


def _is_value_of(value: Any, dtype: np.dtype) -> bool:
  """Whether the scalar ``value`` is exactly a value of ``dtype``."""
  kinds = {'b': 'b', 'i': 'biu', 'u': 'biu', 'f': 'biuf'}.get(dtype.kind, '')
  if np.asarray(value).dtype.kind not in kinds:
    return False
  # Compared as Python numbers: 0.1 is not a float32, 2**40 not an int32.
  cast = np.asarray(value).astype(dtype).item()
  return cast == value or (dtype.kind == 'f' and math.isnan(cast) and
                           math.isnan(value))


def assert_same(first: list[dict], second: list[dict], where: str) -> None:
  """Both lists hold the same examples in the same order (exactly)."""
  if len(first) != len(second):
    raise AssertionError(f'{where}: {len(first)} vs {len(second)} examples.')
  for i, (a, b) in enumerate(zip(first, second)):
    if set(a) != set(b):
      raise AssertionError(f'{where}[{i}]: keys {sorted(a)} vs {sorted(b)}.')
    for key in a:
      np.testing.assert_array_equal(a[key], b[key], strict=True,
                                    err_msg=f'{where}[{i}][{key!r}]')


def _record_files(builder: tfds.core.DatasetBuilder) -> list:
  return sorted(builder.data_path.glob('*.array_record*'))


class BuilderHarness:
  """Generic builder checks; mix in before a ``TestCase``.

  Set ``BUILDER`` (the class), ``CONFIG`` (a ``BuilderConfig`` or a config
  name), ``MANUAL_DIR`` (the dummy raw data; None for builders that need
  none), ``SPLITS`` (split -> expected example count) and optionally
  ``GROUP_KEY``. Builders that need more (mocked downloads) override
  ``build_dataset``. The class builds twice in ``setUpClass``; subclasses'
  own tests may use ``self.builder`` and ``self.examples`` (split -> list).
  """

  BUILDER: type[tfds.core.DatasetBuilder] | None = None
  CONFIG: Any = None
  MANUAL_DIR: str | os.PathLike | None = None
  SPLITS: dict[str, int] = {}
  GROUP_KEY: str | None = None

  builder: tfds.core.DatasetBuilder
  examples: dict[str, list[dict]]

  @classmethod
  def build_dataset(cls, data_dir: str) -> tfds.core.DatasetBuilder:
    """Builds ``CONFIG`` into ``data_dir`` (override for mocked sources)."""
    return build(cls.BUILDER, cls.CONFIG, data_dir, cls.MANUAL_DIR)

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    # Not absl's create_tempdir: flags are unparsed when pytest runs this.
    cls._tmp_dirs = [tempfile.TemporaryDirectory() for _ in range(2)]
    cls.builder = cls.build_dataset(cls._tmp_dirs[0].name)
    cls.rebuilt = cls.build_dataset(cls._tmp_dirs[1].name)
    cls.examples = {split: read_split(cls.builder, split)
                    for split in cls.builder.info.splits}

  @classmethod
  def tearDownClass(cls):
    for tmp in cls._tmp_dirs:
      tmp.cleanup()
    super().tearDownClass()

  def test_dataset_info_written(self):
    path = self.builder.data_path
    self.assertTrue((path / 'dataset_info.json').exists(), path)
    self.assertEqual(self.builder.info.file_format,
                     tfds.core.FileFormat.ARRAY_RECORD)

  def test_split_sizes(self):
    self.assertTrue(self.SPLITS, 'set SPLITS to the expected split sizes')
    self.assertEqual({s: len(e) for s, e in self.examples.items()},
                     self.SPLITS)
    # Reopened from disk (no build), the recorded sizes are the same.
    reopened = type(self.builder)(config=self.builder.builder_config,
                                  data_dir=self.builder.data_dir_root)
    self.assertTrue(reopened.is_prepared())
    self.assertEqual({s: info.num_examples
                      for s, info in reopened.info.splits.items()},
                     self.SPLITS)

  def test_examples_match_feature_spec(self):
    specs = self.builder.info.features.get_tensor_info()
    for split, examples in self.examples.items():
      for i, example in enumerate(examples):
        check_example(example, specs, f'{split}[{i}]')

  def test_deterministic(self):
    for split, examples in self.examples.items():
      assert_same(examples, read_split(self.rebuilt, split), split)
    first, second = _record_files(self.builder), _record_files(self.rebuilt)
    self.assertEqual([p.name for p in first], [p.name for p in second])
    for a, b in zip(first, second):
      self.assertEqual(a.read_bytes(), b.read_bytes(), a.name)

  def test_group_key_in_one_split(self):
    if self.GROUP_KEY is None:
      self.skipTest('GROUP_KEY not set: no key to keep out of two splits')
    seen: dict[Any, str] = {}
    for split, examples in self.examples.items():
      for value in {np.asarray(e[self.GROUP_KEY]).tobytes()
                    for e in examples}:
        self.assertNotIn(value, seen, f'{self.GROUP_KEY} {value!r} is in '
                         f'{seen.get(value)} and {split}')
        seen[value] = split
