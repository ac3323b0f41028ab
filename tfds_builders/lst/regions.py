"""One region's LST files: which hour each holds, patches, gap filling.

``find_regions`` lists the NetCDF files of ``manual_dir`` by region (one
sub-folder per region, its files at any depth; files in ``manual_dir``
itself form a region named after it), ``scan_region`` checks that a
region's files share one grid and puts every grid on the nearest whole
UTC hour (two grids on one hour are an error), ``read_patches`` reads and
decodes only the patches and hours asked for (``netcdf``), and
``gap_fill`` fills a window's invalid pixels from the window alone.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Sequence

import numpy as np

from tfds_builders.lst import netcdf

DataError = netcdf.DataError
EXTENSIONS = ('.nc', '.nc4')


@dataclasses.dataclass
class FileInfo:
  """What a first look at one file found."""
  path: str
  layout: str  # 'goes' (one 2-D grid) or 'plain' (time, y, x)
  shape: tuple[int, int]
  hours: list[int]  # unix hours (unix seconds // 3600), one per grid


def scan_file(path: str) -> FileInfo:
  """Layout, grid and hours of one file (reads no LST values)."""
  with netcdf.NetcdfFile(path) as nc:
    lst = nc.find('LST')
    if lst is None:
      raise DataError(
          f'{path}: no variable LST; it has {nc.variables}. Expected the '
          'GOES ABI-L2-LSTC layout (2-D LST, DQF, t) or the plain layout '
          '(LST (time, y, x) and time).')
    shape = nc.shape(lst)
    if nc.dtype(lst).kind not in 'iuf':
      raise DataError(f'{path}: LST holds {nc.dtype(lst)} values, not '
                      'numbers; store temperatures as numbers (kelvin, or '
                      'Celsius with units "degC").')
    netcdf.lst_units(nc.attrs(lst), path)
    dqf = nc.find('DQF')
    if dqf is not None and nc.shape(dqf) != shape:
      raise DataError(f'{path}: DQF has shape {nc.shape(dqf)} but LST '
                      f'{shape}; they must match.')
    if len(shape) == 2:
      layout = 'goes'
      t = nc.find('t') or nc.find('time')  # 'time': one hour from xarray
      if t is not None:
        values = nc.read(t).ravel()
        if values.size != 1:
          raise DataError(f'{path}: {t} holds {values.size} values; a 2-D '
                          'LST grid needs exactly one time.')
        times = netcdf.cf_times(values, nc.attrs(t), f'{path}: {t}')
      else:
        name_t = netcdf.name_time(path)
        if name_t is None:
          raise DataError(
              f'{path}: no time: neither a variable t (or time) nor a scan '
              'start "_sYYYYJJJHHMMSS" in the file name (as NOAA names ABI '
              'files). Keep the original file names, or use the plain '
              'layout with a time coordinate.')
        times = np.array([name_t])
    elif len(shape) == 3:
      layout = 'plain'
      t = nc.find('time')
      if t is None:
        raise DataError(f'{path}: LST is 3-D (time, y, x) but there is no '
                        f'time variable; variables: {nc.variables}.')
      t_dims, dims = nc.dims(t), nc.dims(lst)
      if (len(t_dims) == 1 and t_dims[0] in dims[1:] and
          not t_dims[0].startswith('phony_dim')):  # (h5netcdf's unnamed)
        raise DataError(
            f'{path}: LST has dimensions {dims}; time ({t_dims[0]}) must be '
            f'the first: transpose it, e.g. in xarray `ds["LST"] = '
            f'ds.LST.transpose("{t_dims[0]}", ...)` before saving.')
      values = nc.read(t).ravel()
      if values.size != shape[0]:
        raise DataError(f'{path}: time has {values.size} values but LST '
                        f'{shape[0]} grids along its first axis; the '
                        'layout must be LST (time, y, x).')
      times = netcdf.cf_times(values, nc.attrs(t), f'{path}: time')
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


def find_regions(manual_dir: str, ignored: list[str] | None = None
                 ) -> dict[str, list[str]]:
  """Region name -> sorted NetCDF paths (see the module doc).

  A region's files are those at any depth under its sub-folder (``aws s3
  cp --recursive`` keeps NOAA's ``DAY/HOUR/`` folders); files that are not
  ``.nc`` / ``.nc4`` (e.g. ``.nc.gz``, ``.part``, hidden ``._*.nc``) are
  appended to ``ignored``.
  """
  ignored = [] if ignored is None else ignored

  def keep(path):
    name = os.path.basename(path)
    if name.lower().endswith(EXTENSIONS) and not name.startswith('.') and (
        os.path.isfile(path)):
      return True
    ignored.append(path)
    return False

  def nc_files(folder):
    found = []
    for d, dirs, names in os.walk(folder):
      dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
      found += [p for p in (os.path.join(d, n) for n in names) if keep(p)]
    return sorted(found)

  out = {}
  top = sorted(p for p in (os.path.join(manual_dir, f)
                           for f in os.listdir(manual_dir))
               if not os.path.isdir(p) and keep(p))
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
        other, j = sources[hour]
        if other == path:  # a plain file with two times on one hour
          raise DataError(
              f'{path}: time steps {j} and {i} both fall on '
              f'{netcdf.iso(hour * 3600)} (nearest whole hour); the builder '
              'takes one grid per hour: keep one of them (for sub-hourly '
              'data, e.g. `ds.resample(time="1h").nearest()` in xarray).')
        raise DataError(
            f'{path}: a grid on {netcdf.iso(hour * 3600)} (nearest whole '
            f'hour), which {other} also has; the builder takes one grid per '
            'hour and region: remove one of them.')
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
    with netcdf.NetcdfFile(path) as nc:
      lst, dqf = nc.find('LST'), nc.find('DQF')
      rows = np.array([k for k, _ in items])
      has_file[rows] = True
      if items[0][1] is None:
        prefix, pick = (), slice(None)
      else:
        idx = np.array([i for _, i in items])
        prefix = (slice(int(idx.min()), int(idx.max()) + 1),)
        pick = idx - idx.min()
      # A 2-D (GOES) file's boxes are decoded together (xarray's decoding
      # costs per call); a 3-D file's one by one, as each holds all the
      # file's hours asked for.
      for group in ([range(len(boxes))] if not prefix
                    else [[c] for c in range(len(boxes))]):
        index = [prefix + (slice(r0, r1), slice(c0, c1))
                 for r0, r1, c0, c1 in (boxes[c] for c in group)]
        v, ok = netcdf.unpack(np.stack([nc.read(lst, i) for i in index]),
                              nc.attrs(lst), path)
        if dqf is not None:  # 0 = good; DQF's own fill decodes to NaN
          ok &= netcdf.decode(np.stack([nc.read(dqf, i) for i in index]),
                              nc.attrs(dqf), path, dqf) == 0
        v[~ok] = 0.0  # fill values never reach the float32 cast
        if not prefix:
          v, ok = v[:, None], ok[:, None]
        for j, c in enumerate(group):
          values[c, rows] = v[j, pick]
          valid[c, rows] = ok[j, pick]
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

