"""LST builder on its dummy_data/ through the project's builder harness.

More LST tests (targets, gap filling, both layouts, skipped windows) are in
tests/test_lst_builder.py.
"""

from __future__ import annotations

import os

from absl.testing import absltest

from tfds_builders import lst
from tfds_builders import testing_harness


class LstHarnessTest(testing_harness.BuilderHarness, absltest.TestCase):

  BUILDER = lst.Builder
  CONFIG = lst.LstConfig(name='tiny', window_hours=6, patch=2,
                         horizon_hours=2)
  MANUAL_DIR = os.path.join(os.path.dirname(__file__), 'dummy_data')
  # Counted from lst_synthetic's rules (REGIONS, dqf_flags, fill_mask).
  # Hours 0..71 over both regions, test_fraction 0.25: the boundary is hour
  # 54. A window spans 6 + 2 = 8 hours; start s targets hour s + 7, and
  # targets that are flagged, fill or without a file are skipped.
  # sonoran, centre (4, 4): DQF 3 where k % 13 == 5, fill where k % 17 == 5.
  #   train: starts 0..46, 47 targets 7..53, less 18, 31, 44 (DQF) and 22,
  #   39 (fill): 42. test: starts 54..64, targets 61..71, less 70: 10.
  # great_plains, hours 32..71, centre (3, 5): DQF where k % 13 == 12, fill
  #   where k % 17 == 4, no file at 40, 41, 50, 60.
  #   train: starts 32..46, 15 targets 39..53, less 51 (DQF) and 40, 41, 50
  #   (no file): 11. test: 11 targets 61..71, less 64 (DQF): 10.
  SPLITS = {'train': 42 + 11, 'test': 10 + 10}
  # Splits are by time: no target hour is in both.
  GROUP_KEY = 'time'


if __name__ == '__main__':
  absltest.main()
