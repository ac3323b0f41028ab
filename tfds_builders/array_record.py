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
    config = kwargs.get('config')
    if isinstance(config, tfds.core.BuilderConfig):
      # An unpickled copy (e.g. in a grain worker process) of a custom
      # config registered in this process: TFDS refuses a second object
      # under a registered name, so use the registered one when the same
      # (compared by repr: every field, where some configs define no ==).
      registered = type(self).get_builder_config(name=config.name)
      if registered is not None and registered is not config and (
          repr(registered) == repr(config)):
        kwargs['config'] = registered
    super().__init__(file_format=file_format, **kwargs)
    if file_format is None and not self.info.initialized:
      self.info.set_file_format('array_record', override=True)
