"""time_series: the builder harness over dummy_data/, and generated tiny
folders for windows, resampling, time columns, gaps, splits, labels, the
build report, resolve and the synthetic recordings.

Expected counts are worked out by hand from the lengths written here.
"""

from __future__ import annotations

import csv
import os
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
