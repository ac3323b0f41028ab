"""UBFC-rPPG builder on its dummy_data/ through the project's harness.

More UBFC-rPPG tests (no face, short videos, the prepare CLI) are in
tests/test_rppg_builders.py.
"""

from __future__ import annotations

import os

from absl.testing import absltest

from tfds_builders import rppg_common
from tfds_builders import testing_harness
from tfds_builders import ubfc_rppg


class UbfcRppgHarnessTest(testing_harness.BuilderHarness, absltest.TestCase):

  BUILDER = ubfc_rppg.Builder
  CONFIG = rppg_common.RppgConfig(name='tiny', image_size=8, chunk_length=10)
  MANUAL_DIR = os.path.join(os.path.dirname(__file__), 'dummy_data')
  # make_dummy_data.py: subject1, subject3 (train) and subject40 (test, in
  # TEST_SUBJECTS 38-49), 24 frames each: 24 // 10 = 2 chunks per video.
  SPLITS = {'train': 4, 'test': 2}
  GROUP_KEY = 'subject'


if __name__ == '__main__':
  absltest.main()
