"""Countix builder, both configs, through the project's builder harness.

``default`` reads dummy_data/; ``synthetic`` generates tiny clips. More
Countix tests (manifest, segment reading, missing clips) are in
tests/test_countix.py.
"""

from __future__ import annotations

import os

from absl.testing import absltest

from tfds_builders import countix
from tfds_builders import testing_harness


class CountixDefaultHarnessTest(testing_harness.BuilderHarness,
                                absltest.TestCase):

  BUILDER = countix.Builder
  CONFIG = countix.CountixConfig(name='tiny', num_frames=8, image_size=8)
  MANUAL_DIR = os.path.join(os.path.dirname(__file__), 'dummy_data')
  # make_dummy_data.py ROWS: train aaaaaaaaaaa, bbbbbbbbbbb (ccccccccccc has
  # no clip), validation ddddddddddd, test eeeeeeeeeee (fffffffffff has no
  # clip); each clip is 4 s long and holds its repetition segment.
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}
  GROUP_KEY = 'video_id'


class CountixSyntheticHarnessTest(testing_harness.BuilderHarness,
                                  absltest.TestCase):

  BUILDER = countix.Builder
  CONFIG = countix.CountixConfig(
      name='tiny_synthetic', synthetic=True, num_train=3, num_test=2,
      num_frames=8, image_size=8, count_range=(1, 3))
  # num_train clips in train, num_test in validation and in test.
  SPLITS = {'train': 3, 'validation': 2, 'test': 2}
  GROUP_KEY = 'video_id'


if __name__ == '__main__':
  absltest.main()
