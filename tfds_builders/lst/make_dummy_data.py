"""Writes ``dummy_data/``: two tiny LST regions, both layouts.

    python tfds_builders/lst/make_dummy_data.py

``sonoran/lst_sonoran.nc``: the plain layout, one NetCDF4 (HDF5) file,
``LST (time, y, x)`` 72 x 8 x 8 (int16 packed) with ``DQF`` and a ``time``
coordinate in hours. ``great_plains/OR_ABI-L2-LSTC-M6_G16_s...nc``: the
GOES ABI-L2-LSTC layout, one NetCDF3 classic file per hour, 6 x 10 pixels,
72 hours from 2023-07-01 00:00 UTC less three missing hours. Both follow
the closed-form diurnal cycle and bad-pixel rules of ``lst_synthetic``.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tfds_builders.lst import lst_synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')


def main():
  shutil.rmtree(HERE, ignore_errors=True)
  for name in lst_synthetic.REGIONS:
    lst_synthetic.write_region(os.path.join(HERE, name), name)


if __name__ == '__main__':
  main()
