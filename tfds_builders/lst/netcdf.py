"""The LST grids' NetCDF files: lazy reading, CF decoding by xarray.

``NetcdfFile`` tells the formats apart by their first bytes and opens
NetCDF3 classic and 64-bit-offset files with ``xarray.open_dataset``
(``engine='scipy'``), NetCDF4/HDF5 with ``h5netcdf`` (the netCDF-4 reader
under xarray's ``h5netcdf`` engine); CDF-5, which neither reads, is
refused with a conversion hint. Files open undecoded and lazily: ``read``
returns the stored values of one slice and reads nothing else, so only the
patches and hours needed are read. Not ``xarray.open_dataset(engine=
'h5netcdf')`` for NetCDF4: it builds every variable of the file on
opening (encoding, dimensions, indexes), 13 ms per open of our 5-variable
test files and 45 ms with the ~35 of a NOAA ABI file, against 1.4 and
3.6 ms for h5netcdf alone (and 0.08 ms for h5py), and a build opens each
file two or three times.

``decode`` hands stored values and their attributes to xarray's CF
decoding (``xarray.conventions.decode_cf_variable``: ``_Unsigned``;
``_FillValue`` and ``missing_value`` to NaN; ``stored * scale_factor +
add_offset``, in the type of ``scale_factor`` as CF 8.1 says: float32 for
GOES LST), and ``cf_times`` to xarray's time decoding ("<unit> since
<date>", in the calendars numpy's datetime64 holds: standard, gregorian,
proleptic_gregorian).

xarray leaves out masks that the netCDF User Guide asks of generic readers
and that netCDF4-python applies, so ``unpack`` adds them, on the stored
values (``_stored_valid``):

* ``valid_range`` / ``valid_min`` / ``valid_max`` (pydata/xarray#8359):
  integer bounds of integer data are compared with the stored (packed)
  values, other bounds with the unpacked ones;
* fill values, compared with the stored values as CF says, where xarray
  misses some: without ``_FillValue`` netCDF's default fill of the stored
  type, e.g. 9.97e36 for floats, what netCDF writes where no value was
  given (pydata/xarray#2742; not for bytes, which netCDF readers do not
  mask); ``missing_value`` under ``_Unsigned`` (xarray makes only
  ``_FillValue`` unsigned); fills of float data packed with a narrower
  ``scale_factor`` type (xarray compares after casting to that type).

Under ``_Unsigned = "true"`` those attributes are read as unsigned too.
``unpack`` also refuses values plainly in another unit or scale than the
declared one (``_check_scale``), which would otherwise all be flagged.
"""

from __future__ import annotations

import datetime
import os
import re
import warnings
from typing import Any

import h5netcdf
import numpy as np
import xarray as xr
from xarray import conventions

from tfds_builders import common

DataError = common.DataError
HDF5_SIGNATURE = b'\x89HDF\r\n\x1a\n'
_GOES_NAME = re.compile(r'_s(\d{4})(\d{3})(\d{2})(\d{2})(\d{2})(\d?)')
_CELSIUS = ('degc', 'c', 'celsius', 'degree_celsius', 'degrees_celsius',
            'deg_c', 'degrees_c', '°c')
_KELVIN = ('k', 'kelvin', 'degk', 'deg_k', 'degrees_k', 'degree_kelvin',
           'degrees_kelvin')
# netCDF's default fill values (netcdf.h NC_FILL_*), by stored type.
_DEFAULT_FILL = {'i2': -32767, 'i4': -2147483647, 'i8': -9223372036854775806,
                 'u2': 65535, 'u4': 4294967295, 'f4': 9.969209968386869e36,
                 'f8': 9.969209968386869e36}
# Kelvin: colder or hotter than any land surface on Earth (about 180 K on
# the Antarctic plateau to 370 K in deserts).
PLAUSIBLE_K = (150.0, 400.0)
_UNIX_EPOCH = np.datetime64(0, 's')
_READ_ERRORS = (OSError, RuntimeError, ValueError, IndexError, TypeError)


def iso(unix_s: float) -> str:
  d = datetime.datetime.fromtimestamp(unix_s, tz=datetime.timezone.utc)
  return d.strftime('%Y-%m-%dT%H:%M:%SZ')


class NetcdfFile:
  """Lazy read-only access to one NetCDF3 or NetCDF4/HDF5 file.

  Use as a context manager. ``read`` gives stored values, ``decoded``
  CF-decoded ones; errors while opening or reading are ``DataError``
  naming the file.
  """

  def __init__(self, path: str):
    self.path = path
    self._attrs: dict[str, dict[str, Any]] = {}
    try:
      with open(path, 'rb') as f:
        head = f.read(8)
    except OSError as e:
      raise DataError(f'{path}: cannot be read ({e}).') from e
    if not head:
      raise DataError(f'{path}: the file is empty (0 bytes), e.g. an '
                      'interrupted download; re-download it or remove it.')
    if head[:2] == b'\x1f\x8b':
      raise DataError(f'{path}: a gzip-compressed file, not NetCDF; '
                      f'decompress it (`gunzip -c {path} > OUT.nc`) and '
                      'remove the compressed one.')
    if head[:3] == b'CDF':
      if head[3:4] not in (b'\x01', b'\x02'):
        raise DataError(
            f'{path}: a NetCDF3 64-bit-data (CDF-5) file, which xarray\'s '
            'scipy and h5netcdf engines cannot read; convert it, e.g. '
            f'`nccopy -k nc4 {path} OUT.nc`.')
      self.format = 'NetCDF3'
    elif head == HDF5_SIGNATURE:
      self.format = 'NetCDF4'
    else:
      raise DataError(
          f'{path}: not a NetCDF file (it starts with {head[:4]!r}, neither '
          'NetCDF3 "CDF" nor NetCDF4/HDF5 "\\x89HDF"). Re-download it (an '
          'interrupted download?) or remove it from the folder.')
    try:
      if self.format == 'NetCDF3':
        # Undecoded and lazy: ``read`` takes slices, ``decode`` decodes.
        self._file = xr.open_dataset(
            path, engine='scipy', mask_and_scale=False, decode_times=False,
            decode_timedelta=False, decode_coords=False, cache=False)
        self._vars = dict(self._file.variables)
      else:  # h5netcdf, not xarray.open_dataset: see the module doc.
        # HDF5 datasets without netCDF dimensions open too (phony ones), so
        # such a file is reported by what it lacks.
        self._file = h5netcdf.File(path, 'r', phony_dims='access')
        self._vars = self._file.variables
    except Exception as e:  # pylint: disable=broad-except
      raise DataError(f'{path}: not a readable {self.format} file '
                      f'({type(e).__name__}: {e}); re-download it.') from e

  def __enter__(self) -> 'NetcdfFile':
    return self

  def __exit__(self, *exc) -> None:
    self.close()

  def close(self) -> None:
    self._file.close()

  def dims(self, name: str) -> tuple[str, ...]:
    """The dimension names of ``name`` (h5netcdf or xarray)."""
    v = self._vars[name]
    return tuple(str(d) for d in getattr(v, 'dimensions', None) or v.dims)

  def dtype(self, name: str) -> np.dtype:
    return np.dtype(self._vars[name].dtype)

  @property
  def variables(self) -> list[str]:
    return sorted(str(k) for k in self._vars)

  def find(self, name: str) -> str | None:
    """The variable called ``name`` (exactly, else ignoring case)."""
    names = self.variables
    if name in names:
      return name
    return next((n for n in names if n.lower() == name.lower()), None)

  def shape(self, name: str) -> tuple[int, ...]:
    return tuple(self._vars[name].shape)

  def attrs(self, name: str) -> dict[str, Any]:
    """The attributes as stored (``_FillValue``, ``scale_factor``...),
    text as ``str`` (as xarray's engines give them). Do not modify."""
    if name not in self._attrs:
      self._attrs[name] = {
          k: v.decode('utf-8', 'replace') if isinstance(v, bytes) and
          k not in ('_FillValue', 'missing_value') else v
          for k, v in self._vars[name].attrs.items()}
    return self._attrs[name]

  def read(self, name: str, index: tuple = ()) -> np.ndarray:
    """The stored values of ``name[index]`` (native byte order); only that
    slice is read from the file."""
    try:
      out = self._vars[name][index]
      out = np.array(getattr(out, 'values', out))  # xarray or h5netcdf
    except _READ_ERRORS as e:
      raise DataError(f'{self.path}: cannot read variable {name!r} '
                      f'({type(e).__name__}: {e}); the file may be '
                      'truncated, re-download it.') from e
    return out.astype(out.dtype.newbyteorder('=')) if (
        out.dtype.kind in 'iuf' and not out.dtype.isnative) else out

  def decoded(self, name: str, index: tuple = ()) -> np.ndarray:
    """``name[index]`` CF-decoded by xarray (``decode``)."""
    return decode(self.read(name, index), self.attrs(name), self.path, name)


def decode(raw: np.ndarray, attrs: dict[str, Any], where: str,
           name: str = 'LST') -> np.ndarray:
  """Stored values -> xarray's CF decoding (``_Unsigned``, ``_FillValue``
  and ``missing_value`` to NaN, ``scale_factor`` / ``add_offset``)."""
  raw = np.asarray(raw)
  if raw.dtype.kind in 'iuf' and not raw.dtype.isnative:
    # xarray's _Unsigned fill conversion assumes native byte order.
    raw = raw.astype(raw.dtype.newbyteorder('='))
  # One-value attributes as scalars, as xarray's engines read them (its
  # _Unsigned fill handling needs them so).
  attrs = {k: v[0] if isinstance(v, np.ndarray) and v.shape == (1,) else v
           for k, v in attrs.items()}
  var = xr.Variable([f'dim_{i}' for i in range(raw.ndim)], raw, attrs)
  try:
    with warnings.catch_warnings():
      # Both _FillValue and missing_value are masked, as CF asks.
      warnings.filterwarnings('ignore', '.*multiple fill values',
                              xr.SerializationWarning)
      out = conventions.decode_cf_variable(
          name, var, mask_and_scale=True, decode_times=False,
          decode_timedelta=False)
      return np.asarray(out.values)
  except (ValueError, TypeError, OverflowError) as e:
    raise DataError(f'{where}: cannot decode {name} by its CF attributes '
                    f'({type(e).__name__}: {e}).') from e


def _first(attrs: dict[str, Any], key: str) -> np.ndarray | None:
  v = attrs.get(key)
  if v is None or isinstance(v, (str, bytes)) or not np.size(v):
    return None
  return np.ravel(v)


def _stored_valid(raw: np.ndarray, values: np.ndarray,
                  attrs: dict[str, Any]) -> np.ndarray:
  """The masks xarray leaves out (module doc), from the stored values."""
  raw = np.asarray(raw)
  raw = raw.astype(raw.dtype.newbyteorder('=')) if (
      raw.dtype.kind in 'iuf' and not raw.dtype.isnative) else raw
  stored = raw.dtype
  unsigned = (str(attrs.get('_Unsigned', '')).lower() == 'true'
              and stored.kind == 'i')

  def as_stored(v):  # an attribute as the data's stored (unsigned) type
    v = np.asarray(v).astype(stored)
    return v.view(f'u{stored.itemsize}') if unsigned else v

  data = as_stored(raw)
  valid = np.ones(raw.shape, bool)
  fills = [_first(attrs, '_FillValue'), _first(attrs, 'missing_value')]
  if fills[0] is None and stored.str[1:] in _DEFAULT_FILL:
    fills[0] = np.array([_DEFAULT_FILL[stored.str[1:]]])
  for fill in fills:  # (NaN fills: not finite, below)
    if fill is not None and (fill.dtype.kind in 'iu' or (
        fill.dtype.kind == 'f' and stored.kind == 'f')):
      valid &= ~np.isin(data, as_stored(fill))
  lo, hi = _first(attrs, 'valid_min'), _first(attrs, 'valid_max')
  bounds = _first(attrs, 'valid_range')
  if bounds is not None and bounds.size == 2:
    lo, hi = bounds[:1], bounds[1:]
  for bound, op in ((lo, np.greater_equal), (hi, np.less_equal)):
    if bound is None:
      continue
    if stored.kind in 'iu' and bound.dtype.kind in 'iu':
      valid &= op(data, as_stored(bound)[0])  # packed, as the file stores
    else:
      valid &= op(values, float(bound[0]))
  return valid


def lst_units(attrs: dict[str, Any], where: str) -> str:
  """``'K'`` or ``'degC'`` from LST's ``units`` (kelvin without one)."""
  units = str(attrs.get('units', 'K')).strip().lower()
  if units in _CELSIUS:
    return 'degC'
  if units in _KELVIN:
    return 'K'
  raise DataError(
      f'{where}: LST units {attrs.get("units")!r} are neither kelvin ("K") '
      'nor Celsius ("degC"). Convert the values to kelvin or Celsius and '
      'set the units (e.g. `ncatted -a units,LST,o,c,K FILE`).')


def unpack(raw: np.ndarray, attrs: dict[str, Any], where: str
           ) -> tuple[np.ndarray, np.ndarray]:
  """Stored LST values -> ``(kelvin float64, valid bool)``.

  xarray decodes (``decode``); invalid are its NaN (``_FillValue``,
  ``missing_value``), the masks it leaves out (module doc), values that
  are not finite, and values outside ``PLAUSIBLE_K`` (no land surface is
  colder or hotter: a safety net for undeclared fill values). Celsius is
  converted by the ``units`` attribute; values plainly in another unit or
  scale than that are refused (``_check_scale``).
  """
  units = lst_units(attrs, where)
  values = decode(raw, attrs, where).astype(np.float64)
  valid = np.isfinite(values) & _stored_valid(raw, values, attrs)
  _check_scale(values[valid], attrs, units, where)
  if units == 'degC':
    values = values + 273.15
  valid &= (values >= PLAUSIBLE_K[0]) & (values <= PLAUSIBLE_K[1])
  return values, valid


# Celsius a land surface reaches (about -90 to 70 degC).
_PLAUSIBLE_C = (-90.0, 80.0)


def _check_scale(values: np.ndarray, attrs: dict[str, Any], units: str,
                 where: str) -> None:
  """Refuses LST values that are plainly in another unit or scale.

  Without the check every value of such a file fails the kelvin range and
  every target is reported as flagged, which hides the cause. ``values``
  are those not masked as fill. Refused: without ``units``, values mostly
  Celsius-like and mostly not kelvin-like; else values that vary (one
  repeated value is taken for an undeclared fill), none of them plausible
  in the declared unit, and most plausible in the other unit or none in
  either.
  """
  if not values.size:
    return
  kelvin = np.mean((values >= PLAUSIBLE_K[0]) & (values <= PLAUSIBLE_K[1]))
  celsius = np.mean((values >= _PLAUSIBLE_C[0]) & (values <= _PLAUSIBLE_C[1]))
  median = f'median {np.median(values):.1f}'
  if 'units' not in attrs and celsius > 0.5 and kelvin < 0.5:
    raise DataError(
        f'{where}: LST has no units attribute and its values ({median}) '
        'look like Celsius, not kelvin. Add the units (e.g. `ncatted -a '
        'units,LST,o,c,degC FILE`, or `ds.LST.attrs["units"] = "degC"` in '
        'xarray before saving) or store kelvin.')
  if np.ptp(values) == 0 or (kelvin if units == 'K' else celsius) > 0:
    return
  if 'units' in attrs and (celsius if units == 'K' else kelvin) > 0.5:
    other = 'Celsius' if units == 'K' else 'kelvin'
    raise DataError(
        f'{where}: LST units are {attrs["units"]!r} but its values ({median})'
        f' look like {other}. Correct the units attribute (e.g. `ncatted -a '
        f'units,LST,o,c,{"degC" if units == "K" else "K"} FILE`).')
  if not kelvin and not celsius:
    raise DataError(
        f'{where}: no LST value is a land-surface temperature in kelvin or '
        f'Celsius ({median}, {values.min():.4g} to {values.max():.4g}). '
        'Check scale_factor / add_offset (packed values without them?) and '
        'units, or declare the fill value with _FillValue.')


# Microsecond datetimes where xarray has them (2025.01+): any year, not only
# 1678-2262 (nanoseconds) as older versions.
_TIME_CODER = (xr.coders.CFDatetimeCoder(time_unit='us')
               if hasattr(xr, 'coders') else True)
# Without cftime, xarray reads only the unit names in full (seconds .. days):
# UDUNITS' abbreviations are spelled out for it.
_TIME_UNIT = re.compile(r'^\s*([a-z]+)\s+since\s+', re.IGNORECASE)
_UNIT_NAMES = {'s': 'seconds', 'sec': 'seconds', 'secs': 'seconds',
               'min': 'minutes', 'mins': 'minutes', 'h': 'hours',
               'hr': 'hours', 'hrs': 'hours', 'd': 'days'}
_TIME_ERRORS = (ValueError, TypeError, OverflowError, ImportError)


def _decode_times(values: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
  units = attrs.get('units')
  match = _TIME_UNIT.match(units) if isinstance(units, str) else None
  if match:
    unit = match.group(1).lower()
    attrs = {**attrs, 'units': f'{_UNIT_NAMES.get(unit, unit)} since '
                               f'{units[match.end():]}'}
  var = xr.Variable(('time',), np.ravel(values), attrs)
  with warnings.catch_warnings():
    # Float times with fractions fall back to nanoseconds (1678-2262): fine.
    warnings.filterwarnings('ignore', '.*without precision loss',
                            xr.SerializationWarning)
    return np.asarray(conventions.decode_cf_variable(
        'time', var, decode_times=_TIME_CODER, decode_timedelta=False).values)


def cf_times(values: np.ndarray, attrs: dict[str, Any], where: str
             ) -> np.ndarray:
  """CF time values ("<unit> since <date>"), decoded by xarray -> unix
  seconds (float64)."""
  values = np.asarray(values)
  if values.dtype.kind not in 'iuf':
    raise DataError(f'{where}: the time values are {values.dtype} (e.g. '
                    f'{np.ravel(values)[:1]}), not numbers; CF times are '
                    'numbers with units "<unit> since <date>".')
  if not np.all(np.isfinite(values)):
    raise DataError(f'{where}: the time values contain NaN or infinity.')
  units, calendar = attrs.get('units'), attrs.get('calendar')
  not_cf = (f'{where}: time units {units!r} are not CF "<seconds|minutes|'
            'hours|days> since <date>" (e.g. "hours since 2020-01-01 '
            '00:00:00"), or its values give dates xarray cannot hold (before '
            '1582-10-15 in the standard calendar, which needs cftime, or '
            'absurdly far from the reference date)')
  bad_calendar = (f'{where}: calendar {calendar!r} is not supported; export '
                  'the times in the standard (Gregorian) calendar')
  try:
    times = _decode_times(values, attrs)
  except _TIME_ERRORS as e:
    try:  # does it decode in the standard calendar?
      _decode_times(values, {k: v for k, v in attrs.items()
                             if k != 'calendar'})
      message = bad_calendar if calendar is not None else not_cf
    except _TIME_ERRORS:
      message = not_cf
    raise DataError(f'{message} (xarray: {e}).') from e
  if times.dtype.kind != 'M':  # cftime objects: a non-standard calendar
    raise DataError((bad_calendar if times.dtype == object else not_cf) + '.')
  if np.isnat(times).any():
    raise DataError(f'{where}: the time values contain fill values.')
  return (times - _UNIX_EPOCH) / np.timedelta64(1, 's')


def name_time(path: str) -> float | None:
  """Unix seconds of the scan start in a NOAA ABI file name
  (``..._s%Y%j%H%M%S[tenths]_...``), or None."""
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
