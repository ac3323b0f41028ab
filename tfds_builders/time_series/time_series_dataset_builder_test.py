"""time_series: the builder harness over dummy_data/, and generated tiny
folders for windows, resampling, time columns, gaps, splits, labels, the
build report, resolve and the synthetic recordings.

Expected counts are worked out by hand from the lengths written here.
"""

from __future__ import annotations

import csv
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
from tfds_builders.time_series import clean_windows
from tfds_builders.time_series import read_recording
from tfds_builders.time_series import synthetic
from tfds_builders.time_series import to_rate

DUMMY_DATA = os.path.join(os.path.dirname(__file__), 'dummy_data')
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class TimeSeriesHarnessTest(testing_harness.BuilderHarness,
                            absltest.TestCase):

  BUILDER = Builder
  CONFIG = TimeSeriesConfig(name='tiny', path=DUMMY_DATA, sample_rate=10.0,
                            fps=10.0, channels=1, num_frames=16, hop=8,
                            test_fraction=0.0)
  # make_dummy_data.py, windows of 16 every 8 samples at 10 Hz:
  # a.npy 40 samples: starts 0, 8, 16, 24 -> 4 (train, fixed);
  # b.npy 50: 0..32 -> 5 (free -> train, test_fraction 0);
  # d.csv 36: 0, 8, 16 -> 3 (free -> train); corrupt.npy: unreadable;
  # sub/c.csv (test, fixed): 0.0 .. 4.0 s -> 41 samples -> 4 windows.
  SPLITS = {'train': 4 + 5 + 3, 'test': 4}
  GROUP_KEY = 'file'

  def test_dummy_report(self):
    meta = self.builder.info.metadata
    train, test = meta['build_report']['train'], meta['build_report']['test']
    self.assertEqual((train['files'], train['windows']), (3, 12))
    self.assertEqual(train['labelled_windows'], 4 + 5)  # d.csv unlabelled
    self.assertEqual(train['labels_without_file'], ['missing.npy'])
    self.assertEqual([x.split(':')[0] for x in train['unreadable_files']],
                     ['corrupt.npy'])
    self.assertIn('no NUMPY header', train['unreadable_files'][0])
    # Tails: b 50 - 48, d 36 - 32; c: 41 - 40. The NaN rows of c at 1.5
    # and 1.6 s: one gap of 0.2 s, filled, two samples.
    self.assertEqual(train['tail_frames_dropped'], 2 + 4)
    self.assertEqual((test['filled_gaps'], test['filled_samples'],
                      test['windows_rejected_gap']), (1, 2, 0))
    c = meta['files']['sub/c.csv']
    self.assertEqual(c['ignored_columns'], ['quality'])
    self.assertTrue(c['timed'])
    self.assertAlmostEqual(c['rate'], 10.0, places=3)

  def test_dummy_examples(self):
    by_file = {}
    for e in self.examples['train'] + self.examples['test']:
      by_file.setdefault(e['file'].decode(), []).append(e)
    c = sorted(by_file['sub/c.csv'], key=lambda e: e['window_index'])
    np.testing.assert_allclose([e['start_s'] for e in c],
                               [0.0, 0.8, 1.6, 2.4], atol=1e-6)
    self.assertTrue(all(e['labelled'] and e['target'] == np.float32(1.2)
                        for e in c))
    self.assertTrue(all(not e['labelled'] and np.isnan(e['target'])
                        for e in by_file['d.csv']))
    a = sorted(by_file['a.npy'], key=lambda e: e['window_index'])
    expected = np.sin(2 * np.pi * np.arange(8, 24) / 10.0)
    np.testing.assert_allclose(a[1]['series'][:, 0, 0, 0], expected,
                               atol=1e-6)
    self.assertEqual(a[1]['series'].shape, (16, 1, 1, 1))
    self.assertTrue(all(e['fps'] == 10.0 for e in a))


# ------------------------------------------------------------- tiny folders


def _csv(path, header, rows):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w', newline='') as f:
    w = csv.writer(f)
    if header:
      w.writerow(header)
    w.writerows(rows)


class ReadingTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # Not absl's create_tempdir: flags are unparsed when pytest runs this.
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    self.dir = tmp.name

  def path(self, name):
    return os.path.join(self.dir, name)

  def test_resampling_a_ramp_is_linear(self):
    # Sample k of a 20 Hz ramp is k; at 8 Hz output sample j (t = j / 8)
    # must be 20 t = 2.5 j, interpolated linearly between neighbours.
    np.save(self.path('ramp.npy'), np.stack(
        [np.arange(101.0), -np.arange(101.0)], 1))
    rec = read_recording(self.path('ramp.npy'), 20.0)
    s = to_rate(rec, 2, 8.0, 0.5)
    self.assertEqual(s.values.shape, (41, 2))  # 0 .. 5 s at 8 Hz
    np.testing.assert_allclose(s.values[:, 0], 2.5 * np.arange(41))
    np.testing.assert_allclose(s.values[:, 1], -2.5 * np.arange(41))
    self.assertEqual(s.values.dtype, np.float32)
    self.assertTrue(s.valid.all() and s.offset_s == 0.0)

  def test_irregular_time_column_is_honoured(self):
    rng = np.random.default_rng(0)
    t = 100.0 + np.arange(60) * 0.05 + rng.uniform(-0.015, 0.015, 60)
    _csv(self.path('irr.csv'), ['value', 'time'],
         [[f'{3 * (tk - 100) + 1:.6f}', f'{tk:.6f}'] for tk in t])
    rec = read_recording(self.path('irr.csv'), 0.0)  # no sample_rate needed
    self.assertTrue(rec.timed)
    self.assertAlmostEqual(rec.rate, 20.0, delta=0.5)  # 1 / median step
    s = to_rate(rec, 1, 10.0, 0.5)
    grid = t[0] + np.arange(len(s.values)) / 10.0
    # value = 3 (time - 100) + 1 is linear in time: exact on any grid.
    np.testing.assert_allclose(s.values[:, 0], 3 * (grid - 100) + 1,
                               atol=1e-4)
    self.assertAlmostEqual(s.offset_s, 0.0)

  def test_gaps_filled_or_rejected_and_counted(self):
    x = np.sin(np.arange(200) / 3.0)
    x[50:53] = np.nan  # 3 samples at 10 Hz: a 0.3 s gap <= 0.5: filled
    x[120:130] = np.nan  # 1.0 s: rejected
    x[:2] = np.nan  # trimmed
    np.save(self.path('gaps.npy'), x)
    s = to_rate(read_recording(self.path('gaps.npy'), 10.0), 1, 10.0, 0.5)
    self.assertEqual(len(s.values), 198)  # from sample 2 to 199
    self.assertAlmostEqual(s.offset_s, 0.2)
    self.assertEqual(s.counts, {'filled_gaps': 1, 'filled_samples': 3,
                                'rejected_gaps': 1, 'trimmed_samples': 2,
                                'windows_rejected_gap': 0})
    np.testing.assert_allclose(  # the filled samples lie on the chord
        s.values[48:51, 0], x[49] + (x[53] - x[49]) * np.arange(1, 4) / 4,
        atol=1e-6)
    self.assertEqual(np.flatnonzero(~s.valid).tolist(),
                     list(range(118, 128)))
    # Windows of 40 every 20 on 198 samples: starts 0, 20, ..., 140 (8);
    # those covering 118..127 (starts 80, 100, 120) are rejected.
    kept, rejected = clean_windows(s.valid, 40, 20)
    self.assertEqual([i for i, _ in kept], [0, 1, 2, 3, 7])
    self.assertEqual(rejected, 3)

  def test_missing_time_stamps_are_gaps(self):
    t = np.r_[np.arange(0, 2.0, 0.1), np.arange(2.4, 4.0, 0.1),
              np.arange(5.1, 6.0, 0.1)]  # 0.4 s and 1.1 s intervals
    _csv(self.path('drop.csv'), ['time', 'v'],
         [[f'{tk:.2f}', f'{tk:.3f}'] for tk in t])
    s = to_rate(read_recording(self.path('drop.csv'), 0.0), 1, 10.0, 0.5)
    # 1.9 -> 2.4: gap 0.4 s filled (2.0 .. 2.3: 4 samples); 3.9 -> 5.1:
    # 1.1 s, rejected (4.0 .. 5.0 invalid: 11 samples).
    self.assertEqual((s.counts['filled_gaps'], s.counts['filled_samples'],
                      s.counts['rejected_gaps']), (1, 4, 1))
    self.assertEqual(int((~s.valid).sum()), 11)
    np.testing.assert_allclose(s.values[:, 0], np.arange(len(s.values)) / 10,
                               atol=1e-5)  # v = t, bridged linearly

  def test_unusable_files_say_why(self):
    np.save(self.path('one.npy'), np.zeros(30))
    with self.assertRaisesRegex(Unusable, 'sample_rate') as e:
      read_recording(self.path('one.npy'), 0.0)
    self.assertEqual(e.exception.kind, 'unreadable')
    with self.assertRaisesRegex(Unusable, '1 channel') as e:
      to_rate(read_recording(self.path('one.npy'), 10.0), 3, 10.0, 0.5)
    self.assertEqual(e.exception.kind, 'too_few_channels')
    np.save(self.path('ct.npy'), np.zeros((3, 500)))
    with self.assertRaisesRegex(Unusable, r'x\.T'):
      read_recording(self.path('ct.npy'), 10.0)
    _csv(self.path('back.csv'), ['time', 'v'], [[0, 1], [0.2, 1], [0.1, 1]])
    with self.assertRaisesRegex(Unusable, 'does not increase'):
      read_recording(self.path('back.csv'), 0.0)
    _csv(self.path('text.csv'), ['name', 'note'], [['a', 'b']])
    with self.assertRaisesRegex(Unusable, 'no numeric column'):
      read_recording(self.path('text.csv'), 10.0)
    _csv(self.path('table.csv'), ['file', 'target'], [['x.npy', 1]])
    with self.assertRaisesRegex(Unusable, 'table'):
      read_recording(self.path('table.csv'), 10.0)
    _csv(self.path('head.csv'), ['a', 'b'], [])
    open(self.path('zero.npy'), 'wb').close()
    for name in ('head.csv', 'zero.npy'):
      with self.assertRaises(Unusable) as e:
        read_recording(self.path(name), 10.0)
      self.assertEqual(e.exception.kind, 'empty', name)
    # No header: every column is a channel; '' and 'nan' are missing.
    _csv(self.path('bare.csv'), None, [[1, 2], ['', 3], ['nan', 4]])
    rec = read_recording(self.path('bare.csv'), 5.0)
    self.assertEqual(rec.values.shape, (3, 2))
    self.assertEqual(int(np.isnan(rec.values).sum()), 2)


def _folder(root):
  """Five recordings at 10 Hz: windows of 20 every 10 samples.

  r0.npy 60 samples -> 5; r1.npy [45, 2] -> 3; sub/r2.csv (timed, 10 Hz)
  0.0 .. 4.9 s, 50 -> 4; r3.csv 100 samples with a 2 s NaN gap at 40..59
  -> starts 0..80 (9), those touching 40..59 (30, 40, 50) rejected: 6;
  short.npy 15 samples: too short. one.npy has 1 channel (with channels=2:
  too few). labels: r0, r1 and sub/r2 labelled, r3 not.
  """
  np.save(os.path.join(root, 'r0.npy'), np.sin(np.arange(60.0))[:, None]
          * [1, 2])
  np.save(os.path.join(root, 'r1.npy'), np.cos(np.arange(90.0)).reshape(
      45, 2))
  _csv(os.path.join(root, 'sub', 'r2.csv'), ['time', 'a', 'b'],
       [[k / 10, k, -k] for k in range(50)])
  r3 = np.sin(np.arange(100.0) / 2)
  _csv(os.path.join(root, 'r3.csv'), ['a', 'b'],
       [['' if 40 <= k < 60 else v, v] for k, v in enumerate(r3)])
  np.save(os.path.join(root, 'short.npy'), np.arange(30.0).reshape(15, 2))
  np.save(os.path.join(root, 'one.npy'), np.zeros(80))
  _csv(os.path.join(root, 'labels.csv'), ['file', 'target'],
       [['r0.npy', 1.5], ['r1.npy', 2.0], ['sub/r2.csv', 0.9],
        ['r3.csv', '']])


class FolderBuildTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.TemporaryDirectory()
    cls.root = os.path.join(cls._tmp.name, 'rec')
    os.makedirs(cls.root)
    _folder(cls.root)
    cls.cfg = ml_collections.ConfigDict(dict(
        path=cls.root, sample_rate=10.0, fps=0.0, channels=2, num_frames=20,
        hop=10, test_fraction=0.4, split_seed=0, max_gap_s=0.5,
        synthetic=False, data_dir=''))
    cls.builder = testing_harness.build(
        Builder, adapter.make_builder(cls.cfg, None).builder_config,
        os.path.join(cls._tmp.name, 'tfds'))
    cls.examples = {s: testing_harness.read_split(cls.builder, s)
                    for s in ('train', 'test')}

  @classmethod
  def tearDownClass(cls):
    cls._tmp.cleanup()
    super().tearDownClass()

  def test_windows_per_file_and_split_by_file(self):
    counts, split_of = {}, {}
    for split, examples in self.examples.items():
      for e in examples:
        f = e['file'].decode()
        counts[f] = counts.get(f, 0) + 1
        self.assertEqual(split_of.setdefault(f, split), split)
    self.assertEqual(counts, {'r0.npy': 5, 'r1.npy': 3, 'sub/r2.csv': 4,
                              'r3.csv': 6})
    # 6 files, test_fraction 0.4: round(2.4) = 2 files in test.
    self.assertLen(set(self.builder.info.metadata['files']), 6)
    tested = {f for f, i in self.builder.info.metadata['files'].items()
              if i['split'] == 'test'}
    self.assertLen(tested, 2)
    r3 = [e for s in self.examples.values() for e in s
          if e['file'] == b'r3.csv']
    self.assertEqual(sorted(e['window_index'] for e in r3),
                     [0, 1, 2, 6, 7, 8])
    self.assertEqual(sorted(float(e['start_s']) for e in r3),
                     [0.0, 1.0, 2.0, 6.0, 7.0, 8.0])

  def test_labels_and_report(self):
    for e in self.examples['train'] + self.examples['test']:
      labelled = e['file'] != b'r3.csv'
      self.assertEqual(bool(e['labelled']), labelled)
      self.assertEqual(np.isnan(e['target']), not labelled)
    report = self.builder.info.metadata['build_report']
    total = {k: sum(report[s][k] for s in report)
             for k in ('windows', 'labelled_windows', 'windows_rejected_gap',
                       'rejected_gaps', 'files')}
    self.assertEqual(total, {'windows': 18, 'labelled_windows': 12,
                             'windows_rejected_gap': 3, 'rejected_gaps': 1,
                             'files': 4})
    lists = {k: [x for s in report for x in report[s][k]]
             for k in ('too_short_files', 'too_few_channels_files')}
    self.assertEqual([x.split(':')[0] for x in lists['too_short_files']],
                     ['short.npy'])
    self.assertEqual([x.split(':')[0] for x in
                      lists['too_few_channels_files']], ['one.npy'])
    self.assertEqual(self.builder.info.metadata['folder']['fps'], 10.0)

  def test_resolve_picks_the_most_common_rate(self):
    root = os.path.join(self._tmp.name, 'rates')
    for k in range(2):  # two CSVs at 25 Hz
      _csv(os.path.join(root, f't{k}.csv'), ['time', 'v'],
           [[j / 25, j] for j in range(30)])
    for k in range(3):  # three arrays at sample_rate
      np.save(os.path.join(root, f'n{k}.npy'), np.zeros(30))
    cfg = ml_collections.ConfigDict(dict(path=root, fps=0.0,
                                         sample_rate=10.0, synthetic=False))
    self.assertEqual(adapter.resolve(cfg), {'fps': 10.0})
    cfg.sample_rate = 0.0  # the arrays are then unreadable
    self.assertEqual(adapter.resolve(cfg), {'fps': 25.0})
    cfg.fps = 12.0
    self.assertEqual(adapter.resolve(cfg), {})

  def test_missing_sample_rate_is_reported(self):
    # Two timed CSVs (one fixed to test), an array and a time-less CSV,
    # built without data.sample_rate: the last two are reported.
    root = os.path.join(self._tmp.name, 'no_rate')
    for name in ('a.csv', 'b.csv'):
      _csv(os.path.join(root, name), ['time', 'v'],
           [[k / 10, k] for k in range(30)])
    np.save(os.path.join(root, 'c.npy'), np.zeros(30))
    _csv(os.path.join(root, 'd.csv'), ['v'], [[k] for k in range(30)])
    _csv(os.path.join(root, 'labels.csv'), ['file', 'target', 'split'],
         [['b.csv', 1, 'test']])
    cfg = ml_collections.ConfigDict(dict(
        path=root, sample_rate=0.0, fps=0.0, channels=1, num_frames=20,
        hop=10, test_fraction=0.0))
    builder = testing_harness.build(
        Builder, adapter.make_builder(cfg, None).builder_config,
        os.path.join(self._tmp.name, 'tfds_sr'))
    self.assertEqual(builder.info.metadata['folder']['fps'], 10.0)
    unreadable = builder.info.metadata['build_report']['train'][
        'unreadable_files']
    self.assertEqual([x.split(':')[0] for x in unreadable],
                     ['c.npy', 'd.csv'])
    self.assertTrue(all('--config.data.sample_rate' in x
                        for x in unreadable))

  def test_errors_advise(self):
    cfg = self.cfg.copy_and_resolve_references()
    cfg.path = ''
    with self.assertRaisesRegex(common.DataError,
                                r'--config.data.path=DIR.*:synthetic'):
      adapter.make_builder(cfg, None)
    cfg.path, cfg.fps, cfg.test_fraction = self.root, 10.0, 0.0
    with self.assertRaisesRegex(common.DataError,
                                'test split would be empty.*test_fraction'):
      testing_harness.build(
          Builder, adapter.make_builder(cfg, None).builder_config,
          os.path.join(self._tmp.name, 'tfds_empty'))

  def test_config_name_and_read(self):
    name = adapter.make_builder(self.cfg, None).builder_config.name
    self.assertRegex(name, r'^f[0-9a-f]{10}_sr10_r10_c2_t20_h10_x0p4_seed0'
                           r'_g0p5$')
    clip = adapter.read(os.path.join(self.root, 'r0.npy'),
                        {**self.cfg, 'fps': 5.0})
    self.assertEqual(clip.shape, (30, 1, 1, 2))  # 60 at 10 Hz -> 5 Hz
    self.assertEqual(clip.dtype, np.float32)
    with self.assertRaisesRegex(common.DataError, 'short.npy: 2 channel'):
      adapter.read(os.path.join(self.root, 'short.npy'),
                   {**self.cfg, 'fps': 5.0, 'channels': 3})


# ------------------------------------------------------- malformed input


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


class SyntheticTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.TemporaryDirectory()
    cfg = ml_collections.ConfigDict(dict(
        path='', synthetic=True, data_dir=cls._tmp.name, fps=0.0,
        sample_rate=0.0))
    cls.resolved = adapter.resolve(cfg)
    cls.root = cls.resolved['path']
    cls.truth = synthetic.read_truth(cls.root)

  @classmethod
  def tearDownClass(cls):
    cls._tmp.cleanup()
    super().tearDownClass()

  def test_folder_layout(self):
    self.assertEqual(self.root, os.path.join(
        self._tmp.name, 'downloads', 'manual', 'time_series_synthetic'))
    self.assertEqual(self.resolved['fps'], 32.0)  # the most common rate
    self.assertEqual(self.resolved['sample_rate'], synthetic.SAMPLE_RATE)
    self.assertLen(self.truth, 48)
    with open(os.path.join(self.root, 'labels.csv')) as f:
      labels = list(csv.DictReader(f))
    self.assertLen([r for r in labels if not r['target']], 4)
    self.assertTrue(os.path.exists(os.path.join(self.root,
                                                synthetic.CORRUPT)))
    rates = {}
    for rel in self.truth:
      rec = read_recording(os.path.join(self.root, rel),
                           synthetic.SAMPLE_RATE)
      rates[round(rec.rate)] = rates.get(round(rec.rate), 0) + 1
      self.assertEqual(rec.values.shape[1], 3)
      finite = rec.values[np.isfinite(rec.values)]
      self.assertTrue(np.all((finite > synthetic.VALUE_RANGE[0]) &
                             (finite < synthetic.VALUE_RANGE[1])), rel)
      self.assertBetween(rec.times[-1], 19.0, 60.0)
    self.assertEqual(set(rates), {25, 32, 50, 64})
    self.assertEqual(max(rates, key=rates.get), 32)
    # Generated once: a second resolve keeps it.
    mtime = os.path.getmtime(os.path.join(self.root, 'truth.csv'))
    adapter.resolve(ml_collections.ConfigDict(dict(
        path=self.root, synthetic=True, fps=32.0, sample_rate=32.0)))
    self.assertEqual(mtime, os.path.getmtime(os.path.join(self.root,
                                                          'truth.csv')))

  def test_dominant_frequency_matches_the_label(self):
    for rel, freq in self.truth.items():
      rec = read_recording(os.path.join(self.root, rel),
                           synthetic.SAMPLE_RATE)
      s = to_rate(rec, 3, 32.0, 10.0)  # every gap bridged
      x = s.values.astype(np.float64)
      x = x - np.polyval(np.polyfit(np.arange(len(x)), x, 1),
                         np.arange(len(x))[:, None])  # drift
      power = np.abs(np.fft.rfft(x * np.hanning(len(x))[:, None],
                                 n=8 * len(x), axis=0)) ** 2
      f = np.fft.rfftfreq(8 * len(x), 1 / 32.0)
      band = (f > 0.6) & (f < 4.0)
      peak = f[band][np.argmax(power[band].sum(axis=1))]
      self.assertAlmostEqual(peak, freq, delta=0.03 * freq, msg=rel)


if __name__ == '__main__':
  absltest.main()
