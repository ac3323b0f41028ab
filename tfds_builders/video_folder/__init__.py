"""``video_folder``: the user's own folder of videos, cut into windows, with
an optional labels.csv (and a generated folder for the ``:synthetic``
demo)."""

from __future__ import annotations

from tfds_builders.video_folder.video_folder_dataset_builder import (
    EXTENSIONS,
    Builder,
    Unusable,
    VideoFolderConfig,
    read_video,
    resample_frames,
)

__all__ = ['EXTENSIONS', 'Builder', 'Unusable', 'VideoFolderConfig',
           'read_video', 'resample_frames']
