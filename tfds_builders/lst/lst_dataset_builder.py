"""Land-surface temperature (LST) nowcasting from hourly satellite grids.

Raw data in ``manual_dir``: hourly LST grids as NetCDF files (``.nc``,
``.nc4``), one sub-folder per region (the folder name is the region; the
files of a single region may also lie in ``manual_dir`` itself, the region
then named after that folder). Two layouts, which may be mixed:

(a) GOES ABI-L2-LSTC, as NOAA distributes it: one file per hour, the 2-D
    ``(y, x)`` variables ``LST`` (kelvin, usually packed: ``scale_factor``,
    ``add_offset``, ``_FillValue``, ``_Unsigned``, ``valid_range``) and
    ``DQF`` (0 = good), the time from the scalar ``t`` (CF units, e.g.
    "seconds since 2000-01-01 12:00:00") or, without it, from the file
    name's scan start ``..._s%Y%j%H%M%S[tenths]_...``;
(b) plain: a ``(time, y, x)`` variable ``LST`` (kelvin, or Celsius by its
    ``units``), an optional ``DQF (time, y, x)`` and a 1-D ``time``
    coordinate with CF units ("hours since 2020-01-01 00:00:00").

NetCDF4/HDF5 files are read with h5py and NetCDF3 classic / 64-bit-offset
files with ``scipy.io.netcdf_file`` (told apart by their first bytes), and
only the patches needed are read from each file. Every grid is put on the
nearest whole UTC hour; two grids on the same hour of a region are an
error. Hours without a file count as wholly invalid.

A pixel is valid when ``DQF == 0`` (if the file has DQF), its stored value
is neither ``_FillValue`` (netCDF's default fill when there is none) nor
``missing_value`` and lies in ``valid_range`` (if given), and the unpacked
value is finite and within ``PLAUSIBLE_K`` (150-400 K).

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
import os
import re
from typing import Any, Iterator, Sequence

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import array_record
from tfds_builders import rppg_common

DataError = rppg_common.DataError
_ENCODING = tfds.features.Encoding.BYTES  # ArrayRecord compresses records
_EXTENSIONS = ('.nc', '.nc4')
_HDF5_SIGNATURE = b'\x89HDF\r\n\x1a\n'
_GOES_NAME = re.compile(r'_s(\d{4})(\d{3})(\d{2})(\d{2})(\d{2})(\d?)')
_CELSIUS = ('degc', 'c', 'celsius', 'degree_celsius', 'degrees_celsius',
            'deg_c', 'degrees_c', '°c')
_KELVIN = ('k', 'kelvin', 'degk', 'deg_k', 'degrees_k', 'degree_kelvin',
           'degrees_kelvin')
_CALENDARS = ('standard', 'gregorian', 'proleptic_gregorian')
# netCDF's default fill values (netcdf.h NC_FILL_*), by stored type; not
# for bytes, which netCDF readers do not mask by default either.
_DEFAULT_FILL = {'i2': -32767, 'i4': -2147483647, 'i8': -9223372036854775806,
                 'u2': 65535, 'u4': 4294967295, 'f4': 9.969209968386869e36,
                 'f8': 9.969209968386869e36}
# The most patch data held at once per region and split (centres beyond it
# are read in further passes over the files).
_MAX_STACK_BYTES = 1 << 30
# Kelvin: colder or hotter than any land surface on Earth (about 180 K on
# the Antarctic plateau to 370 K in deserts).
PLAUSIBLE_K = (150.0, 400.0)

_INSTRUCTIONS = """\
Hourly land-surface temperature grids as NetCDF files, one sub-folder of
--manual_dir per region (the folder name is the region's name; one
region's files may also lie in --manual_dir itself). Either layout:

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


def _iso(unix_s: float) -> str:
  d = datetime.datetime.fromtimestamp(unix_s, tz=datetime.timezone.utc)
  return d.strftime('%Y-%m-%dT%H:%M:%SZ')


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


# ---------------------------------------------------------------- NetCDF


def _attr_value(value):
  """A NetCDF attribute as ``str`` (text) or a 1-D NumPy array."""
  if isinstance(value, (bytes, np.bytes_)):
    return value.decode('utf-8', 'replace').rstrip('\x00')
  if isinstance(value, str):
    return value
  arr = np.asarray(value)
  if arr.dtype.kind in 'SU':
    return ''.join(v.decode('utf-8', 'replace') if isinstance(v, bytes)
                   else str(v) for v in arr.ravel()).rstrip('\x00')
  if arr.dtype.kind == 'O':
    return ' '.join(str(_attr_value(v)) for v in arr.ravel())
  return arr.ravel()


class NetcdfFile:
  """Read-only access to a NetCDF3 (scipy) or NetCDF4/HDF5 (h5py) file.

  Use as a context manager. Errors while opening or reading are
  ``DataError`` naming the file.
  """

  def __init__(self, path: str):
    self.path = path
    self._h5 = self._nc = None
    try:
      with open(path, 'rb') as f:
        head = f.read(8)
    except OSError as e:
      raise DataError(f'{path}: cannot be read ({e}).') from e
    if head[:3] == b'CDF':
      if head[3:4] not in (b'\x01', b'\x02'):
        raise DataError(
            f'{path}: a NetCDF3 64-bit-data (CDF-5) file, which '
            'scipy.io.netcdf_file cannot read; convert it, e.g. '
            f'`nccopy -k nc4 {path} OUT.nc`.')
      from scipy.io import netcdf_file  # pylint: disable=g-import-not-at-top
      try:
        self._nc = netcdf_file(path, 'r', mmap=True, maskandscale=False)
      except Exception as e:  # pylint: disable=broad-except
        raise DataError(f'{path}: not a readable NetCDF3 file '
                        f'({type(e).__name__}: {e}); re-download it.') from e
      self.format = 'NetCDF3'
    elif head == _HDF5_SIGNATURE:
      import h5py  # pylint: disable=g-import-not-at-top
      try:
        self._h5 = h5py.File(path, 'r')
      except OSError as e:
        raise DataError(f'{path}: not a readable NetCDF4/HDF5 file ({e}); '
                        're-download it.') from e
      self.format = 'NetCDF4'
    else:
      raise DataError(
          f'{path}: not a NetCDF file (it starts with {head[:4]!r}, neither '
          'NetCDF3 "CDF" nor NetCDF4/HDF5 "\\x89HDF"). Re-download it (an '
          'interrupted download?) or remove it from the folder.')

  def __enter__(self) -> 'NetcdfFile':
    return self

  def __exit__(self, *exc) -> None:
    self.close()

  def close(self) -> None:
    if self._h5 is not None:
      self._h5.close()
    if self._nc is not None:
      self._nc.close()

  @property
  def variables(self) -> list[str]:
    if self._h5 is not None:
      import h5py  # pylint: disable=g-import-not-at-top
      return sorted(k for k, v in self._h5.items()
                    if isinstance(v, h5py.Dataset))
    return sorted(self._nc.variables)

  def find(self, name: str) -> str | None:
    """The variable called ``name`` (exactly, else ignoring case)."""
    names = self.variables
    if name in names:
      return name
    return next((n for n in names if n.lower() == name.lower()), None)

  def shape(self, name: str) -> tuple[int, ...]:
    if self._h5 is not None:
      return tuple(self._h5[name].shape)
    return tuple(self._nc.variables[name].shape)

  def attrs(self, name: str) -> dict[str, Any]:
    if self._h5 is not None:
      raw = dict(self._h5[name].attrs)
    else:
      var = self._nc.variables[name]  # scipy keeps attributes here:
      raw = dict(var._attributes)  # pylint: disable=protected-access
    return {k: _attr_value(v) for k, v in raw.items()
            if k not in ('DIMENSION_LIST', 'REFERENCE_LIST', 'CLASS',
                         'NAME', '_Netcdf4Dimid', '_Netcdf4Coordinates')}

  def read(self, name: str, index: tuple = ()) -> np.ndarray:
    try:
      if self._h5 is not None:
        out = np.array(self._h5[name][index if index else ()])
      else:
        out = np.array(self._nc.variables[name].data[index], copy=True)
    except (OSError, ValueError, IndexError, TypeError) as e:
      raise DataError(f'{self.path}: cannot read variable {name!r} '
                      f'({type(e).__name__}: {e}); the file may be '
                      'truncated, re-download it.') from e
    # Native byte order (NetCDF3 stores big-endian), so views are safe.
    return out.astype(out.dtype.newbyteorder('=')) if (
        out.dtype.kind in 'iuf' and not out.dtype.isnative) else out


def _first(attrs: dict[str, Any], key: str):
  v = attrs.get(key)
  if v is None or isinstance(v, str) or not np.size(v):
    return None
  return np.asarray(v).ravel()


def unpack(raw: np.ndarray, attrs: dict[str, Any], where: str
           ) -> tuple[np.ndarray, np.ndarray]:
  """Packed values -> ``(kelvin float64, valid bool)`` (CF conventions).

  Invalid: ``_FillValue`` (without one, the netCDF library's default
  fill of the stored type, e.g. 9.97e36 for floats: what netCDF writes
  where no value was given) or ``missing_value``, compared on the stored
  values; outside ``valid_range`` / ``valid_min`` / ``valid_max``; not
  finite; outside ``PLAUSIBLE_K`` (no land surface is colder or hotter:
  a safety net for undeclared fill values). ``_Unsigned = "true"``
  reinterprets signed integers (and those attributes) as unsigned. Then
  ``value = raw * scale_factor + add_offset``, converted from Celsius when
  ``units`` says so.
  """
  raw = np.asarray(raw)
  if not raw.dtype.isnative:  # NetCDF3 is big-endian
    raw = raw.astype(raw.dtype.newbyteorder('='))
  stored = raw.dtype
  valid = np.ones(raw.shape, bool)
  unsigned = (str(attrs.get('_Unsigned', '')).lower() == 'true'
              and stored.kind == 'i')
  udtype = np.dtype(f'u{stored.itemsize}') if unsigned else stored

  def as_stored(v):
    v = np.asarray(v).ravel()
    if stored.kind in 'iu' and v.dtype.kind in 'iu':
      v = v.astype(stored)
      return v.view(udtype) if unsigned else v
    return v

  for key in ('_FillValue', 'missing_value'):
    v = _first(attrs, key)
    if v is None and key == '_FillValue':
      v = _DEFAULT_FILL.get(stored.str[1:])
      v = None if v is None else np.array([v])
    if v is not None:
      for fv in v:
        if stored.kind == 'f' and np.isnan(fv):
          valid &= ~np.isnan(raw)
        else:
          valid &= raw != np.asarray(fv).astype(stored)
  if unsigned:
    raw = raw.view(udtype)
  scale = _first(attrs, 'scale_factor')
  offset = _first(attrs, 'add_offset')
  values = raw.astype(np.float64)
  if scale is not None:
    values = values * float(scale[0])
  if offset is not None:
    values = values + float(offset[0])
  bounds = _first(attrs, 'valid_range')
  lo = _first(attrs, 'valid_min')
  hi = _first(attrs, 'valid_max')
  if bounds is not None and bounds.size == 2:
    lo, hi = bounds[:1], bounds[1:]
  for bound, op in ((lo, np.greater_equal), (hi, np.less_equal)):
    if bound is None:
      continue
    if stored.kind in 'iu' and bound.dtype.kind in 'iu':
      valid &= op(raw, as_stored(bound)[0])  # packed, as the file stores
    else:
      valid &= op(values, float(bound[0]))
  units = str(attrs.get('units', 'K')).strip().lower()
  if units in _CELSIUS:
    values = values + 273.15
  elif units not in _KELVIN:
    raise DataError(f'{where}: LST units {attrs.get("units")!r} are neither '
                    'kelvin ("K") nor Celsius ("degC").')
  valid &= np.isfinite(values)
  valid &= (values >= PLAUSIBLE_K[0]) & (values <= PLAUSIBLE_K[1])
  return values, valid


_TIME_UNITS = re.compile(
    r'^\s*(seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|d)\s+since'
    r'\s+(.+?)\s*$', re.IGNORECASE)
_SECONDS = {'s': 1.0, 'm': 60.0, 'h': 3600.0, 'd': 86400.0}
_REFERENCE = re.compile(
    r'^(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T ]+(\d{1,2}):(\d{1,2})'
    r'(?::(\d{1,2}(?:\.\d*)?))?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$',
    re.IGNORECASE)


def cf_times(values: np.ndarray, attrs: dict[str, Any], where: str
             ) -> np.ndarray:
  """CF time values ("<unit> since <date>") -> unix seconds (float64)."""
  units = attrs.get('units')
  match = _TIME_UNITS.match(units) if isinstance(units, str) else None
  if not match:
    raise DataError(f'{where}: time units {units!r} are not CF "<seconds|'
                    'minutes|hours|days> since <date>", e.g. "hours since '
                    '2020-01-01 00:00:00".')
  calendar = str(attrs.get('calendar', 'standard')).lower()
  if calendar not in _CALENDARS:
    raise DataError(f'{where}: calendar {calendar!r} is not supported; '
                    f'export the times in one of {_CALENDARS}.')
  ref = _REFERENCE.match(match.group(2).strip())
  try:
    if not ref:
      raise ValueError('expected YYYY-MM-DD[ hh:mm[:ss]][ zone]')
    year, month, day, hh, mm, ss, zone = ref.groups()
    offset = 0
    if zone and zone.upper() not in ('Z', 'UTC', 'GMT'):
      sign = -1 if zone[0] == '-' else 1
      digits = zone[1:].replace(':', '')
      offset = sign * (int(digits[:-2] or digits) * 60 + int(
          digits[-2:] if len(digits) > 2 else 0))
    d = datetime.datetime(
        int(year), int(month), int(day), int(hh or 0), int(mm or 0),
        tzinfo=datetime.timezone(datetime.timedelta(minutes=offset)))
    epoch = d.timestamp() + float(ss or 0)
  except ValueError as e:
    raise DataError(f'{where}: cannot read the reference date of time '
                    f'units {units!r} ({e}).') from e
  scale = _SECONDS[match.group(1)[0].lower()]
  values = np.asarray(values, np.float64)
  if not np.all(np.isfinite(values)):
    raise DataError(f'{where}: the time values contain NaN or infinity.')
  return epoch + values * scale


def _name_time(path: str) -> float | None:
  match = _GOES_NAME.search(os.path.basename(path))
  if not match:
    return None
  year, day, hh, mm, ss, tenth = match.groups()
  try:
    d = datetime.datetime(int(year), 1, 1, tzinfo=datetime.timezone.utc)
    d += datetime.timedelta(days=int(day) - 1, hours=int(hh),
                            minutes=int(mm), seconds=int(ss))
  except (ValueError, OverflowError):
    return None
  return d.timestamp() + (int(tenth) / 10 if tenth else 0.0)


@dataclasses.dataclass
class FileInfo:
  """What a first look at one file found."""
  path: str
  layout: str  # 'goes' (one 2-D grid) or 'plain' (time, y, x)
  shape: tuple[int, int]
  hours: list[int]  # unix hours (unix seconds // 3600), one per grid


def scan_file(path: str) -> FileInfo:
  """Layout, grid and hours of one file (reads no LST values)."""
  with NetcdfFile(path) as nc:
    lst = nc.find('LST')
    if lst is None:
      raise DataError(
          f'{path}: no variable LST; it has {nc.variables}. Expected the '
          'GOES ABI-L2-LSTC layout (2-D LST, DQF, t) or the plain layout '
          '(LST (time, y, x) and time).')
    shape = nc.shape(lst)
    dqf = nc.find('DQF')
    if dqf is not None and nc.shape(dqf) != shape:
      raise DataError(f'{path}: DQF has shape {nc.shape(dqf)} but LST '
                      f'{shape}; they must match.')
    if len(shape) == 2:
      layout = 'goes'
      t = nc.find('t')
      if t is not None:
        values = nc.read(t).ravel()
        if values.size != 1:
          raise DataError(f'{path}: t holds {values.size} values; a 2-D '
                          'LST grid needs exactly one time.')
        times = cf_times(values, nc.attrs(t), f'{path}: t')
      else:
        name_t = _name_time(path)
        if name_t is None:
          raise DataError(
              f'{path}: no time: neither a variable t nor a scan start '
              '"_sYYYYJJJHHMMSS" in the file name (as NOAA names ABI '
              'files). Keep the original file names, or use the plain '
              'layout with a time coordinate.')
        times = np.array([name_t])
    elif len(shape) == 3:
      layout = 'plain'
      t = nc.find('time')
      if t is None:
        raise DataError(f'{path}: LST is 3-D (time, y, x) but there is no '
                        f'time variable; variables: {nc.variables}.')
      values = nc.read(t).ravel()
      if values.size != shape[0]:
        raise DataError(f'{path}: time has {values.size} values but LST '
                        f'{shape[0]} grids along its first axis; the '
                        'layout must be LST (time, y, x).')
      times = cf_times(values, nc.attrs(t), f'{path}: time')
    else:
      raise DataError(f'{path}: LST has shape {shape}; expected (y, x) '
                      '(GOES layout) or (time, y, x) (plain layout).')
  if min(shape[-2:]) < 1:
    raise DataError(f'{path}: LST grid {shape} is empty.')
  hours = [int(math.floor(t / 3600.0 + 0.5)) for t in times]
  return FileInfo(path, layout, tuple(shape[-2:]), hours)


@dataclasses.dataclass
class Region:
  """One region's grid and which file holds each of its hours."""
  name: str
  shape: tuple[int, int]
  # unix hour -> (path, index along the file's time axis or None if 2-D)
  sources: dict[int, tuple[str, int | None]]
  files: int
  layouts: tuple[str, ...]

  @property
  def first(self) -> int:
    return min(self.sources)

  @property
  def end(self) -> int:
    return max(self.sources) + 1


def find_regions(manual_dir: str) -> dict[str, list[str]]:
  """Region name -> sorted NetCDF paths (see the module doc)."""
  def nc_files(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(_EXTENSIONS) and not f.startswith('.')
                  and os.path.isfile(os.path.join(folder, f)))

  out = {}
  top = nc_files(manual_dir)
  if top:
    out[os.path.basename(os.path.normpath(manual_dir))] = top
  for name in sorted(os.listdir(manual_dir)):
    folder = os.path.join(manual_dir, name)
    if name.startswith('.') or not os.path.isdir(folder):
      continue
    files = nc_files(folder)
    if not files:
      continue
    if name in out:
      raise DataError(f'{folder}: region name {name!r} is also the name of '
                      f'{manual_dir}, whose own .nc files form a region; '
                      'move those into a sub-folder.')
    out[name] = files
  return out


def scan_region(name: str, paths: Sequence[str]) -> Region:
  """Checks one region's files agree; maps each hour to its file."""
  sources: dict[int, tuple[str, int | None]] = {}
  shape, first, layouts = None, None, set()
  for path in paths:
    info = scan_file(path)
    if shape is None:
      shape, first = info.shape, path
    elif info.shape != shape:
      raise DataError(f'{path}: LST grid {info.shape} differs from '
                      f'{shape} of {first}; region {name!r} must hold one '
                      'grid (put other grids in another folder).')
    layouts.add(info.layout)
    for i, hour in enumerate(info.hours):
      if hour in sources:
        other, _ = sources[hour]
        raise DataError(
            f'{path}: a grid on {_iso(hour * 3600)} (nearest whole hour), '
            f'which {other} also has; the builder takes one grid per hour '
            f'and region: remove one of them.')
      sources[hour] = (path, i if info.layout == 'plain' else None)
  return Region(name, shape, sources, len(paths), tuple(sorted(layouts)))


def read_patches(region: Region, first: int, end: int,
                 boxes: Sequence[tuple[int, int, int, int]]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """The patches ``boxes`` (row0, row1, col0, col1) of hours [first, end).

  Returns:
    ``(values [C, N, P, P] float32 kelvin, valid [C, N, P, P] bool,
    has_file [N] bool)``, ``N = end - first``, ``C = len(boxes)``; hours
    without a file are all invalid.
  """
  n = end - first
  p = boxes[0][1] - boxes[0][0]
  values = np.zeros((len(boxes), n, p, p), np.float32)
  valid = np.zeros((len(boxes), n, p, p), bool)
  has_file = np.zeros(n, bool)
  by_file: dict[str, list[tuple[int, int | None]]] = {}
  for hour in range(first, end):
    if hour in region.sources:
      path, index = region.sources[hour]
      by_file.setdefault(path, []).append((hour - first, index))
  for path, items in by_file.items():
    with NetcdfFile(path) as nc:
      lst, dqf = nc.find('LST'), nc.find('DQF')
      attrs = nc.attrs(lst)
      rows = np.array([k for k, _ in items])
      has_file[rows] = True
      if items[0][1] is None:
        prefix, pick = (), slice(None)
      else:
        idx = np.array([i for _, i in items])
        prefix = (slice(int(idx.min()), int(idx.max()) + 1),)
        pick = idx - idx.min()
      for c, (r0, r1, c0, c1) in enumerate(boxes):
        index = prefix + (slice(r0, r1), slice(c0, c1))
        raw = nc.read(lst, index)
        v, ok = unpack(raw, attrs, path)
        if dqf is not None:
          ok &= nc.read(dqf, index) == 0
        v[~ok] = 0.0  # fill values never reach the float32 cast
        if not prefix:
          v, ok = v[None], ok[None]
        values[c, rows] = v[pick]
        valid[c, rows] = ok[pick]
  return values, valid, has_file


# ----------------------------------------------------------- gap filling


def gap_fill(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
  """Fills the invalid entries of a window ``[T, ...]`` along time.

  Per pixel (every index after the first axis): between two valid hours,
  linear interpolation in time; before the first valid hour, that hour's
  value; after the last one, the last value (nearest at the ends, so
  nothing is extrapolated and only the window's own hours are used).
  A pixel with no valid hour in the window gets, at each hour, the mean of
  the (filled) pixels that have at least one. Valid entries are returned
  unchanged.

  Args:
    values: ``[T, ...]`` values (anything at invalid entries, even NaN).
    valid: ``[T, ...]`` bool, the same shape, at least one True.

  Returns:
    ``[T, ...]`` float32, finite.
  """
  values = np.asarray(values)
  valid = np.asarray(valid, bool)
  if values.shape != valid.shape or values.ndim < 1:
    raise ValueError(f'gap_fill: values {values.shape} and valid '
                     f'{valid.shape} must have the same shape [T, ...].')
  if not valid.any():
    raise ValueError('gap_fill: no valid entry to fill from.')
  t = values.shape[0]
  x = np.where(valid, values, 0.0).astype(np.float64).reshape(t, -1)
  m = valid.reshape(t, -1)
  hours = np.arange(t)[:, None]
  prev = np.maximum.accumulate(np.where(m, hours, -1), axis=0)
  nxt = np.minimum.accumulate(np.where(m, hours, t)[::-1], axis=0)[::-1]
  cols = np.arange(x.shape[1])[None, :]
  before = x[np.clip(prev, 0, t - 1), cols]
  after = x[np.clip(nxt, 0, t - 1), cols]
  span = np.maximum(nxt - prev, 1)
  w = (hours - prev) / span
  out = np.where(prev < 0, after,
                 np.where(nxt >= t, before, before + w * (after - before)))
  out = np.where(m, x, out)
  has = m.any(axis=0)
  if not has.all():
    out[:, ~has] = out[:, has].mean(axis=1, keepdims=True)
  return out.reshape(values.shape).astype(np.float32)


# ----------------------------------------------------------------- report


class BuildReport:
  """Counts of what a build used and skipped, per split."""

  KEYS = ('regions', 'centres', 'hours', 'hours_without_file',
          'candidate_windows', 'examples', 'skipped_target_no_file',
          'skipped_target_invalid', 'skipped_sparse_window',
          'windows_cut_by_split')

  def __init__(self):
    self.splits: dict[str, dict[str, Any]] = {}

  def split(self, split: str) -> dict[str, Any]:
    return self.splits.setdefault(split, {
        **{k: 0 for k in self.KEYS}, 'skipped_targets': [], 'notes': []})

  def add(self, split: str, key: str, value=1) -> None:
    s = self.split(split)
    if isinstance(s[key], list):
      if len(s[key]) < 50:  # the first 50, the count has them all
        s[key].append(value)
    else:
      s[key] += value

  def print(self, name: str, split: str) -> None:
    s = self.split(split)
    skipped = s['skipped_target_no_file'] + s['skipped_target_invalid']
    print(f'{name} [{split}]: {s["regions"]} regions, {s["centres"]} patch '
          f'centres, {s["hours"]} region-hours ({s["hours_without_file"]} '
          f'without a file) -> {s["candidate_windows"]} windows -> '
          f'{s["examples"]} examples; skipped: {skipped} with an invalid '
          f'target ({s["skipped_target_no_file"]} hour without a file, '
          f'{s["skipped_target_invalid"]} flagged by DQF or fill) '
          f'{s["skipped_targets"][:5]}, {s["skipped_sparse_window"]} with '
          f'too few valid pixels; {s["windows_cut_by_split"]} windows not '
          'made because they would cross the split boundary', flush=True)
    for note in s['notes']:
      print(f'{name} [{split}]: {note}', flush=True)


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

  def _centres(self, region: Region) -> list[tuple[int, int]]:
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
    try:
      manual_dir = dl_manager.manual_dir
    except AssertionError:  # TFDS's own check: missing or empty
      manual_dir = getattr(dl_manager, '_manual_dir', None)
    manual_dir = rppg_common.require_manual_dir(manual_dir, self.name,
                                                _INSTRUCTIONS)
    found = find_regions(manual_dir)
    if not found:
      raise DataError(f'lst: no NetCDF files ({", ".join(_EXTENSIONS)}) in '
                      f'{manual_dir} or its sub-folders.\n{_INSTRUCTIONS}')
    regions = [scan_region(name, paths) for name, paths in found.items()]
    centres = {r.name: self._centres(r) for r in regions}
    first = min(r.first for r in regions)
    end = max(r.end for r in regions)
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
    self._report = BuildReport()
    for r in regions:
      for split, lo, hi in (('train', r.first, min(boundary, r.end)),
                            ('test', max(boundary, r.first), r.end)):
        if hi - lo >= span:
          plan[split].append((r, lo, hi))
        elif hi > lo:
          self._report.add(split, 'notes', (
              f'region {r.name!r}: only {hi - lo} hours in {split}, fewer '
              f'than the {span} of one example; none made there'))
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
        values, valid, has_file = read_patches(
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
          f'min_valid_fraction '
          f'{c.min_valid_fraction}); nothing to write. Lower '
          'min_valid_fraction, choose other centres, or add data.')


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
        patches = np.stack([gap_fill(values[ci, win], ok),
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

# ------------------------------------------------- input_pipeline factory

_FIELDS = {'window_hours': 'w', 'patch': 'p', 'horizon_hours': 'h',
           'stride_hours': 's', 'centres': 'c', 'test_fraction': 'f',
           'split_time': 't', 'min_valid_fraction': 'v'}


def builder_for(cfg, data_dir) -> Builder:
  """The builder for a config's ``data`` section (``input_pipeline``).

  ``data.window_hours``, ``patch``, ``horizon_hours``, ``stride_hours``,
  ``centres``, ``test_fraction``, ``split_time`` and
  ``min_valid_fraction`` other than the defaults give a self-describing
  config name (e.g. ``w24_p8``), so each pre-processing has its own data
  folder.
  """
  base = Builder.BUILDER_CONFIGS[0]
  values = {k: cfg.get(k, getattr(base, k)) for k in _FIELDS}
  values['centres'] = tuple(tuple(int(v) for v in x)
                            for x in (values['centres'] or ()))
  changed = {k: v for k, v in values.items() if getattr(base, k) != v}
  if not changed:
    config = base
  else:
    def text(v):
      if isinstance(v, tuple):
        return '-'.join(f'{r}x{col}' for r, col in v)
      return re.sub(r'[^0-9A-Za-z]', '', str(v).replace('.', 'p'))
    name = '_'.join(f'{_FIELDS[k]}{text(v)}' for k, v in changed.items())
    config = dataclasses.replace(
        base, name=name, description=f'{base.description} Custom: '
        f'{changed}.', **values)
  return Builder(config=config, data_dir=data_dir,
                 file_format='array_record')
