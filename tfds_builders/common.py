"""What every builder of the project needs, and the dataset plug-in shape.

* :class:`DataError`: raw data missing or malformed (the message says what,
  where, and how to fix it).
* :func:`manual_dir` / :func:`require_manual_dir`: the manual-download
  folder, checked, with the builder's instructions when it is missing.
* :class:`BuildReport`: per-split counts of what a build used, skipped and
  cut, printed and stored in the dataset's metadata: nothing is dropped
  without being counted.
* :func:`custom_config`: a builder config with other sizes gets a
  self-describing name, so each pre-processing has its own data folder.
* :class:`Dataset`: the plug-in a dataset registers in
  ``tfds_builders.registry``: how a ``data`` config section becomes a
  builder, and which features are the clip and the target.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, Callable, Mapping, Sequence

import tensorflow_datasets as tfds


class DataError(ValueError):
  """Raw data missing or malformed (the message says what, where, how)."""


def require_manual_dir(manual_dir, name: str, instructions: str) -> str:
  """``manual_dir`` as a string, or a clear error when it is missing/empty."""
  path = os.fspath(manual_dir) if manual_dir else ''
  if not path or not os.path.isdir(path) or not os.listdir(path):
    state = ('was not given' if not path else 'does not exist'
             if not os.path.isdir(path) else 'is empty')
    raise DataError(
        f'{name}: the raw data folder {path or "(--manual_dir)"} {state}. '
        f'Pass --manual_dir=DIR (or data.manual_dir) pointing at the '
        f'downloaded data.\n{instructions}')
  return path


def manual_dir(dl_manager, name: str, instructions: str) -> str:
  """The checked manual-download folder of a build (``dl_manager``'s).

  TFDS's own ``dl_manager.manual_dir`` asserts when the folder is missing
  or empty, with a message that does not say how to get the data; ours
  names the folder and prints the builder's instructions.
  """
  try:
    path = dl_manager.manual_dir
  except AssertionError:  # TFDS's check: missing or empty
    path = getattr(dl_manager, '_manual_dir', None)
  return require_manual_dir(path, name, instructions)


class BuildReport:
  """Per-split counts of what a build used, skipped and cut.

  Args:
    counters: names of the integer counts (start at 0).
    lists: names of the lists of items (e.g. the skipped videos); each
      keeps its first ``max_items`` entries when that is set, and then a
      counter of the same name with ``_count`` appended keeps the total.
    summary: ``split counts -> one line`` for :meth:`print`.
    max_items: how many items a list keeps (None: all).
  """

  def __init__(self, counters: Sequence[str], lists: Sequence[str] = (),
               summary: Callable[[dict[str, Any]], str] | None = None,
               max_items: int | None = None):
    self.counters, self.lists = tuple(counters), tuple(lists)
    self.summary = summary
    self.max_items = max_items
    self.splits: dict[str, dict[str, Any]] = {}

  def split(self, split: str) -> dict[str, Any]:
    """The counts of ``split`` (created on first use)."""
    return self.splits.setdefault(split, {
        **{k: 0 for k in self.counters}, **{k: [] for k in self.lists},
        'notes': []})

  def add(self, split: str, key: str, value: Any = 1) -> None:
    """Adds ``value`` to a counter, or appends it to a list."""
    s = self.split(split)
    if key not in s:
      raise KeyError(f'BuildReport has no count {key!r}; it has '
                     f'{sorted(s)}.')
    if isinstance(s[key], list):
      if self.max_items is not None and key != 'notes':
        s[f'{key}_count'] = s.get(f'{key}_count', 0) + 1
      if self.max_items is None or len(s[key]) < self.max_items:
        s[key].append(value)
    else:
      s[key] += value

  def note(self, split: str, text: str) -> None:
    """A free-text remark printed with the split's counts."""
    self.split(split)['notes'].append(text)

  def print(self, name: str, split: str) -> None:
    """The split's summary line and notes, on stdout."""
    s = self.split(split)
    line = self.summary(s) if self.summary else ', '.join(
        f'{k} {s[k]}' for k in self.counters)
    print(f'{name} [{split}]: {line}', flush=True)
    for text in s['notes']:
      print(f'{name} [{split}]: {text}', flush=True)


def _name_part(value: Any) -> str:
  if isinstance(value, (tuple, list)):
    return '-'.join(_name_part(v) for v in value)
  return re.sub(r'[^0-9A-Za-z-]', '', str(value).replace('.', 'p'))


def custom_config(base: tfds.core.BuilderConfig, values: Mapping[str, Any],
                  short: Mapping[str, str]) -> tfds.core.BuilderConfig:
  """``base``, or a copy with ``values`` and a self-describing name.

  Args:
    base: the registered builder config.
    values: field -> wanted value (fields of ``base``).
    short: field -> its short tag in the name (e.g. ``num_frames -> 't'``).

  Returns:
    ``base`` itself when every value equals its field; else a copy named
    ``<base.name>_<tag><value>...`` over the fields that differ (e.g.
    ``default_t64_s32``), so each pre-processing has its own data folder.
  """
  changed = {k: v for k, v in values.items() if getattr(base, k) != v}
  if not changed:
    return base
  name = base.name + ''.join(f'_{short[k]}{_name_part(v)}'
                             for k, v in changed.items())
  return dataclasses.replace(
      base, name=name, description=f'{base.description} Custom: {changed}.',
      **dict(values))


@dataclasses.dataclass(frozen=True)
class Dataset:
  """A dataset plug-in: what the pipeline needs to know of a dataset.

  Attributes:
    name: the ``data.name`` that selects it.
    make_builder: ``(data config section, data_dir or None) -> builder``;
      reads the section's builder options (sizes, source, ...).
    clip: the feature holding the model's input (``[T, H, W, C]``).
    target: the feature holding the label (a scalar).
    options: the ``data`` fields ``make_builder`` reads (``python -m
      simper_jax.prepare NAME --builder_config=...`` accepts these).
    group: the feature naming each example's source (a file, a subject),
      when several examples come from one: evaluation keeps it beside the
      features (``features.npz``), so label budgets count sources.
    resolve: ``data section -> {field: value}``, the values of fields left
      to the data (e.g. ``fps=0``: the most common rate of a folder),
      applied to the experiment's config before anything reads it.
    read: ``(path, data section) -> [T, H, W, C] array``: one recording
      of the user's, resampled and resized as the dataset's clips are
      (``simper_jax.predict`` windows and encodes it); raises
      ``DataError`` naming the file when it cannot be read.
    extensions: the file endings ``read`` takes (``.mp4``, ``.npy``, ...),
      for finding them in a folder.
  """
  name: str
  make_builder: Callable[[Any, str | None], tfds.core.DatasetBuilder]
  clip: str = 'video'
  target: str = 'label'
  options: tuple[str, ...] = ()
  group: str | None = None
  resolve: Callable[[Any], Mapping[str, Any]] | None = None
  read: Callable[[str, Any], Any] | None = None
  extensions: tuple[str, ...] = ()


def option(cfg, key: str, default: Any) -> Any:
  """``cfg[key]`` when the data section declares it, else ``default``.

  A dataset's options are optional in an experiment's ``data`` section
  (the builder config's default applies); every other field is read as
  declared.
  """
  return cfg[key] if key in cfg else default


def named_config(builder_cls, name: str, field: str = 'data.source'
                 ) -> tfds.core.BuilderConfig:
  """The registered config ``name`` of ``builder_cls``, or a clear error."""
  named = {c.name: c for c in builder_cls.BUILDER_CONFIGS}
  if name not in named:
    raise ValueError(f'{field}={name!r} is not a config of '
                     f'{builder_cls.name}; choose one of {sorted(named)}.')
  return named[name]


def configured_builder(builder_cls, base: tfds.core.BuilderConfig, cfg,
                       data_dir: str | None, short: Mapping[str, str],
                       convert: Callable[[str, Any], Any] | None = None
                       ) -> tfds.core.DatasetBuilder:
  """``builder_cls`` (ArrayRecord) with ``base`` updated from ``cfg``.

  Args:
    builder_cls: the TFDS builder class.
    base: its registered config the options start from.
    cfg: the ``data`` config section; each field of ``short`` it declares
      overrides ``base``'s value.
    data_dir: the TFDS data folder (None: TFDS's default).
    short: option -> tag in a custom config's name (:func:`custom_config`).
    convert: ``(option, value) -> value`` normalizing config values (e.g.
      lists to tuples) before they are compared with ``base``'s.
  """
  values = {k: option(cfg, k, getattr(base, k)) for k in short}
  if convert:
    values = {k: convert(k, v) for k, v in values.items()}
  return builder_cls(config=custom_config(base, values, short),
                     data_dir=data_dir, file_format='array_record')
