"""Land-surface temperature TFDS builder (hourly LST grids, nowcasting;
manual download)."""

from __future__ import annotations

from tfds_builders.lst.lst_dataset_builder import Builder
from tfds_builders.lst.lst_dataset_builder import build_report
from tfds_builders.lst.lst_dataset_builder import LstConfig
from tfds_builders.lst.netcdf import cf_times
from tfds_builders.lst.netcdf import DataError
from tfds_builders.lst.netcdf import decode
from tfds_builders.lst.netcdf import NetcdfFile
from tfds_builders.lst.netcdf import unpack
from tfds_builders.lst.regions import find_regions
from tfds_builders.lst.regions import gap_fill
from tfds_builders.lst.regions import read_patches
from tfds_builders.lst.regions import scan_file
from tfds_builders.lst.regions import scan_region

__all__ = ['Builder', 'DataError', 'LstConfig', 'NetcdfFile',
           'build_report', 'cf_times', 'decode', 'find_regions', 'gap_fill',
           'read_patches', 'scan_file', 'scan_region', 'unpack']
