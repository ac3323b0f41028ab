"""Land-surface temperature (LST) nowcasting from hourly satellite grids.

Raw data in ``manual_dir``: hourly LST grids as NetCDF files (``.nc``,
``.nc4``), one sub-folder per region, at any depth below it (the folder
name is the region; the files of a single region may also lie in
``manual_dir`` itself, the region then named after that folder). Two
layouts, which may be mixed:

(a) GOES ABI-L2-LSTC, as NOAA distributes it: one file per hour, the 2-D
    ``(y, x)`` variables ``LST`` (kelvin, usually packed: ``scale_factor``,
    ``add_offset``, ``_FillValue``, ``_Unsigned``, ``valid_range``) and
    ``DQF`` (0 = good), the time from the scalar ``t`` (CF units, e.g.
    "seconds since 2000-01-01 12:00:00") or, without it, from the file
    name's scan start ``..._s%Y%j%H%M%S[tenths]_...``;
(b) plain: a ``(time, y, x)`` variable ``LST`` (kelvin, or Celsius by its
    ``units``), an optional ``DQF (time, y, x)`` and a 1-D ``time``
    coordinate with CF units ("hours since 2020-01-01 00:00:00").

Files are read lazily, only the patches and hours needed, and CF-decoded
by xarray (``netcdf.py``; ``regions.py``). Every grid is put on the nearest
whole UTC hour; two grids on the same hour of a region are an error. Hours
without a file count as wholly invalid. A pixel is valid when ``DQF == 0``
(if the file has DQF), it is not a fill or missing value, it lies in the
valid range, and it is within ``netcdf.PLAUSIBLE_K`` (150-400 K).

Examples: for each region, each patch centre and each target hour ``u``
(every ``stride_hours``), the window is the ``window_hours`` hours
``u - horizon_hours - window_hours + 1 .. u - horizon_hours`` of the
``patch x patch`` pixels around the centre (rows ``r - patch // 2 ..
r - patch // 2 + patch - 1``, likewise columns, so the centre is at index
``patch // 2`` of the patch); the target ``lst`` is the LST of the centre
pixel at hour ``u``. Invalid pixels of the window are gap-filled from the
window alone (``gap_fill``; nothing after the window's last hour, so the
target never leaks into the input). Examples whose target is invalid, or
whose window holds no valid pixel (or fewer than ``min_valid_fraction``),
are skipped and counted.

Splits by time: hours before the boundary are ``train``, the rest
``test``; an example's window and target hour lie on one side, so no hour
appears in both splits. Counts are printed and written to the dataset's
metadata (``builder.info.metadata['build_report']``, ``metadata.json``).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from typing import Any, Iterator

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import common
from tfds_builders.lst import netcdf
from tfds_builders.lst import regions as regions_lib

DataError = common.DataError
_ENCODING = tfds.features.Encoding.BYTES  # ArrayRecord compresses records
_iso = netcdf.iso
# The most patch data held at once per region and split (centres beyond it
# are read in further passes over the files).
_MAX_STACK_BYTES = 1 << 30

_INSTRUCTIONS = """\
Hourly land-surface temperature grids as NetCDF files, one sub-folder of
--manual_dir per region, at any depth below it (the folder name is the
region's name; one region's files may also lie in --manual_dir itself).
Either layout:

(a) GOES-16/18 ABI L2 Land Surface Temperature, CONUS, hourly (product
    ABI-L2-LSTC), as NOAA's open data on AWS holds it (no account needed;
    bucket noaa-goes16, or noaa-goes18; one NetCDF4 file per hour under
    ABI-L2-LSTC/YEAR/DAY_OF_YEAR/HOUR/), e.g.
      aws s3 cp --no-sign-request --recursive \\
          s3://noaa-goes16/ABI-L2-LSTC/2023/182/ RAW/conus/
    (browse https://noaa-goes16.s3.amazonaws.com/index.html). Each file
    holds the whole CONUS grid (2 km pixels); pick the patch centres with
    the config's centres (default: the middle pixel of the grid).
(b) Any hourly LST exported to a plain NetCDF file (NetCDF3 or NetCDF4):
    LST (time, y, x) in kelvin (or degC per its units attribute), an
    optional DQF (time, y, x) with 0 = good, and a 1-D coordinate time
    with CF units such as "hours since 2020-01-01 00:00:00".
"""


def parse_time(text: str, where: str = 'split_time') -> float:
  """Unix seconds of an ISO 8601 date/time (UTC unless it says otherwise)."""
  try:
    d = datetime.datetime.fromisoformat(text.strip())
  except ValueError as e:
    raise ValueError(f'{where}: {text!r} is not an ISO 8601 date/time such '
                     f'as 2023-07-01 or 2023-07-01T06:00Z ({e}).') from e
  if d.tzinfo is None:
    d = d.replace(tzinfo=datetime.timezone.utc)
  return d.timestamp()


@dataclasses.dataclass(eq=False)
class LstConfig(tfds.core.BuilderConfig):
  """Windows, patches and splits of the LST builder.

  Attributes:
    window_hours: hours per input window (168: one week).
    patch: side of the square patch, in pixels; the centre pixel is at
      index ``patch // 2``.
    horizon_hours: the target is this many hours after the window's last
      hour (1: the next hour).
    stride_hours: hours between consecutive target hours (1: every hour).
    centres: patch centres ``((row, col), ...)`` in grid pixels, used in
      every region; empty: each region's middle pixel ``(H // 2, W // 2)``.
    test_fraction: share of the record's hours (from the first to the last
      hour over all regions) in ``test``, the later part; used when
      ``split_time`` is empty.
    split_time: ISO 8601 time (UTC unless it says otherwise) where ``test``
      begins, rounded up to a whole hour; empty: use ``test_fraction``.
    min_valid_fraction: windows with a smaller share of valid pixel-hours
      are skipped (and counted); windows with none are always skipped.
  """
  window_hours: int = 7 * 24
  patch: int = 32
  horizon_hours: int = 1
  stride_hours: int = 1
  centres: tuple[tuple[int, int], ...] = ()
  test_fraction: float = 0.25
  split_time: str = ''
  min_valid_fraction: float = 0.0

  def __post_init__(self):
    for key, low in (('window_hours', 2), ('patch', 1), ('horizon_hours', 1),
                     ('stride_hours', 1)):
      value = getattr(self, key)
      try:
        bad = isinstance(value, bool) or int(value) != value or value < low
      except (TypeError, ValueError):
        bad = True
      if bad:
        raise ValueError(f'{self.name}: {key} must be an integer >= {low}, '
                         f'got {value!r}.')
      setattr(self, key, int(value))
    try:
      centres = tuple((int(r), int(c)) for r, c in self.centres)
      ok = all(r >= 0 and c >= 0 for r, c in centres) and all(
          (r, c) == tuple(x) for (r, c), x in zip(centres, self.centres))
    except (TypeError, ValueError):
      ok = False
    if not ok:
      raise ValueError(f'{self.name}: centres must be ((row, col), ...) of '
                       f'integer pixels >= 0, got {self.centres!r}.')
    if len(set(centres)) != len(centres):
      raise ValueError(f'{self.name}: centres has duplicates: {centres}.')
    self.centres = centres
    if not 0 < self.test_fraction < 1:
      raise ValueError(f'{self.name}: test_fraction must be in (0, 1), got '
                       f'{self.test_fraction!r}.')
    if self.split_time:
      parse_time(self.split_time, f'{self.name}: split_time')
    if not 0 <= self.min_valid_fraction <= 1:
      raise ValueError(f'{self.name}: min_valid_fraction must be in [0, 1], '
                       f'got {self.min_valid_fraction!r}.')


# ----------------------------------------------------------------- report


_COUNTS = ('regions', 'centres', 'hours', 'hours_without_file',
           'candidate_windows', 'examples', 'skipped_target_no_file',
           'skipped_target_invalid', 'skipped_sparse_window',
           'windows_cut_by_split')


def _summary(s: dict[str, Any]) -> str:
  skipped = s['skipped_target_no_file'] + s['skipped_target_invalid']
  return (f'{s["regions"]} regions, {s["centres"]} patch '
          f'centres, {s["hours"]} region-hours ({s["hours_without_file"]} '
          f'without a file) -> {s["candidate_windows"]} windows -> '
          f'{s["examples"]} examples; skipped: {skipped} with an invalid '
          f'target ({s["skipped_target_no_file"]} hour without a file, '
          f'{s["skipped_target_invalid"]} flagged by DQF or fill) '
          f'{s["skipped_targets"][:5]}, {s["skipped_sparse_window"]} with '
          f'too few valid pixels; {s["windows_cut_by_split"]} windows not '
          'made because they would cross the split boundary')


def build_report() -> common.BuildReport:
  """The counts an LST build reports per split (the first 50 skipped
  targets are listed; ``skipped_targets_count`` has them all)."""
  return common.BuildReport(counters=_COUNTS, lists=('skipped_targets',),
                            summary=_summary, max_items=50)


# ---------------------------------------------------------------- builder


class Builder(array_record.ArrayRecordBuilder):
  """DatasetBuilder for hourly land-surface temperature nowcasting."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [LstConfig(
      name='default', description=(
          '168-hour windows of 32x32 patches around each region\'s middle '
          'pixel; target: the centre\'s LST 1 hour later; last 25% of the '
          'record is test.'))]
  DEFAULT_BUILDER_CONFIG_NAME = 'default'
  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS

  def _info(self) -> tfds.core.DatasetInfo:
    c = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=(
            'Land-surface temperature nowcasting: windows of hourly LST '
            'patches (gap-filled, with a validity mask) and the centre '
            'pixel\'s LST horizon_hours after the window.'),
        features=tfds.features.FeaturesDict({
            'patches': tfds.features.Tensor(
                shape=(c.window_hours, c.patch, c.patch, 2),
                dtype=np.float32, encoding=_ENCODING,
                doc='Hourly patches, oldest first: [..., 0] LST in K '
                '(gap-filled), [..., 1] 1.0 where valid, 0.0 where filled.'),
            'lst': tfds.features.Scalar(
                dtype=np.float32, doc='Target: LST (K) of the centre pixel '
                'horizon_hours after the window\'s last hour.'),
            'time': tfds.features.Scalar(
                dtype=np.int64, doc='Unix seconds (UTC) of the target hour.'),
            'region': tfds.features.Text(doc='Region (folder) name.'),
            'centre': tfds.features.Tensor(
                shape=(2,), dtype=np.int32,
                doc='(row, col) of the centre pixel in the region grid.'),
            'valid_fraction': tfds.features.Scalar(
                dtype=np.float32,
                doc='Share of the window\'s pixel-hours that are valid.'),
        }),
        supervised_keys=('patches', 'lst'),
        homepage='https://www.goes-r.gov/products/baseline-LST.html',
        citation=self.get_metadata().citation,
        metadata=tfds.core.MetadataDict(),
    )

  def _centres(self, region: regions_lib.Region) -> list[tuple[int, int]]:
    c = self.builder_config
    h, w = region.shape
    centres = list(c.centres) or [(h // 2, w // 2)]
    half = c.patch // 2
    for r, col in centres:
      if not (r - half >= 0 and r - half + c.patch <= h and
              col - half >= 0 and col - half + c.patch <= w):
        raise DataError(
            f'lst: region {region.name!r} has a {h} x {w} grid; the '
            f'{c.patch} x {c.patch} patch around centre ({r}, {col}) (rows '
            f'{r - half}..{r - half + c.patch - 1}, columns {col - half}..'
            f'{col - half + c.patch - 1}) does not fit. Choose centres at '
            f'least patch // 2 = {half} pixels from the edges (config '
            'centres) or a smaller patch.')
    return centres

  def _split_generators(self, dl_manager):
    c = self.builder_config
    manual_dir = common.manual_dir(dl_manager, self.name, _INSTRUCTIONS)
    ignored = []
    found = regions_lib.find_regions(manual_dir, ignored)
    if not found:
      others = (f' (found only {len(ignored)} other files, e.g. '
                f'{ignored[:3]}; decompress or rename NetCDF files to .nc)'
                if ignored else '')
      raise DataError(
          f'lst: no NetCDF files ({", ".join(regions_lib.EXTENSIONS)}) in '
          f'{manual_dir} or its sub-folders{others}.\n{_INSTRUCTIONS}')
    regions = [regions_lib.scan_region(name, paths)
               for name, paths in found.items()]
    centres = {r.name: self._centres(r) for r in regions}
    first = min(r.first for r in regions)
    end = max(r.end for r in regions)
    if end - first < 2:
      raise DataError(
          f'lst: the data holds a single hour, {_iso(first * 3600)}; a '
          f'train and a test split need at least two, and one example '
          f'{c.window_hours + c.horizon_hours} consecutive hours (window_hours'
          ' + horizon_hours) in each. Add the files of more hours.')
    if c.split_time:
      boundary = math.ceil(parse_time(c.split_time) / 3600.0)
      if not first < boundary < end:
        raise DataError(
            f'lst: split_time {c.split_time!r} ({_iso(boundary * 3600)}) '
            f'leaves one split empty: the data covers {_iso(first * 3600)} '
            f'to {_iso((end - 1) * 3600)}. Choose a time inside it.')
    else:
      boundary = first + int(round((1 - c.test_fraction) * (end - first)))
      boundary = min(max(boundary, first + 1), end - 1)
    span = c.window_hours + c.horizon_hours
    plan = {'train': [], 'test': []}
    self._report = build_report()
    for split in plan:
      if ignored:
        self._report.note(split, (
            f'{len(ignored)} files not read (not .nc / .nc4, or hidden): '
            f'{ignored[:5]}'))
    for r in regions:
      for split, lo, hi in (('train', r.first, min(boundary, r.end)),
                            ('test', max(boundary, r.first), r.end)):
        if hi - lo >= span:
          plan[split].append((r, lo, hi))
        else:
          self._report.note(split, (
              f'region {r.name!r}: only {max(hi - lo, 0)} hours in {split}, '
              f'fewer than the {span} of one example; none made there'))
    for split, items in plan.items():
      if not items:
        lo, hi = ((first, boundary) if split == 'train'
                  else (boundary, end))
        raise DataError(
            f'lst: no region has {span} consecutive hours (window_hours '
            f'{c.window_hours} + horizon_hours {c.horizon_hours}, the span '
            f'of one example) in the {split} split, {_iso(lo * 3600)} to '
            f'{_iso((hi - 1) * 3600)}. Use a shorter window, another '
            'test_fraction / split_time, or more data.')
    self._boundary = boundary
    self._region_centres = centres
    self.info.metadata['split'] = {
        'boundary': _iso(boundary * 3600), 'boundary_unix': boundary * 3600,
        'first_hour': _iso(first * 3600), 'last_hour': _iso((end - 1) * 3600),
        'rule': ('train: every hour of an example (window and target) '
                 'before boundary; test: every hour at or after it')}
    self.info.metadata['regions'] = {
        r.name: {'grid': list(r.shape), 'files': r.files,
                 'layouts': list(r.layouts), 'hours_with_data':
                 len(r.sources), 'first_hour': _iso(r.first * 3600),
                 'last_hour': _iso((r.end - 1) * 3600),
                 'centres': [list(x) for x in centres[r.name]]}
        for r in regions}
    return {split: self._generate_examples(split, items)
            for split, items in plan.items()}

  def _generate_examples(self, split, items) -> Iterator[tuple[str, dict]]:
    c = self.builder_config
    report = self._report
    report.split(split)
    span = c.window_hours + c.horizon_hours
    half = c.patch // 2
    for region, lo, hi in items:
      centres = self._region_centres[region.name]
      report.add(split, 'regions')
      report.add(split, 'centres', len(centres))
      report.add(split, 'hours', hi - lo)
      report.add(split, 'hours_without_file', sum(
          1 for hour in range(lo, hi) if hour not in region.sources))
      starts = range(0, hi - lo - span + 1, c.stride_hours)
      if split == 'train' and hi == self._boundary:
        # Windows starting in train whose span would reach test hours.
        cut = sum(1 for s in range(len(starts) * c.stride_hours,
                                   hi - lo, c.stride_hours)
                  if lo + s + span <= region.end)
        report.add(split, 'windows_cut_by_split', cut * len(centres))
      # Centres in groups, so the patches held stay under _MAX_STACK_BYTES.
      group = max(1, _MAX_STACK_BYTES // ((hi - lo) * c.patch ** 2 * 5))
      for g in range(0, len(centres), group):
        chunk = centres[g:g + group]
        values, valid, has_file = regions_lib.read_patches(
            region, lo, hi, [(r - half, r - half + c.patch, col - half,
                              col - half + c.patch) for r, col in chunk])
        yield from self._centre_examples(split, region, lo, chunk, values,
                                         valid, has_file, starts)
    # Each split's counts, printed and kept in the dataset's metadata.
    report.print(self.name, split)
    self.info.metadata['build_report'] = dict(report.splits)
    counts = report.split(split)
    if not counts['examples']:
      raise DataError(
          f'lst: every one of the {counts["candidate_windows"]} {split} '
          f'windows was skipped ({counts["skipped_target_no_file"]} targets '
          f'without a file, {counts["skipped_target_invalid"]} invalid '
          f'targets, {counts["skipped_sparse_window"]} windows below '
          f'min_valid_fraction {c.min_valid_fraction}); nothing to write. '
          'Lower min_valid_fraction, choose other centres, or add data. '
          f'First skipped targets: {counts["skipped_targets"][:3]}')

  def _centre_examples(self, split, region, lo, centres, values, valid,
                       has_file, starts) -> Iterator[tuple[str, dict]]:
    """The examples of ``centres`` (patches from ``read_patches``)."""
    c = self.builder_config
    report = self._report
    span = c.window_hours + c.horizon_hours
    half = c.patch // 2
    for ci, (r, col) in enumerate(centres):
      for s in starts:
        target = s + span - 1
        hour = lo + target
        report.add(split, 'candidate_windows')
        if not has_file[target]:
          report.add(split, 'skipped_target_no_file')
          report.add(split, 'skipped_targets',
                     (region.name, r, col, _iso(hour * 3600), 'no file'))
          continue
        if not valid[ci, target, half, half]:
          report.add(split, 'skipped_target_invalid')
          report.add(split, 'skipped_targets',
                     (region.name, r, col, _iso(hour * 3600), 'invalid'))
          continue
        win = slice(s, s + c.window_hours)
        ok = valid[ci, win]
        fraction = float(ok.mean())
        if fraction == 0 or fraction < c.min_valid_fraction:
          report.add(split, 'skipped_sparse_window')
          continue
        patches = np.stack([regions_lib.gap_fill(values[ci, win], ok),
                            ok.astype(np.float32)], axis=-1)
        report.add(split, 'examples')
        yield f'{region.name}/{r:05d}_{col:05d}/{_iso(hour * 3600)}', {
            'patches': patches,
            'lst': np.float32(values[ci, target, half, half]),
            'time': np.int64(hour * 3600),
            'region': region.name,
            'centre': np.array([r, col], np.int32),
            'valid_fraction': np.float32(fraction),
        }
