"""``time_series``: the user's own folder of sensor recordings (``.npy`` and
``.csv``), resampled to one rate and cut into windows, with an optional
labels.csv (and a generated folder for the ``:synthetic`` demo)."""

from __future__ import annotations

from tfds_builders.time_series.reading import (
    EXTENSIONS,
    Recording,
    Series,
    Unusable,
    clean_windows,
    find_recordings,
    read_recording,
    to_rate,
)
from tfds_builders.time_series.time_series_dataset_builder import (
    Builder,
    TimeSeriesConfig,
    build_report,
)

__all__ = ['EXTENSIONS', 'Builder', 'Recording', 'Series', 'TimeSeriesConfig',
           'Unusable', 'build_report', 'clean_windows', 'find_recordings',
           'read_recording', 'to_rate']
