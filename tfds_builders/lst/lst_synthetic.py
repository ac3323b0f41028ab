"""Synthetic hourly land-surface temperature, written as real NetCDF files.

Used by ``make_dummy_data.py`` and the tests. The temperature is known in
closed form (``lst_kelvin``), so a builder's targets and windows can be
checked against it:

    LST(t, y, x) = base + 0.25 y - 0.15 x
                   + amplitude cos(2 pi (t / 3600 s - peak_hour) / 24)

(``t`` in unix seconds, so ``peak_hour`` is the UTC hour of the daily
maximum). Bad pixels follow fixed rules of the hour index ``k`` (hours since
``START``) and the pixel:

* ``dqf_flags``: DQF 3 (cloud) where ``(5 k + 3 y + 7 x) % 13 == 0``, and
  DQF 2 at every hour at each region's ``dead`` pixels;
* ``fill_mask``: the LST is the fill value (DQF still 0) where
  ``(k + y + 2 x) % 17 == 0``;
* ``REGIONS[name]['missing']``: hours with no file at all (GOES layout).

Writers: ``write_goes_file`` (the GOES ABI-L2-LSTC layout: one 2-D grid per
file, ``LST`` packed as 16-bit unsigned with ``scale_factor`` 0.0025 K,
``add_offset`` 190 K, ``_FillValue`` 65535, ``DQF``, and the scan-midpoint
time ``t`` in seconds since 2000-01-01 12:00:00 UTC) and
``write_plain_file`` (``LST (time, y, x)``, ``DQF``, a ``time`` coordinate),
each as NetCDF3 classic (``scipy.io.netcdf_file``) or as NetCDF4/HDF5
(``h5py``, with netCDF-style dimension scales and attributes).
"""

from __future__ import annotations

import datetime
import math
import os

import numpy as np

START = 1688169600  # 2023-07-01T00:00:00Z, unix seconds
J2000 = 946728000  # 2000-01-01T12:00:00Z, the epoch of GOES 't'

# The dummy regions: layout, grid and diurnal cycle (see the module doc).
REGIONS = {
    'sonoran': dict(layout='plain', fmt='hdf5', shape=(8, 8),
                    hours=range(72), base=305.0, amplitude=14.0, peak_hour=21.0,
                    dead=((3, 3),), missing=()),
    'great_plains': dict(layout='goes', fmt='netcdf3', shape=(6, 10),
                         hours=range(32, 72), base=298.0, amplitude=9.0,
                         peak_hour=20.0, dead=(), missing=(40, 41, 50, 60)),
}
# Packing of the GOES layout (as NOAA's LSTC files) and of the plain one.
GOES_PACKING = dict(scale=0.0025, offset=190.0, fill=-1)  # int16, unsigned
PLAIN_PACKING = dict(scale=0.01, offset=300.0, fill=-32767)  # int16


def lst_kelvin(unix_s, y, x, *, base: float, amplitude: float,
               peak_hour: float, **unused) -> np.ndarray:
  """The true LST (K) at unix time(s) ``unix_s`` and pixel(s) ``(y, x)``."""
  del unused
  h = np.asarray(unix_s, np.float64) / 3600.0
  return (base + 0.25 * np.asarray(y) - 0.15 * np.asarray(x) +
          amplitude * np.cos(2 * math.pi * (h - peak_hour) / 24.0))


def dqf_flags(k, y, x, dead=()) -> np.ndarray:
  """DQF (uint8) at hour index(es) ``k`` (hours since ``START``)."""
  k, y, x = np.broadcast_arrays(np.asarray(k), np.asarray(y), np.asarray(x))
  out = np.where((5 * k + 3 * y + 7 * x) % 13 == 0, 3, 0).astype(np.uint8)
  for dy, dx in dead:
    out[(y == dy) & (x == dx)] = 2
  return out


def fill_mask(k, y, x) -> np.ndarray:
  """Where the LST is the fill value (with DQF 0)."""
  return (np.asarray(k) + np.asarray(y) + 2 * np.asarray(x)) % 17 == 0


def valid(k, y, x, dead=()) -> np.ndarray:
  """Where a pixel of an existing file is usable: DQF 0 and not fill."""
  return (dqf_flags(k, y, x, dead) == 0) & ~fill_mask(k, y, x)


def pack(kelvin, scale: float, offset: float) -> np.ndarray:
  """Packed integers ``round((K - offset) / scale)`` (int64)."""
  return np.round((np.asarray(kelvin, np.float64) - offset) /
                  scale).astype(np.int64)


def stored_kelvin(kelvin, scale: float, offset: float) -> np.ndarray:
  """What a reader unpacks: ``pack(K) * scale + offset`` (float64)."""
  return pack(kelvin, scale, offset) * scale + offset


def region_grids(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """``(unix seconds [N], LST K [N, H, W], DQF [N, H, W])`` of a
  region's hours, fill pixels as NaN, before dropping its missing hours."""
  r = REGIONS[name]
  k = np.asarray(r['hours'])
  h, w = r['shape']
  kk, yy, xx = np.meshgrid(k, np.arange(h), np.arange(w), indexing='ij')
  lst = lst_kelvin(START + 3600 * kk, yy, xx, **r)
  lst[fill_mask(kk, yy, xx)] = np.nan
  return START + 3600 * k, lst, dqf_flags(kk, yy, xx, r['dead'])


def goes_name(unix_s: float, satellite: str = 'G16') -> str:
  """A NOAA-style file name; the scan starts 21.7 s after ``unix_s``."""
  def stamp(t):
    d = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
    return d.strftime('%Y%j%H%M%S') + str(int(d.microsecond // 100000))
  s = unix_s + 21.7
  return (f'OR_ABI-L2-LSTC-M6_{satellite}_s{stamp(s)}_e{stamp(s + 300)}_'
          f'c{stamp(s + 400)}.nc')


def write_goes_file(path: str, lst_k: np.ndarray, dqf: np.ndarray,
                    t_unix: float | None, *, fmt: str = 'netcdf3') -> None:
  """One hour in the GOES ABI-L2-LSTC layout (2-D ``LST``, ``DQF``, ``t``).

  Args:
    path: file to write.
    lst_k: ``[H, W]`` kelvin; NaN is written as the fill value.
    dqf: ``[H, W]`` quality flags (0 = good).
    t_unix: the scan midpoint (unix seconds), written as ``t`` in seconds
      since 2000-01-01 12:00:00; None: no ``t`` (time from the file name).
    fmt: ``'netcdf3'`` (classic) or ``'hdf5'`` (NetCDF4).
  """
  p = GOES_PACKING
  raw = pack(np.nan_to_num(lst_k, nan=p['offset']), p['scale'], p['offset'])
  raw = np.clip(raw, 0, 65530).astype(np.uint16)
  raw[np.isnan(lst_k)] = 65535
  raw = raw.view(np.int16)  # netCDF-3 has no uint16: _Unsigned = "true"
  lst_attrs = {'units': 'K', 'scale_factor': np.float32(p['scale']),
               'add_offset': np.float32(p['offset']),
               '_FillValue': np.int16(p['fill']), '_Unsigned': 'true',
               'valid_range': np.array([0, -6], np.int16)}
  dqf_attrs = {'_FillValue': np.int8(-1), '_Unsigned': 'true',
               'flag_values': np.array([0, 1, 2, 3, 4, 5], np.int8)}
  variables = {
      'LST': (raw, ('y', 'x'), lst_attrs),
      'DQF': (np.asarray(dqf, np.uint8).view(np.int8), ('y', 'x'),
              dqf_attrs)}
  if t_unix is not None:
    variables['t'] = (np.float64(t_unix - J2000), (), {
        'units': 'seconds since 2000-01-01 12:00:00'})
  _write(path, fmt, {'y': raw.shape[0], 'x': raw.shape[1]}, variables)


def write_plain_file(path: str, lst_k: np.ndarray, dqf: np.ndarray | None,
                     times: np.ndarray, *, fmt: str = 'hdf5',
                     time_units: str = 'hours since 2023-07-01 00:00:00',
                     packed: bool = True, units: str | None = 'K') -> None:
  """A plain ``(time, y, x)`` LST file.

  Args:
    path: file to write.
    lst_k: ``[T, H, W]`` temperatures in ``units``; NaN is the fill value
      (``_FillValue`` -32767 when ``packed``, else NaN itself).
    dqf: ``[T, H, W]`` quality flags or None (no DQF variable).
    times: ``[T]`` values of the ``time`` coordinate, in ``time_units``.
    fmt: ``'hdf5'`` (NetCDF4) or ``'netcdf3'`` (classic).
    time_units: CF units of ``time``.
    packed: int16 with ``scale_factor``/``add_offset`` (else float32).
    units: of ``LST`` (``'K'`` or ``'degC'``; None: no ``units``).
  """
  lst_k = np.asarray(lst_k, np.float64)
  if packed:
    p = PLAIN_PACKING
    raw = pack(np.nan_to_num(lst_k, nan=p['offset']), p['scale'],
               p['offset']).astype(np.int16)
    raw[np.isnan(lst_k)] = p['fill']
    attrs = {'units': units, 'scale_factor': np.float32(p['scale']),
             'add_offset': np.float32(p['offset']),
             '_FillValue': np.int16(p['fill'])}
  else:
    raw = lst_k.astype(np.float32)
    attrs = {'units': units, '_FillValue': np.float32(np.nan)}
  variables = {
      'time': (np.asarray(times, np.float64), ('time',),
               {'units': time_units, 'calendar': 'standard'}),
      'LST': (raw, ('time', 'y', 'x'), attrs)}
  if dqf is not None:
    variables['DQF'] = (np.asarray(dqf, np.uint8).view(np.int8),
                        ('time', 'y', 'x'), {'_Unsigned': 'true'})
  if units is None:
    del attrs['units']
  _write(path, fmt, dict(zip(('time', 'y', 'x'), raw.shape)), variables)


def _write(path: str, fmt: str, dims: dict[str, int],
           variables: dict[str, tuple]) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  if fmt == 'netcdf3':
    from scipy.io import netcdf_file  # pylint: disable=g-import-not-at-top
    with netcdf_file(path, 'w', version=1) as f:
      for name, size in dims.items():
        f.createDimension(name, size)
      for name, (data, vdims, attrs) in variables.items():
        v = f.createVariable(name, np.asarray(data).dtype, vdims)
        v.data[...] = data
        for key, value in attrs.items():
          setattr(v, key, value)
  elif fmt == 'hdf5':
    import h5py  # pylint: disable=g-import-not-at-top
    with h5py.File(path, 'w') as f:
      f.attrs['Conventions'] = np.bytes_('CF-1.7')
      for name, size in dims.items():
        if name not in variables:  # a dimension without a coordinate
          d = f.create_dataset(name, data=np.arange(size, dtype=np.float32))
          d.make_scale(name)
      for name, (data, vdims, attrs) in variables.items():
        # Deflate with shuffle, as netCDF-4 does (keeps dummy_data small).
        big = np.ndim(data) >= 2
        d = f.create_dataset(name, data=data,
                             compression='gzip' if big else None,
                             compression_opts=9 if big else None,
                             shuffle=big)
        for key, value in attrs.items():
          # netCDF-4 writes text attributes as fixed-length strings.
          d.attrs[key] = np.bytes_(value) if isinstance(value, str) else value
        if vdims == (name,):
          d.make_scale(name)
      for name, (_, vdims, _) in variables.items():
        for i, dim in enumerate(vdims):
          if dim != name:
            f[name].dims[i].attach_scale(f[dim])
  else:
    raise ValueError(f"fmt must be 'netcdf3' or 'hdf5', got {fmt!r}.")


def write_region(folder: str, name: str) -> list[str]:
  """Writes dummy region ``name`` (``REGIONS``) into ``folder``; returns
  the paths written."""
  r = REGIONS[name]
  hours, lst, dqf = region_grids(name)
  paths = []
  if r['layout'] == 'plain':
    path = os.path.join(folder, f'lst_{name}.nc')
    write_plain_file(path, lst, dqf, (hours - START) / 3600.0, fmt=r['fmt'])
    paths.append(path)
  else:
    for k, t in zip(r['hours'], hours):
      if k in r['missing']:
        continue
      mid = float(t) + 170.4  # the scan midpoint, minutes after the hour
      path = os.path.join(folder, goes_name(float(t)))
      i = k - r['hours'][0]
      write_goes_file(path, lst[i], dqf[i], mid, fmt=r['fmt'])
      paths.append(path)
  return paths
