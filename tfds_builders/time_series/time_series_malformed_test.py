"""Every malformed input of the time_series card, fed to the builder.

One test per row of the card's "Malformed input and what it gets" tables
(the well-formed reading and building: time_series_dataset_builder_test.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import ml_collections
import numpy as np
from absl.testing import absltest

from tfds_builders import common
from tfds_builders import testing_harness
from tfds_builders.time_series import Builder
from tfds_builders.time_series import TimeSeriesConfig
from tfds_builders.time_series import Unusable
from tfds_builders.time_series import adapter
from tfds_builders.time_series import read_recording
from tfds_builders.time_series import to_rate
from tfds_builders.time_series.time_series_dataset_builder_test import _csv  # pylint: disable=g-importing-member

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class MalformedFileTest(absltest.TestCase):
  """Each bad recording, read as a build reads it (the card's "Malformed
  input and what it gets"); the build lists an Unusable file under its
  ``kind``'s list (FolderBuildTest, MalformedFolderTest)."""

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    self.dir = tmp.name

  def _text(self, name, text):
    path = os.path.join(self.dir, name)
    with open(path, 'wb') as f:
      f.write(text if isinstance(text, bytes) else text.encode())
    return path

  def _refused(self, name, content, kind, pattern, rate=10.0):
    path = (self._text(name, content) if not isinstance(content, np.ndarray)
            else os.path.join(self.dir, name))
    if isinstance(content, np.ndarray):
      np.save(path, content, allow_pickle=True)
    with self.assertRaisesRegex(Unusable, pattern, msg=name) as e:
      read_recording(path, rate)
    self.assertEqual(e.exception.kind, kind, name)

  def test_bad_npy_files(self):
    np.save(os.path.join(self.dir, 'cut.npy'), np.arange(100.0))
    with open(os.path.join(self.dir, 'cut.npy'), 'rb') as f:
      data = f.read()
    self._refused('cut.npy', data[:-200], 'unreadable',
                  'not a readable .npy array .*could only read 75')
    self._refused('obj.npy', np.array([1, 'a'], dtype=object),
                  'unreadable', 'Object arrays cannot be loaded')
    self._refused('cplx.npy', np.ones(5, complex), 'unreadable',
                  r'not a numeric array \(complex128\)')
    self._refused('text.npy', np.array(['1', '2']), 'unreadable',
                  'not a numeric array')
    self._refused('cube.npy', np.zeros((4, 3, 2)), 'unreadable',
                  r'shape \(4, 3, 2\); expected \[T\] or \[T, C\]')
    self._refused('scalar.npy', np.array(3.0), 'unreadable', r'shape \(\)')
    self._refused('none.npy', np.zeros((0,)), 'empty', 'no samples')
    # inf is missing like NaN: the rows go, the gap is filled and counted.
    x = np.arange(40.0)
    x[10] = np.inf
    np.save(os.path.join(self.dir, 'inf.npy'), x)
    s = to_rate(read_recording(os.path.join(self.dir, 'inf.npy'), 10.0), 1,
                10.0, 0.5)
    self.assertEqual((s.counts['filled_gaps'], s.counts['filled_samples']),
                     (1, 1))
    self.assertAlmostEqual(float(s.values[10, 0]), 10.0, places=5)

  def test_bad_csv_files(self):
    self._refused('zero.csv', '', 'empty', 'the file has no rows')
    self._refused('bin.csv', b'\xc0\xff\x00\x91' * 50, 'unreadable',
                  'not a readable CSV text file')
    self._refused('latin.csv', 'temp\xe9rature\n1\n2\n'.encode('latin-1'),
                  'unreadable', "not a readable CSV text file .*'utf-8'")
    self._refused('err.csv', 'a,b\n1,2\nERR,3\n4,5\n', 'unreadable',
                  r"line 3, column 'a': 'ERR' is not a number; fix it, or "
                  'leave the cell empty')
    self._refused('long.csv', 'a,b\n1,2\n3,4,5\n', 'unreadable',
                  'line 3 has 3 fields, the first row 2')
    self._refused('semi.csv', 'time;v\n0;1\n0.1;2\n', 'unreadable',
                  r"no numeric column .*separated by ';': save it "
                  "comma-separated with '.' decimals")
    self._refused('comma.csv', 'time;v\n0;1,5\n0.1;2,5\n', 'unreadable',
                  "line 2 has 2 fields, the first row 1; it looks separated "
                  "by ';'")
    with self.assertRaisesRegex(Unusable, 'fewer than 2 rows') as e:
      to_rate(read_recording(self._text('one.csv', '1,2\n'), 10.0), 1,
              10.0, 0.5)  # one sample
    self.assertEqual(e.exception.kind, 'empty')
    # Missing values as pandas reads them; trailing empty fields; short
    # rows; an all-empty or text column is left out (listed per file).
    rec = read_recording(self._text('na.csv', (
        'a,b,empty,note\n1,2,,x\nNA,3,,\n#N/A,,,y\nnull,5,,\n6\n7,8,,\n')),
                         10.0)
    np.testing.assert_array_equal(np.isnan(rec.values[:, 0]),
                                  [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(rec.values[:, 1],
                                  [2, 3, np.nan, 5, np.nan, 8])
    self.assertEqual(rec.ignored, ('empty', 'note'))

  def test_bad_time_columns(self):
    self._refused('back.csv', 'time,v\n0,1\n0.2,2\n0.1,3\n', 'unreadable',
                  r'does not increase \(line 4: 0.1 s after 0.2 s on line '
                  r'3\); sort the rows by time', rate=0.0)
    self._refused('rep.csv', 'time,v\n0,1\n\n0.1,2\n0.1,3\n0.2,4\n',
                  'unreadable', r'time stamp 0.1 s repeats \(line 5: 0.1 s '
                  r'after 0.1 s on line 4\); remove the duplicate rows',
                  rate=0.0)
    self._refused('word.csv', 'time,v\nnoon,1\nlater,2\n', 'unreadable',
                  "'time' column is not numbers", rate=0.0)
    self._refused('cell.csv', 'time,v\n0,1\nabc,2\n', 'unreadable',
                  r"line 3, column 'time': 'abc' is not a number", rate=0.0)
    self._refused('blank.csv', 'time,v\n,1\n,2\n,3\n', 'empty',
                  '0 of its 3 rows have a time stamp', rate=0.0)
    self._refused('stamp.csv', 'timestamp,v\n1000,2\n1020,3\n', 'unreadable',
                  "'timestamp' column looks like time stamps: rename it time"
                  r' \(in seconds\) or time_ms')
    self._refused('t.csv', 't,v\n0,2\n0.1,3\n', 'unreadable',
                  "'t' column looks like time stamps")
    self._refused('two.csv', 'time,Time_s,v\n0,0,1\n0.1,0.1,2\n',
                  'unreadable', r"two time columns \('Time_s'")
    # time_ms is milliseconds; a time column in ms is read as seconds (the
    # rate shows it: metadata['files'][f]['rate']).
    ms = 'time_ms,v\n' + ''.join(f'{20 * k},{k % 3}\n' for k in range(9))
    self.assertAlmostEqual(read_recording(self._text('ms.csv', ms),
                                          0.0).rate, 50.0)
    self.assertAlmostEqual(read_recording(self._text(
        'wrong.csv', ms.replace('time_ms', 'time')), 0.0).rate, 0.05)
    # Rows without a time stamp are left out and counted.
    rec = read_recording(self._text('holes.csv',
                                    'time,v\n0,1\n,2\n0.2,3\nnan,4\n0.4,5\n'),
                         0.0)
    self.assertEqual((len(rec.times), rec.rows_without_time), (3, 2))
    # A date column of text is ignored, like any text column.
    rec = read_recording(self._text('date.csv',
                                    'date,v\n2024-01-01,2\n2024-01-02,3\n'),
                         10.0)
    self.assertEqual(rec.ignored, ('date',))


class MalformedFolderTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.TemporaryDirectory()
    root = cls.root = os.path.join(cls._tmp.name, 'rec')
    wave = np.sin(np.arange(40.0))
    for name in ('a/same.npy', 'b/same.npy', 'good.npy', '.hidden.npy',
                 '.ipynb_checkpoints/good-checkpoint.npy'):
      os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
      np.save(os.path.join(root, name), wave)
    np.save(os.path.join(root, 'flat.npy'), np.full(40, 3.0))
    holey = wave.copy()
    holey[10:30] = np.nan  # 2 s: every window of 16 touches it
    np.save(os.path.join(root, 'holey.npy'), holey)
    np.savez(os.path.join(root, 'rate.npz'), wave)  # another extension
    _csv(os.path.join(root, 'holes.csv'), ['time', 'v'],
         [['' if k in (5, 6) else k / 10, np.sin(k)] for k in range(40)])
    _csv(os.path.join(root, 'labels.csv'), ['file', 'target', 'split'],
         [['a/same.npy', 1, 'train'], ['b/same.npy', 2, 'test']])
    cls.builder = testing_harness.build(Builder, TimeSeriesConfig(
        name='malformed', path=root, sample_rate=10.0, fps=10.0,
        num_frames=16, hop=8, test_fraction=0.0),
                                        os.path.join(cls._tmp.name, 'tfds'))
    cls.report = cls.builder.info.metadata['build_report']
    cls.files = cls.builder.info.metadata['files']

  @classmethod
  def tearDownClass(cls):
    cls._tmp.cleanup()
    super().tearDownClass()

  def test_constant_file_is_listed_not_used(self):
    self.assertEqual(self.report['train']['constant_files'], [
        'flat.npy: every kept channel is constant ([3.0]): no signal'])
    self.assertEqual(self.files['flat.npy']['status'], 'constant')

  def test_file_without_a_gap_free_window_is_listed(self):
    self.assertEqual(self.report['train']['no_clean_window_files'],
                     ['holey.npy'])
    self.assertEqual((self.files['holey.npy']['status'],
                      self.files['holey.npy']['windows_rejected_gap']),
                     ('gaps', 4))

  def test_ignored_files_and_hidden_folders(self):
    self.assertEqual(self.report['train']['ignored_files'], [
        '.hidden.npy (hidden file)',
        '.ipynb_checkpoints/ (hidden folder, not searched)',
        'rate.npz (not .npy/.csv)'])
    self.assertEqual(sorted(self.files), ['a/same.npy', 'b/same.npy',
                                          'flat.npy', 'good.npy',
                                          'holes.csv', 'holey.npy'])

  def test_rows_without_time_are_counted_and_rates_shown(self):
    self.assertEqual(self.report['train']['rows_without_time'], 2)
    self.assertEqual(self.files['holes.csv']['rows_without_time'], 2)
    self.assertEqual(self.files['good.npy']['rate'], 10.0)  # sample_rate
    self.assertEqual((self.files['a/same.npy']['split'],
                      self.files['b/same.npy']['split']), ('train', 'test'))

  def test_options_out_of_range_are_refused(self):
    for key, value in (('sample_rate', -1.0), ('fps', float('nan')),
                       ('max_gap_s', -0.5), ('channels', 0),
                       ('num_frames', 1), ('test_fraction', 1.0)):
      with self.assertRaisesRegex(ValueError, f'time_series: data.{key} '
                                  'must be', msg=key):
        TimeSeriesConfig(name='x', **{key: value})

  def test_no_recordings_or_no_rate(self):
    cfg = ml_collections.ConfigDict(dict(
        path=os.path.join(self.root, 'a'), sample_rate=0.0, fps=0.0,
        synthetic=False))
    with self.assertRaisesRegex(common.DataError, r'data.fps is 0 and no '
                                'recording below .* has a known rate.*'
                                '--config.data.sample_rate=HZ'):
      adapter.resolve(cfg)
    empty = os.path.join(self._tmp.name, 'empty')
    os.makedirs(os.path.join(empty, '.git'))
    np.save(os.path.join(empty, '.git', 'x.npy'), np.zeros(3))
    cfg.path = empty
    with self.assertRaisesRegex(common.DataError, r'no recordings \(.npy, '
                                r'.csv\) in .* or its sub-folders'):
      adapter.resolve(cfg)
    cfg.fps = 10.0
    with self.assertRaisesRegex(common.DataError, 'no recordings'):
      testing_harness.build(Builder, adapter.make_builder(cfg, None)
                            .builder_config,
                            os.path.join(self._tmp.name, 'tfds_empty'))

  def test_prepare_cli_on_only_bad_files_exits_1_and_leaves_nothing(self):
    raw = os.path.join(self._tmp.name, 'bad')
    os.makedirs(raw)
    with open(os.path.join(raw, 'junk.npy'), 'wb') as f:
      f.write(b'junk')
    np.save(os.path.join(raw, 'flat.npy'), np.zeros(50))
    np.save(os.path.join(raw, 'test.npy'), np.sin(np.arange(50.0)))
    _csv(os.path.join(raw, 'labels.csv'), ['file', 'target', 'split'],
         [['test.npy', 1, 'test']])
    data_dir = os.path.join(self._tmp.name, 'tfds_cli')
    r = subprocess.run(
        [sys.executable, '-m', 'simper_jax.prepare', 'time_series',
         f'--data_dir={data_dir}',
         f'--builder_config=path={raw},sample_rate=10,num_frames=16,'
         'test_fraction=0.0'], capture_output=True, text=True, cwd=_ROOT,
        timeout=300, env={**os.environ, 'JAX_PLATFORMS': 'cpu'})
    self.assertEqual(r.returncode, 1, r.stderr[-2000:])
    errors = [x for x in r.stderr.splitlines() if x.startswith('error:')]
    self.assertLen(errors, 1)
    self.assertRegex(errors[0], r'time_series: no train window: none of '
                     r'its 2 files gave one \(1 unreadable, 0 empty, 1 '
                     r'constant, .*; e\.g\. junk\.npy: not a \.npy file .*; '
                     r'flat\.npy: every kept channel is constant.*\)\. Fix '
                     'or add files')
    self.assertFalse(os.path.exists(data_dir))


if __name__ == '__main__':
  absltest.main()
