"""PURE builder on its dummy_data/ through the project's builder harness.

More PURE tests (time-stamp alignment, uneven PPG) are in
tests/test_rppg_builders.py.
"""

from __future__ import annotations

import os

from absl.testing import absltest

from tfds_builders import pure
from tfds_builders import rppg_common
from tfds_builders import testing_harness


class PureHarnessTest(testing_harness.BuilderHarness, absltest.TestCase):

  BUILDER = pure.Builder
  CONFIG = rppg_common.RppgConfig(name='tiny', image_size=8, chunk_length=10)
  MANUAL_DIR = os.path.join(os.path.dirname(__file__), 'dummy_data')
  # dummy_data/: 01-01 and 02-01 (train) hold 25 PNG frames each, 08-01
  # (test, subject 8) 24; every frame lies inside its PPG's time span (the
  # oximeter starts 50 ms earlier and stops 39-68 ms after the last frame),
  # so none is cut: 25 // 10 = 2 and 24 // 10 = 2 chunks per recording.
  SPLITS = {'train': 4, 'test': 2}
  GROUP_KEY = 'subject'


if __name__ == '__main__':
  absltest.main()
