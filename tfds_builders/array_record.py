"""The base of the project's builders: new datasets default to ArrayRecord."""

from __future__ import annotations

from typing import Any

import tensorflow_datasets as tfds


class ArrayRecordBuilder(tfds.core.GeneratorBasedBuilder):
  """Like ``GeneratorBasedBuilder``, but new datasets default to ArrayRecord.

  TFDS defaults to TFRecord, whose writer needs TensorFlow and fails only
  after all examples were generated. ArrayRecord needs no TensorFlow and is
  what ``as_data_source`` (and grain) read. An explicit ``file_format``, or
  the format of an already prepared dataset, wins.
  """

  def __init__(self, *, file_format: str | tfds.core.FileFormat | None = None,
               **kwargs: Any):
    super().__init__(file_format=file_format, **kwargs)
    if file_format is None and not self.info.initialized:
      self.info.set_file_format('array_record', override=True)
