"""Every malformed input of the video_folder card, fed to the builder.

One test per row of the card's "Malformed input and what it gets" tables,
labels.csv included (the well-formed reading and building:
video_folder_dataset_builder_test.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import cv2
import ml_collections
import numpy as np
from absl.testing import absltest

from tfds_builders import common
from tfds_builders import folders
from tfds_builders import testing_harness
from tfds_builders.video_folder import Builder
from tfds_builders.video_folder import VideoFolderConfig
from tfds_builders.video_folder import adapter
from tfds_builders.video_folder.video_folder_dataset_builder_test import _gray, _write  # pylint: disable=g-importing-member

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _listed(report, key):
  return sorted(x.split(':')[0] for s in report.values() for x in s[key])


class MalformedVideoTest(absltest.TestCase):
  """One build over a folder of every kind of bad video file (the card's
  "Malformed input and what it gets")."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.TemporaryDirectory()
    root = cls.root = os.path.join(cls._tmp.name, 'videos')
    for name in ('good1.avi', 'good2.avi', 'a/same.avi', 'b/same.avi',
                 '.hidden.avi', '.cache/x.avi'):
      _write(os.path.join(root, name), _gray(12), 10.0)
    _write(os.path.join(root, 'still.avi'), [90] * 12, 10.0)
    _write(os.path.join(root, 'noframes.avi'), [], 10.0)  # header only
    # Truncated: an AVI decodes its first frames (22 of 40), an MP4 cut
    # before its index does not open.
    _write(os.path.join(root, 'cut.avi'), _gray(40), 10.0)
    _write(os.path.join(root, 'cut.mp4'), _gray(40), 10.0, fourcc='mp4v')
    for name in ('cut.avi', 'cut.mp4'):
      with open(os.path.join(root, name), 'rb') as f:
        data = f.read()
      with open(os.path.join(root, name), 'wb') as f:
        f.write(data[:int(len(data) * 0.7)])
    with open(os.path.join(root, 'text.mp4'), 'w') as f:
      f.write('not a video\n' * 20)
    with open(os.path.join(root, 'image.mp4'), 'wb') as f:
      f.write(cv2.imencode('.jpg', np.zeros((12, 16, 3), np.uint8))[1]
              .tobytes())
    os.symlink(os.path.join(root, 'gone.avi'), os.path.join(root, 'link.mp4'))
    for name in ('notes.txt', 'clip.m4v'):
      with open(os.path.join(root, name), 'w') as f:
        f.write('my notes')
    with open(os.path.join(root, 'labels.csv'), 'w') as f:
      f.write('file,target,split\ngood1.avi,1.0,train\ngood2.avi,1.0,test\n'
              'a/same.avi,2.0,train\nb\\same.avi,3.0,test\nsame.avi,1.0,\n'
              'GOOD1.AVI,1.0,\n')
    config = VideoFolderConfig(name='malformed', path=root, fps=10.0, size=8,
                               num_frames=8, hop=4, test_fraction=0.0)
    cls.builder = testing_harness.build(Builder, config,
                                        os.path.join(cls._tmp.name, 'tfds'))
    cls.report = cls.builder.info.metadata['build_report']
    cls.files = cls.builder.info.metadata['files']

  @classmethod
  def tearDownClass(cls):
    cls._tmp.cleanup()
    super().tearDownClass()

  def test_each_bad_file_is_listed_with_its_reason(self):
    self.assertEqual(_listed(self.report, 'unreadable_files'),
                     ['cut.mp4', 'link.mp4', 'text.mp4'])
    why = {x.split(':')[0]: x for s in self.report.values()
           for x in s['unreadable_files']}
    self.assertIn('cannot be read (No such file or directory)',
                  why['link.mp4'])
    self.assertIn('OpenCV (FFmpeg) cannot open it', why['text.mp4'])
    self.assertIn('OpenCV (FFmpeg) cannot open it', why['cut.mp4'])
    self.assertEqual(self.report['train']['empty_files'], [
        'noframes.avi: it opens but no frame could be decoded'])
    self.assertEqual(_listed(self.report, 'constant_files'), ['still.avi'])
    self.assertIn('all 12 frames are the same picture',
                  self.files['still.avi']['reason'])
    # A picture named .mp4 decodes as one frame: shorter than a window.
    self.assertEqual(_listed(self.report, 'too_short_files'), ['image.mp4'])

  def test_truncated_video_is_listed_and_its_frames_used(self):
    self.assertEqual(_listed(self.report, 'truncated_files'), ['cut.avi'])
    cut = self.files['cut.avi']
    self.assertEqual((cut['status'], cut['declared_frames']), ('used', 40))
    self.assertBetween(cut['frames'], 8, 39)
    self.assertIn(f'{cut["frames"]} of the 40 frames its header declares',
                  self.report[cut['split']]['truncated_files'][0])

  def test_ignored_files_are_listed_and_hidden_folders_not_searched(self):
    self.assertEqual(self.report['train']['ignored_files'], [
        '.cache/ (hidden folder, not searched)', '.hidden.avi (hidden file)',
        'clip.m4v (not .mp4/.avi/.mov/.mkv/.webm)',
        'notes.txt (not .mp4/.avi/.mov/.mkv/.webm)'])
    self.assertNotIn('.cache/x.avi', self.files)
    self.assertNotIn('labels.csv', str(self.report['train']['ignored_files']))

  def test_same_name_in_two_folders_and_label_paths(self):
    self.assertEqual(self.files['a/same.avi']['target'], 2.0)
    self.assertEqual(self.files['b/same.avi']['target'], 3.0)  # b\\same.avi
    self.assertEqual((self.files['a/same.avi']['split'],
                      self.files['b/same.avi']['split']), ('train', 'test'))
    # A bare name or another case names no file.
    self.assertEqual(self.report['train']['labels_without_file'],
                     ['GOOD1.AVI', 'same.avi'])


class FolderErrorTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    self.dir = tmp.name

  def _cfg(self, **kw):
    return ml_collections.ConfigDict({
        'path': self.dir, 'fps': 10.0, 'size': 8, 'num_frames': 8, 'hop': 0,
        'test_fraction': 0.2, 'split_seed': 0, 'synthetic': False, **kw})

  def test_empty_folder_or_no_video_names_the_extensions(self):
    os.makedirs(os.path.join(self.dir, '.git'))
    _write(os.path.join(self.dir, '.git', 'a.avi'), _gray(3), 10.0)
    with open(os.path.join(self.dir, 'a.m4v'), 'w') as f:
      f.write('x')
    for fps in (10.0, 0.0):
      with self.assertRaisesRegex(common.DataError, r'no videos \(\.mp4, '
                                  r'.*\.webm\) in .* or its sub-folders'):
        adapter.make_builder(self._cfg(fps=fps), None)
    config = VideoFolderConfig(name='none', path=self.dir, fps=10.0)
    with self.assertRaisesRegex(common.DataError, 'no videos'):
      testing_harness.build(Builder, config, os.path.join(self.dir, 'tfds'))

  def test_no_rate_anywhere_or_a_bad_fps(self):
    open(os.path.join(self.dir, 'a.mp4'), 'wb').close()  # no header
    with self.assertRaisesRegex(common.DataError, r'data.fps is 0: none of '
                                r'the 1 videos .* has a frame rate in its '
                                r'header\. Set --config.data.fps=RATE'):
      adapter.make_builder(self._cfg(fps=0.0), None)
    for fps in (-5.0, float('nan')):
      with self.assertRaisesRegex(common.DataError,
                                  r'data.fps is .*: it must be > 0'):
        adapter.make_builder(self._cfg(fps=fps), None)

  def test_options_out_of_range_are_refused(self):
    for key, value in (('size', 2), ('num_frames', 1), ('hop', -1),
                       ('test_fraction', 1.0), ('test_fraction', -0.1)):
      with self.assertRaisesRegex(ValueError, f'video_folder: data.{key} '
                                  'must be', msg=key):
        VideoFolderConfig(name='x', **{key: value})

  def test_prepare_cli_on_only_bad_videos_exits_1_and_leaves_nothing(self):
    raw = os.path.join(self.dir, 'raw')
    os.makedirs(raw)
    with open(os.path.join(raw, 'bad.mp4'), 'w') as f:
      f.write('not a video')
    open(os.path.join(raw, 'empty.avi'), 'wb').close()
    _write(os.path.join(raw, 'still.avi'), [7] * 12, 10.0)
    _write(os.path.join(raw, 'test.avi'), _gray(12), 10.0)
    with open(os.path.join(raw, 'labels.csv'), 'w') as f:
      f.write('file,target,split\ntest.avi,1,test\n')
    data_dir = os.path.join(self.dir, 'tfds')
    r = subprocess.run(
        [sys.executable, '-m', 'simper_jax.prepare', 'video_folder',
         f'--data_dir={data_dir}',
         f'--builder_config=path={raw},fps=10,size=8,num_frames=8,'
         'test_fraction=0.0'], capture_output=True, text=True, cwd=_ROOT,
        timeout=300, env={**os.environ, 'JAX_PLATFORMS': 'cpu'})
    self.assertEqual(r.returncode, 1, r.stderr[-2000:])
    errors = [x for x in r.stderr.splitlines() if x.startswith('error:')]
    self.assertLen(errors, 1)
    self.assertRegex(errors[0], r'video_folder: no train window: none of '
                     r'its 3 files gave one \(1 unreadable, 1 empty, 1 '
                     r'constant, .*; e\.g\. bad\.mp4: OpenCV .*\)\. Fix or '
                     r'add videos')
    self.assertFalse(os.path.exists(data_dir))


def _labels(root, text, encoding='utf-8'):
  with open(os.path.join(root, folders.LABELS_FILE), 'wb') as f:
    f.write(text.encode(encoding) if isinstance(text, str) else text)
  return folders.read_labels(root)


class LabelsCsvTest(absltest.TestCase):
  """labels.csv, shared by video_folder and time_series
  (folders.read_labels); the builds list ``problems`` under train."""

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    self.dir = tmp.name

  def test_bad_cells_and_rows_are_listed_by_line(self):
    targets, splits, problems = _labels(self.dir, (
        'file,target,split,notes\n'
        'a.mp4,abc,test,\n'      # 2: not a number, split kept
        'b.mp4,nan,,\n'          # 3
        '\n'                     # 4: blank, skipped
        'c.mp4,-1.5,,\n'         # 5: negative
        'd.mp4,0,,\n'            # 6: zero
        'e.mp4,inf,val,\n'       # 7: inf and an unknown split
        'f.mp4,1.2,TEST,x\n'     # 8: fine (split case ignored)
        'f.mp4,1.3,,\n'          # 9: repeated: not used
        ',1.0,,\n'               # 10: no file name
        'g.mp4,1.0,train,x,y,z\n'  # 11: too many fields
        'h.mp4,2.0,\n'           # 12: a missing trailing cell is empty
        'i.mp4\n'))              # 13: no target cell: unlabelled
    self.assertEqual(targets, {'f.mp4': 1.2, 'h.mp4': 2.0})
    self.assertEqual(splits, {'a.mp4': 'test', 'f.mp4': 'test'})
    self.assertEqual(problems, [
        "labels.csv: columns ['notes'] are not file, target or split; "
        'ignored',
        "labels.csv line 2: target 'abc' of a.mp4 is not a positive number"
        ' (a rate in data.target_unit); the file is left unlabelled',
        "labels.csv line 3: target 'nan' of b.mp4 is not a positive number"
        ' (a rate in data.target_unit); the file is left unlabelled',
        "labels.csv line 5: target '-1.5' of c.mp4 is not a positive "
        'number (a rate in data.target_unit); the file is left unlabelled',
        "labels.csv line 6: target '0' of d.mp4 is not a positive number "
        '(a rate in data.target_unit); the file is left unlabelled',
        "labels.csv line 7: target 'inf' of e.mp4 is not a positive number"
        ' (a rate in data.target_unit); the file is left unlabelled',
        "labels.csv line 7: split 'val' of e.mp4 is not one of ('train', "
        "'test'); its split is drawn",
        'labels.csv line 9: f.mp4 is already on line 8; this row is not '
        'used',
        'labels.csv line 10: no file name; row not used',
        'labels.csv line 11: 6 fields, the header has 4 (quote a name with '
        'a comma); row not used'])

  def test_bom_crlf_spaces_case_and_paths_are_read(self):
    top = os.path.abspath(self.dir)
    targets, splits, problems = _labels(self.dir, (
        '\ufeff File , Target ,Split\r\n'
        ' a.mp4 , 1.5 , Train \r\n'
        f'"{top}/sub/b.mp4",2.0,\r\n'     # absolute, inside the folder
        './c.mp4,3,\r\n'
        'sub\\d.mp4,4,\r\n'))             # Windows separator
    self.assertEqual(targets, {'a.mp4': 1.5, 'sub/b.mp4': 2.0, 'c.mp4': 3.0,
                               'sub/d.mp4': 4.0})
    self.assertEqual((splits, problems), ({'a.mp4': 'train'}, []))

  def test_header_only_labels_nothing(self):
    self.assertEqual(_labels(self.dir, 'file,target\n'), ({}, {}, []))

  def test_unusable_tables_stop_the_build_with_the_fix(self):
    cases = [
        ('', r"needs a header row with the columns file and target .*found "
             r"\[\]"),
        ('file,rate\na.mp4,1\n', r"found \['file', 'rate'\]\. Leave a "
                                 'target empty'),
        ('name,target\na.mp4,1\n', r"found \['name', 'target'\]"),
        ('file;target\na.mp4;1\n', "separated by ';': save it "
                                   'comma-separated'),
        ('file,target,target\na.mp4,1,2\n', r"\['target'\] appear twice"),
        ('file,target\n\xe9t\xe9.mp4,1\n'.encode('latin-1'),
         r'not UTF-8 text .*Save it as UTF-8'),
    ]
    for text, pattern in cases:
      with self.assertRaisesRegex(common.DataError,
                                  'labels.csv: .*' + pattern, msg=text):
        _labels(self.dir, text)


if __name__ == '__main__':
  absltest.main()
