"""Land-surface temperature TFDS builder (hourly LST grids, nowcasting;
manual download)."""

from __future__ import annotations

from tfds_builders.lst.lst_dataset_builder import (
    Builder,
    BuildReport,
    DataError,
    LstConfig,
    NetcdfFile,
    builder_for,
    cf_times,
    find_regions,
    gap_fill,
    read_patches,
    scan_file,
    scan_region,
    unpack,
)

__all__ = ['Builder', 'BuildReport', 'DataError', 'LstConfig', 'NetcdfFile',
           'builder_for', 'cf_times', 'find_regions', 'gap_fill',
           'read_patches', 'scan_file', 'scan_region', 'unpack']
