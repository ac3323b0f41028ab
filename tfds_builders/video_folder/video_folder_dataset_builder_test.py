"""video_folder: the builder harness over dummy_data/, and a generated tiny
folder for windows, resampling, splits, the build report, labels, the
synthetic videos, resolve and make_builder's errors.

Expected counts are worked out by hand from the lengths written here.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from unittest import mock

import cv2
import ml_collections
import numpy as np
from absl.testing import absltest

from tfds_builders import common
from tfds_builders import testing_harness
from tfds_builders.video_folder import Builder
from tfds_builders.video_folder import Unusable
from tfds_builders.video_folder import VideoFolderConfig
from tfds_builders.video_folder import adapter
from tfds_builders.video_folder import read_video
from tfds_builders.video_folder import resample_frames
from tfds_builders.video_folder import synthetic

DUMMY_DATA = os.path.join(os.path.dirname(__file__), 'dummy_data')
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class VideoFolderHarnessTest(testing_harness.BuilderHarness,
                             absltest.TestCase):

  BUILDER = Builder
  CONFIG = VideoFolderConfig(name='tiny', path=DUMMY_DATA, fps=10.0, size=8,
                             num_frames=8, hop=4)
  # make_dummy_data.py: a.mp4 (train) and sub/b.mkv (train) have 30 frames
  # at 10 fps, c.webm (test) 60 at 20 fps = 30 at 10 fps; windows of 8
  # every 4 frames start at 0, 4, ..., 20: 6 per file. broken.mp4 has no
  # split in labels.csv; the only free file, it goes to train (and is
  # reported there as unreadable).
  SPLITS = {'train': 12, 'test': 6}
  GROUP_KEY = 'file'

  def test_dummy_report(self):
    report = self.builder.info.metadata['build_report']
    self.assertEqual(report['train']['files'], 2)
    self.assertEqual(report['train']['labelled_windows'], 6)
    self.assertEqual(report['train']['labels_without_file'], ['missing.mp4'])
    self.assertEqual([x.split(':')[0] for x in
                      report['train']['unreadable_files']], ['broken.mp4'])


def _write(path, values, fps, size=(16, 12), fourcc='MJPG'):
  """A video whose frame ``k`` is uniform gray ``values[k]``."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, size)
  for v in values:
    writer.write(np.full((size[1], size[0], 3), int(v), np.uint8))
  writer.release()


def _gray(n):
  return [40 + (150 * k) // max(n - 1, 1) for k in range(n)]


# The tiny folder (fps 10, windows of 8 every 4 frames):
#   long.avi     40 frames at 10 fps -> starts 0, 4, ..., 32: 9 windows
#   sub/slow.avi 15 frames at 5 fps (2.8 s) -> 29 frames at 10 fps:
#                starts 0, 4, ..., 20: 6 windows
#   free1.avi, free2.avi, free3.avi  12 frames at 10 fps -> starts 0, 4:
#                2 windows each; no labels row
#   short.avi    6 frames at 10 fps: shorter than one window
#   empty.mp4    0 bytes;  corrupt.mkv: random bytes
#   labels.csv   long.avi 1.5 (split test), sub/slow.avi 0.75 (split
#                train), ghost.mp4 2.0 (no such file), free1.avi "abc"
_LABELS = ('file,target,split\nlong.avi,1.5,test\nsub/slow.avi,0.75,train\n'
           'ghost.mp4,2.0,\nfree1.avi,abc,\n')


def _make_tiny(root):
  _write(os.path.join(root, 'long.avi'), _gray(40), 10.0)
  _write(os.path.join(root, 'sub', 'slow.avi'), _gray(15), 5.0)
  for i in (1, 2, 3):
    _write(os.path.join(root, f'free{i}.avi'), _gray(12), 10.0)
  _write(os.path.join(root, 'short.avi'), _gray(6), 10.0)
  open(os.path.join(root, 'empty.mp4'), 'wb').close()
  with open(os.path.join(root, 'corrupt.mkv'), 'wb') as f:
    f.write(np.random.default_rng(1).integers(0, 256, 300, np.uint8)
            .tobytes())
  with open(os.path.join(root, 'labels.csv'), 'w') as f:
    f.write(_LABELS)


class TinyFolderTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.TemporaryDirectory()
    cls.root = os.path.join(cls._tmp.name, 'videos')
    _make_tiny(cls.root)
    config = VideoFolderConfig(name='tinyfolder', path=cls.root, fps=10.0,
                               size=8, num_frames=8, hop=4,
                               test_fraction=0.5, split_seed=0)
    cls.builder = testing_harness.build(Builder, config,
                                        os.path.join(cls._tmp.name, 'tfds'))
    cls.examples = {s: testing_harness.read_split(cls.builder, s)
                    for s in cls.builder.info.splits}
    cls.report = cls.builder.info.metadata['build_report']

  @classmethod
  def tearDownClass(cls):
    cls._tmp.cleanup()
    super().tearDownClass()

  def _by_file(self):
    out = {}
    for split, examples in self.examples.items():
      for e in examples:
        out.setdefault(e['file'].decode(), []).append((split, e))
    return out

  def test_windows_per_file(self):
    counts = {f: len(v) for f, v in self._by_file().items()}
    self.assertEqual(counts, {'long.avi': 9, 'sub/slow.avi': 6,
                              'free1.avi': 2, 'free2.avi': 2,
                              'free3.avi': 2})
    for f, items in self._by_file().items():
      idx = sorted(e['window_index'] for _, e in items)
      self.assertEqual(idx, list(range(len(items))), f)
      for _, e in items:
        self.assertAlmostEqual(e['start_s'], 0.4 * e['window_index'],
                               places=5)
        self.assertEqual(e['fps'], 10.0)

  def test_split_by_file_and_split_column(self):
    by_file = self._by_file()
    for f, items in by_file.items():
      self.assertLen({s for s, _ in items}, 1, f)
    self.assertEqual(by_file['long.avi'][0][0], 'test')
    self.assertEqual(by_file['sub/slow.avi'][0][0], 'train')
    # 6 free files (free1-3, short, empty, corrupt), half to test.
    splits = {f: i['split'] for f, i in
              self.builder.info.metadata['files'].items()}
    free = [f for f in splits if f not in ('long.avi', 'sub/slow.avi')]
    self.assertLen(free, 6)
    self.assertEqual(sum(splits[f] == 'test' for f in free), 3)

  def test_report_lists_every_problem(self):
    def listed(key):
      return sorted(x.split(':')[0] for s in self.report.values()
                    for x in s[key])
    self.assertEqual(listed('unreadable_files'), ['corrupt.mkv'])
    self.assertEqual(listed('empty_files'), ['empty.mp4'])
    self.assertEqual(listed('too_short_files'), ['short.avi'])
    self.assertEqual(self.report['train']['labels_without_file'],
                     ['ghost.mp4'])
    self.assertLen(self.report['train']['label_problems'], 1)
    self.assertIn('free1.avi', self.report['train']['label_problems'][0])
    self.assertEqual(sum(s['files'] for s in self.report.values()), 5)
    self.assertEqual(sum(s['windows'] for s in self.report.values()), 21)
    self.assertEqual(sum(s['labelled_files'] for s in self.report.values()),
                     2)

  def test_labels_and_unlabelled(self):
    for f, items in self._by_file().items():
      for _, e in items:
        if f == 'long.avi':
          self.assertTrue(e['labelled'])
          self.assertEqual(e['target'], 1.5)
        elif f == 'sub/slow.avi':
          self.assertEqual(e['target'], 0.75)
        else:  # free1's unparseable target leaves it unlabelled
          self.assertFalse(e['labelled'])
          self.assertTrue(math.isnan(e['target']))

  def test_resampled_ramp(self):
    # slow.avi: 15 frames at 5 fps, gray 40 + 150 k / 14; at 10 fps frame
    # j is at k = j / 2: 29 frames, gray 40 + 75 j / 14 (+- codec error).
    times, frames, rate = read_video(
        os.path.join(self.root, 'sub', 'slow.avi'), 8)
    self.assertEqual((rate, len(times), frames.shape), (5.0, 15,
                                                        (15, 8, 8, 3)))
    video = resample_frames(times, frames, 10.0)
    self.assertLen(video, 29)
    want = 40 + 75 * np.arange(29) / 14
    np.testing.assert_allclose(video.mean(axis=(1, 2, 3)), want, atol=3)

  def test_file_facts_show_each_header_rate(self):
    # A header rate other than data.fps is resampled, and shown per file.
    slow = self.builder.info.metadata['files']['sub/slow.avi']
    self.assertEqual((slow['header_fps'], slow['frames'],
                      slow['declared_frames'], slow['duration_s']),
                     (5.0, 15, 15, 3.0))
    self.assertEqual(slow['resampled_frames'], 29)

  def test_time_stamps_without_a_header_rate(self):
    path = os.path.join(self.root, 'sub', 'slow.avi')
    with mock.patch.object(cv2, 'VideoCapture', _no_rate(lambda t: t)):
      times, _, rate = read_video(path, 8)
    self.assertEqual(rate, 0.0)
    np.testing.assert_allclose(times, np.arange(15) * 0.2, atol=1e-6)
    with mock.patch.object(cv2, 'VideoCapture', _no_rate(lambda t: 0.0)):
      with self.assertRaisesRegex(Unusable, 'time stamps do not increase'):
        read_video(path, 8)


def _no_rate(msec):
  """A ``cv2.VideoCapture`` whose header has no rate; ``msec(real)`` is
  what it reports as each frame's time stamp."""
  real = cv2.VideoCapture

  class Capture:

    def __init__(self, path):
      self._cap = real(path)

    def __getattr__(self, name):
      return getattr(self._cap, name)

    def get(self, prop):
      value = self._cap.get(prop)
      if prop == cv2.CAP_PROP_FPS:
        return 0.0
      return msec(value) if prop == cv2.CAP_PROP_POS_MSEC else value

  return Capture


class ResampleTest(absltest.TestCase):

  def test_15_to_30_fps_interpolates_a_ramp(self):
    frames = (np.arange(20, dtype=np.uint8) * 10)[:, None, None, None]
    frames = np.broadcast_to(frames, (20, 2, 2, 3)).copy()
    out = resample_frames(np.arange(20) / 15.0, frames, 30.0)
    self.assertLen(out, 39)  # (20 - 1) / 15 s at 30 fps, both ends in
    np.testing.assert_array_equal(out[:, 0, 0, 0], np.rint(np.arange(39) * 5))

  def test_same_rate_is_exact(self):
    frames = np.random.default_rng(0).integers(0, 256, (7, 3, 3, 3),
                                               np.uint8)
    np.testing.assert_array_equal(
        resample_frames(np.arange(7) / 25.0, frames, 25.0), frames)


def _principal_frequency(video, fps):
  """The spectral peak of a video's first principal component (Hz)."""
  x = video.reshape(len(video), -1).astype(np.float64)
  u = np.linalg.svd(x - x.mean(0), full_matrices=False)[0][:, 0]
  freqs = np.fft.rfftfreq(len(u), 1 / fps)
  power = np.abs(np.fft.rfft(u)) ** 2
  band = (freqs >= 0.5) & (freqs <= 4.0)
  return freqs[band][np.argmax(power[band])], fps / len(u)


class SyntheticTest(absltest.TestCase):

  def test_folder_and_frequencies(self):
    with tempfile.TemporaryDirectory() as tmp:
      truth = synthetic.make_folder(tmp, seed=3, num_files=5,
                                    num_unlabelled=1, duration=(6.0, 7.0))
      self.assertLen(truth, 5)
      self.assertEqual(synthetic.read_truth(tmp), truth)
      self.assertTrue(os.path.exists(os.path.join(tmp, synthetic.CORRUPT)))
      with open(os.path.join(tmp, 'labels.csv')) as f:
        rows = list(csv.DictReader(f))
      self.assertEqual(sorted(r['file'] for r in rows), sorted(truth))
      self.assertEqual(sum(not r['target'] for r in rows), 1)
      # All four motions and five containers.
      self.assertEqual({f.split('/')[0] for f in truth},
                       set(synthetic.KINDS))
      self.assertLen({f.rsplit('.', 1)[1] for f in truth}, 5)
      for f, hz in truth.items():
        times, frames, _ = read_video(os.path.join(tmp, f), 32)
        video = resample_frames(times, frames, 15.0)
        peak, bin_hz = _principal_frequency(video, 15.0)
        self.assertLessEqual(abs(peak - hz), bin_hz, f)

  def test_ensure_folder_keeps_or_refuses(self):
    with tempfile.TemporaryDirectory() as tmp:
      with open(os.path.join(tmp, synthetic.TRUTH_FILE), 'w') as f:
        f.write('file,target\n')
      self.assertEqual(synthetic.ensure_folder(tmp), tmp)  # kept as it is
      self.assertEqual(os.listdir(tmp), [synthetic.TRUTH_FILE])
    with tempfile.TemporaryDirectory() as tmp:
      open(os.path.join(tmp, 'mine.mp4'), 'wb').close()
      with self.assertRaisesRegex(common.DataError, 'holds other files'):
        synthetic.ensure_folder(tmp)


class AdapterTest(absltest.TestCase):

  def test_resolve_picks_the_most_common_rate(self):
    with tempfile.TemporaryDirectory() as tmp:
      for name, fps in (('a.avi', 12.0), ('b.avi', 12.0), ('c.avi', 25.0),
                        ('d/e.avi', 25.0), ('f.avi', 12.0)):
        _write(os.path.join(tmp, name), _gray(3), fps)
      open(os.path.join(tmp, 'x.mp4'), 'wb').close()  # no header: skipped
      cfg = ml_collections.ConfigDict({'path': tmp, 'fps': 0.0,
                                       'synthetic': False})
      self.assertEqual(adapter.resolve(cfg), {'fps': 12.0})
      cfg.fps = 30.0
      self.assertEqual(adapter.resolve(cfg), {})

  def test_make_builder_names_and_errors(self):
    for path in ('', '/nonexistent/videos'):
      cfg = ml_collections.ConfigDict({'path': path, 'fps': 10.0})
      with self.assertRaisesRegex(common.DataError,
                                  r'--config.data.path=DIR.*:synthetic'):
        adapter.make_builder(cfg, None)
    with tempfile.TemporaryDirectory() as tmp:
      cfg = ml_collections.ConfigDict({
          'path': DUMMY_DATA, 'fps': 0.0, 'size': 8, 'num_frames': 8,
          'hop': 0, 'test_fraction': 0.2, 'split_seed': 0})
      builder = adapter.make_builder(cfg, tmp)
      c = builder.builder_config
      # a.mp4 and sub/b.mkv at 10 fps, c.webm at 20: 10 is most common.
      self.assertEqual((c.fps, c.hop, c.path), (10.0, 4, os.path.abspath(DUMMY_DATA)))
      self.assertRegex(c.name, r'^f[0-9a-f]{10}_r10_s8_t8_h4_x0p2_seed0$')
      cfg.size = 16
      self.assertNotEqual(adapter.make_builder(cfg, tmp).builder_config.name,
                          c.name)

  def test_read_for_predict(self):
    cfg = ml_collections.ConfigDict({'fps': 10.0, 'size': 8})
    clip = adapter.read(os.path.join(DUMMY_DATA, 'c.webm'), cfg)
    self.assertEqual((clip.shape, clip.dtype), ((30, 8, 8, 3), np.uint8))
    with self.assertRaisesRegex(common.DataError, 'broken.mp4: OpenCV'):
      adapter.read(os.path.join(DUMMY_DATA, 'broken.mp4'), cfg)
    self.assertIn('.webm', adapter.DATASET.extensions)

  def test_empty_test_split_is_an_error(self):
    with tempfile.TemporaryDirectory() as tmp:
      root = os.path.join(tmp, 'v')
      _write(os.path.join(root, 'a.avi'), _gray(12), 10.0)
      _write(os.path.join(root, 'b.avi'), _gray(12), 10.0)
      config = VideoFolderConfig(name='notest', path=root, fps=10.0, size=8,
                                 num_frames=8, test_fraction=0.0)
      with self.assertRaisesRegex(common.DataError, 'test split would be '
                                  'empty.*test_fraction'):
        testing_harness.build(Builder, config, os.path.join(tmp, 'tfds'))


# ------------------------------------------------------- malformed input


if __name__ == '__main__':
  absltest.main()
