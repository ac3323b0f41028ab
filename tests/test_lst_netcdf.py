"""Reading the LST grids (``tfds_builders/lst/netcdf.py`` and ``regions.py``).

xarray decodes the files; its decoding is checked here against NumPy
computations written in the tests from the stored values (read with h5py
or scipy, not xarray), together with the masks ``netcdf`` adds where xarray
does less than CF asks, time decoding, both layouts in both file formats,
and gap filling against a direct loop. The builder's tests are in
``test_lst_builder.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from tfds_builders import common
from tfds_builders import lst
from tfds_builders.lst import lst_synthetic as syn
from tfds_builders.lst import netcdf


def _stored(path, name):
  """A variable's stored values and attributes, read without xarray."""
  with open(path, 'rb') as f:
    head = f.read(3)
  if head == b'CDF':
    from scipy.io import netcdf_file  # pylint: disable=g-import-not-at-top
    with netcdf_file(path, 'r', mmap=False, maskandscale=False) as f:
      v = f.variables[name]
      raw = np.array(v.data)
      attrs = dict(v._attributes)  # pylint: disable=protected-access
    return raw.astype(raw.dtype.newbyteorder('=')), attrs
  import h5py  # pylint: disable=g-import-not-at-top
  with h5py.File(path, 'r') as f:
    return f[name][()], dict(f[name].attrs)


def _grids(hours=5, shape=(4, 6)):
  """Kelvin [hours, H, W] of the synthetic rules, NaN at fill pixels."""
  kk, yy, xx = np.meshgrid(np.arange(hours), np.arange(shape[0]),
                           np.arange(shape[1]), indexing='ij')
  kelvin = syn.lst_kelvin(syn.START + 3600 * kk, yy, xx, base=300.0,
                          amplitude=10.0, peak_hour=20.0)
  kelvin[syn.fill_mask(kk, yy, xx)] = np.nan
  return kelvin


@pytest.mark.parametrize('fmt', ['hdf5', 'netcdf3'])
def test_xarray_decoding_of_packed_lst_equals_numpy(tmp_path, fmt):
  grids = _grids()
  goes, plain = str(tmp_path / 'goes.nc'), str(tmp_path / 'plain.nc')
  syn.write_goes_file(goes, grids[0], np.zeros(grids[0].shape, np.uint8),
                      syn.START, fmt=fmt)
  syn.write_plain_file(plain, grids, None, np.arange(5.0), fmt=fmt)
  # GOES: int16 read as unsigned (_Unsigned), fill 65535 (stored -1).
  raw, attrs = _stored(goes, 'LST')
  assert raw.dtype == np.int16 and (raw == -1).any()
  u = raw.view(np.uint16).astype(np.float64)
  want = np.where(u == 65535, np.nan, u * float(attrs['scale_factor']) +
                  float(attrs['add_offset']))
  with lst.NetcdfFile(goes) as nc:
    assert nc.format == ('NetCDF4' if fmt == 'hdf5' else 'NetCDF3')
    np.testing.assert_array_equal(nc.read('LST'), raw)
    got = nc.decoded('LST')
  np.testing.assert_allclose(got, want, rtol=0, atol=1e-4, equal_nan=True)
  np.testing.assert_array_equal(np.isnan(got), np.isnan(grids[0]))
  # Plain: signed int16, fill -32767; only a slice is read.
  raw, attrs = _stored(plain, 'LST')
  index = (slice(2, 5), slice(1, 4), slice(2, 6))
  r = raw[index]
  want = np.where(r == -32767, np.nan, r.astype(np.float64) * float(
      attrs['scale_factor']) + float(attrs['add_offset']))
  assert np.isnan(want).any() and not np.isnan(want).all()
  with lst.NetcdfFile(plain) as nc:
    got = nc.decoded('LST', index)
  np.testing.assert_allclose(got, want, rtol=0, atol=1e-4, equal_nan=True)
  # Both are the written temperatures, to the packing's precision.
  np.testing.assert_allclose(got, grids[index], rtol=0, atol=0.006,
                             equal_nan=True)
  with lst.NetcdfFile(plain) as nc:
    values, valid = lst.unpack(nc.read('LST', index), nc.attrs('LST'), plain)
  np.testing.assert_array_equal(valid, ~np.isnan(want))
  np.testing.assert_allclose(values[valid], want[valid], rtol=0, atol=1e-4)


def test_unpack_handles_unsigned_fill_and_valid_range():
  raw = np.array([0, -6, -5, -1, 100], np.int16)  # unsigned 65530, ...
  attrs = {'_Unsigned': 'true', '_FillValue': np.array([-1], np.int16),
           'valid_range': np.array([0, -6], np.int16),
           'scale_factor': np.array([0.0025], np.float32),
           'add_offset': np.array([190.0], np.float32), 'units': 'K'}
  values, valid = lst.unpack(raw.astype('>i2'), attrs, 'x')
  np.testing.assert_array_equal(valid, [True, True, False, False, True])
  assert values[1] == pytest.approx(190 + 65530 * 0.0025, abs=1e-3)
  assert values[4] == pytest.approx(190.25, abs=1e-5)
  # No _FillValue: netCDF's default float fill is missing; so are NaN
  # and values no land surface reaches (here 1000 K and 20 K).
  values, valid = lst.unpack(
      np.array([300.0, 9.969209968386869e36, 1000.0, 20.0, np.nan],
               np.float32), {}, 'x')
  np.testing.assert_array_equal(valid, [True, False, False, False, False])
  # missing_value of an _Unsigned variable is unsigned too: 65535 here.
  packed = {'_Unsigned': 'true', 'missing_value': np.int16(-1),
            'scale_factor': np.float32(0.0025),
            'add_offset': np.float32(190.0)}
  _, valid = lst.unpack(np.array([-1, 100], np.int16), packed, 'x')
  np.testing.assert_array_equal(valid, [False, True])
  # Integer bounds compare with the stored values, float ones with the
  # unpacked values (300, 350 and 400 K here).
  packed = {'scale_factor': np.float32(0.05), 'add_offset': np.float32(100),
            'valid_min': np.int16(4500), 'valid_max': np.float32(360.0)}
  values, valid = lst.unpack(np.array([4000, 5000, 6000], np.int16), packed,
                             'x')
  np.testing.assert_allclose(values, [300, 350, 400], atol=1e-4)
  np.testing.assert_array_equal(valid, [False, True, False])
  # Celsius by the units attribute.
  values, valid = lst.unpack(np.array([25.0], np.float32), {'units': 'degC'},
                             'x')
  assert values[0] == pytest.approx(298.15) and valid[0]
  with pytest.raises(common.DataError, match='units'):
    lst.unpack(raw, {'units': 'furlongs'}, 'x')


def test_cf_time_units():
  def iso(units, value=0.0, **attrs):
    t = lst.cf_times(np.array([value]), {'units': units, **attrs}, 'x')[0]
    return netcdf.iso(t)
  assert iso('seconds since 2000-01-01 12:00:00') == '2000-01-01T12:00:00Z'
  assert iso('hours since 1970-01-01T00:00:00Z', 25) == '1970-01-02T01:00:00Z'
  assert iso('days since 2023-7-1', 0.5) == '2023-07-01T12:00:00Z'
  assert iso('minutes since 2020-01-01 00:00 +01:00') == '2019-12-31T23:00:00Z'
  assert iso('hours since 2023-07-01', 1.5, calendar='gregorian') == (
      '2023-07-01T01:30:00Z')
  # UDUNITS abbreviations (xarray alone reads them only with cftime).
  assert iso('hrs since 2023-07-01', 2) == '2023-07-01T02:00:00Z'
  assert iso('d Since 2023-07-01 12:00:00 -05:00', 1) == '2023-07-02T17:00:00Z'
  t = lst.cf_times(np.array([170.4]), {'units': 'seconds since 2000-01-01 '
                                       '12:00:00'}, 'x')[0]
  assert t == pytest.approx(syn.J2000 + 170.4, abs=1e-6)  # sub-second kept
  for units in ('fortnights since 2020-01-01', 'hours', 'K'):
    with pytest.raises(common.DataError, match='not CF'):
      iso(units)
  with pytest.raises(common.DataError, match='calendar'):
    iso('days since 2000-01-01', calendar='360_day')
  with pytest.raises(common.DataError, match='NaN'):
    iso('hours since 2000-01-01', np.nan)
  with pytest.raises(common.DataError, match='fill'):
    iso('hours since 2000-01-01', -9999.0, _FillValue=-9999.0)


def test_both_layouts_in_both_file_formats(tmp_path):
  grids = _grids(hours=6)
  dqf = syn.dqf_flags(*np.meshgrid(np.arange(6), np.arange(4), np.arange(6),
                                   indexing='ij'))
  a = str(tmp_path / syn.goes_name(syn.START + 3600, 'G18'))
  syn.write_goes_file(a, grids[1], dqf[1], syn.START + 3600 + 170.0,
                      fmt='hdf5')
  b = str(tmp_path / 'b' / syn.goes_name(syn.START + 5 * 3600))
  syn.write_goes_file(b, grids[5], dqf[5], None, fmt='netcdf3')
  c = str(tmp_path / 'export.nc')
  syn.write_plain_file(c, grids - 273.15, None, np.arange(6) / 24.0,
                       fmt='netcdf3', time_units='days since 2023-07-01',
                       packed=False, units='degC')
  with lst.NetcdfFile(a) as nc:
    assert nc.format == 'NetCDF4' and nc.attrs('LST')['_Unsigned'] == 'true'
    assert nc.variables == ['DQF', 'LST', 't', 'x', 'y']
    assert nc.find('lst') == 'LST' and nc.shape('DQF') == (4, 6)
  with lst.NetcdfFile(c) as nc:
    assert nc.format == 'NetCDF3'
  hour = syn.START // 3600
  for path, layout, hours in ((a, 'goes', [hour + 1]),  # from t
                              (b, 'goes', [hour + 5]),  # from the name
                              (c, 'plain', list(range(hour, hour + 6)))):
    info = lst.scan_file(path)
    assert (info.layout, info.shape, info.hours) == (layout, (4, 6), hours)
  # The plain file's patches: Celsius to kelvin, NaN fill invalid.
  region = lst.scan_region('c', [c])
  values, valid, has_file = lst.read_patches(region, hour + 1, hour + 5,
                                             [(1, 3, 2, 4), (2, 4, 4, 6)])
  assert values.shape == (2, 4, 2, 2) and has_file.all()
  for i, (r0, r1, c0, c1) in enumerate([(1, 3, 2, 4), (2, 4, 4, 6)]):
    want = grids[1:5, r0:r1, c0:c1]
    np.testing.assert_array_equal(valid[i], ~np.isnan(want))
    np.testing.assert_allclose(values[i][valid[i]], want[~np.isnan(want)],
                               atol=1e-3)
  # Files xarray cannot read are refused, naming the file.
  cdf5 = tmp_path / 'cdf5.nc'
  cdf5.write_bytes(b'CDF\x05' + bytes(60))
  with pytest.raises(common.DataError, match='CDF-5') as e:
    lst.NetcdfFile(str(cdf5))
  assert str(cdf5) in str(e.value)


def loop_fill(values, valid):
  """Direct reference: per pixel, linear between valid hours, nearest at
  the ends; pixels never valid get the hour's mean of the others."""
  t_len = values.shape[0]
  out = np.zeros(values.shape, np.float64)
  never = []
  for idx in np.ndindex(values.shape[1:]):
    good = [t for t in range(t_len) if valid[(t,) + idx]]
    if not good:
      never.append(idx)
      continue
    def v(u, idx=idx):
      return float(values[(u,) + idx])
    for t in range(t_len):
      if valid[(t,) + idx]:
        out[(t,) + idx] = v(t)
      elif t < good[0]:
        out[(t,) + idx] = v(good[0])
      elif t > good[-1]:
        out[(t,) + idx] = v(good[-1])
      else:
        a = max(u for u in good if u < t)
        b = min(u for u in good if u > t)
        out[(t,) + idx] = v(a) + (t - a) / (b - a) * (v(b) - v(a))
  for t in range(t_len):
    filled = [out[(t,) + idx] for idx in np.ndindex(values.shape[1:])
              if idx not in never]
    for idx in never:
      out[(t,) + idx] = sum(filled) / len(filled)
  return out


def test_gap_fill_matches_a_direct_loop():
  rng = np.random.default_rng(0)
  for trial in range(6):
    values = rng.normal(300, 5, (10, 3, 3))
    valid = rng.random((10, 3, 3)) < (0.15 + 0.15 * trial)
    valid[:, 0, 0] = False  # never valid: the hour's spatial mean
    valid[0, 1, 1] = valid[-1, 1, 1] = False  # nearest at both ends
    valid[:, 2, 2] = False
    valid[4, 2, 2] = True  # a single valid hour: constant
    values[~valid] = np.nan  # never read
    got = lst.gap_fill(values, valid)
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, loop_fill(values, valid), rtol=0,
                               atol=1e-4)
    np.testing.assert_array_equal(got[valid],
                                  values[valid].astype(np.float32))
  with pytest.raises(ValueError, match='no valid entry'):
    lst.gap_fill(np.zeros((3, 2)), np.zeros((3, 2), bool))


def test_values_in_another_unit_or_scale_are_refused_not_flagged():
  kelvin = np.array([280.0, 295.5, 310.0, 301.0])
  for values, attrs, match in [
      (kelvin - 273.15, {'units': 'K'}, "units are 'K' but"),
      (kelvin, {'units': 'degC'}, 'look like kelvin'),
      (kelvin - 273.15, {}, 'no units attribute'),
      (kelvin * 100, {'units': 'K'}, 'no LST value is a land-surface'),
      (kelvin * 100, {}, 'no LST value is a land-surface')]:
    with pytest.raises(common.DataError, match=match) as e:
      lst.unpack(values, attrs, 'f.nc')
    assert str(e.value).startswith('f.nc: ')
  # Not refused, only invalid: one repeated value (an undeclared fill, e.g.
  # a patch over the sea), and implausible values beside plausible ones.
  for values in (np.full(4, -9999.0), np.full(4, 0.0),
                 np.r_[kelvin, 0.0, 0.0, 0.0, 0.0, 0.0]):
    for attrs in ({'units': 'K'}, {'units': 'degC'}):
      got, valid = lst.unpack(values, attrs, 'f.nc')
      plausible = (got >= 150) & (got <= 400)
      np.testing.assert_array_equal(valid, plausible)
