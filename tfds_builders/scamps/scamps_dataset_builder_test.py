"""SCAMPS builder on its dummy_data/ through the project's builder harness.

More SCAMPS tests (MATLAB axis order, corrupt files, the heart-rate label)
are in tests/test_rppg_builders.py.
"""

from __future__ import annotations

import os

from absl.testing import absltest

from tfds_builders import rppg_common
from tfds_builders import scamps
from tfds_builders import testing_harness


class ScampsHarnessTest(testing_harness.BuilderHarness, absltest.TestCase):

  BUILDER = scamps.Builder
  CONFIG = rppg_common.RppgConfig(name='tiny', image_size=8, chunk_length=10)
  MANUAL_DIR = os.path.join(os.path.dirname(__file__), 'dummy_data')
  # make_dummy_data.py: P000001 (train), P000002 (val), P000003 (test) per
  # scamps_split.csv, 48 frames each: 48 // 10 = 4 chunks (8 frames left).
  SPLITS = {'train': 4, 'validation': 4, 'test': 4}
  GROUP_KEY = 'subject'


if __name__ == '__main__':
  absltest.main()
