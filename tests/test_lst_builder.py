"""The land-surface temperature builder (``tfds_builders/lst``).

Reading and decoding the files is tested in ``test_lst_netcdf.py``. All
offline: ``dummy_data/`` (written by ``make_dummy_data.py``) and small
files written here, whose temperature, quality flags and missing hours
follow the closed-form rules of ``tfds_builders.lst.lst_synthetic``, so
counts, windows and targets are checked against those rules directly.
"""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

from simper_jax import datasets
from tests import test_lst_netcdf
from tfds_builders import common
from tfds_builders import lst
from tfds_builders.lst import lst_synthetic as syn

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUMMY = os.path.join(_ROOT, 'tfds_builders', 'lst', 'dummy_data')
# The dummy build: 12-hour windows of 4x4 patches, target 1 hour later.
W, P, H = 12, 4, 1
# Records cover hours 0..71 after syn.START (over both regions); 25 % test:
# the boundary is hour round(0.75 * 72) = 54.
BOUNDARY = 54
PACKING = {'plain': syn.PLAIN_PACKING, 'goes': syn.GOES_PACKING}


def _build(data_dir, manual_dir, **config):
  builder = lst.Builder(config=lst.LstConfig(name='t', **config),
                        data_dir=str(data_dir))
  datasets.build(builder, str(manual_dir))
  return builder


def _examples(builder, split):
  source = builder.as_data_source(split=split)
  out = [source[i] for i in range(len(source))]
  for ex in out:
    if isinstance(ex['region'], bytes):
      ex['region'] = ex['region'].decode()
  return out


@pytest.fixture(scope='module')
def dummy(tmp_path_factory):
  builder = _build(tmp_path_factory.mktemp('tfds'), DUMMY, window_hours=W,
                   patch=P, horizon_hours=H)
  return builder, {s: _examples(builder, s) for s in ('train', 'test')}


def _centre(region):
  h, w = syn.REGIONS[region]['shape']
  return h // 2, w // 2


def _expected(region, split, window=W, horizon=H, boundary=BOUNDARY):
  """Counts from the generator's rules: candidates and why skipped."""
  r = syn.REGIONS[region]
  first, end = r['hours'][0], r['hours'][-1] + 1
  lo, hi = ((first, min(boundary, end)) if split == 'train'
            else (max(boundary, first), end))
  cy, cx = _centre(region)
  out = collections.Counter()
  span = window + horizon
  for start in range(lo, hi - span + 1):
    k = start + span - 1  # the target hour
    out['candidate_windows'] += 1
    if k in r['missing']:
      out['skipped_target_no_file'] += 1
    elif not syn.valid(k, cy, cx, r['dead']):
      out['skipped_target_invalid'] += 1
    else:
      out['examples'] += 1
  return out


def test_dummy_data_is_tiny():
  size = sum(os.path.getsize(os.path.join(d, f))
             for d, _, fs in os.walk(DUMMY) for f in fs)
  assert size < 80_000, size


def test_dummy_data_builds_with_the_documented_features(dummy):
  builder, examples = dummy
  report = builder.info.metadata['build_report']
  for split, exs in examples.items():
    assert exs, split
    for ex in exs:
      assert ex['patches'].shape == (W, P, P, 2)
      assert ex['patches'].dtype == np.float32
      assert np.isfinite(ex['patches']).all()
      assert set(np.unique(ex['patches'][..., 1])) <= {0.0, 1.0}
      assert np.asarray(ex['lst']).dtype == np.float32 or isinstance(
          ex['lst'], float)
      assert 250 < float(ex['lst']) < 340
      assert ex['region'] in syn.REGIONS
      assert tuple(ex['centre']) == _centre(ex['region'])
      assert np.asarray(ex['centre']).dtype == np.int32
      assert float(ex['valid_fraction']) == pytest.approx(
          float(ex['patches'][..., 1].mean()))
    by_region = collections.Counter(ex['region'] for ex in exs)
    want = {k: sum(_expected(r, split)[k] for r in syn.REGIONS)
            for k in ('candidate_windows', 'examples',
                      'skipped_target_no_file', 'skipped_target_invalid')}
    assert by_region == {r: _expected(r, split)['examples']
                         for r in syn.REGIONS}
    for key, value in want.items():
      assert report[split][key] == value, (split, key)
    assert report[split]['examples'] == len(exs)
    assert report[split]['skipped_sparse_window'] == 0
  # The dummy data has both kinds of skipped target in train.
  assert report['train']['skipped_target_no_file'] == 1
  assert report['train']['skipped_target_invalid'] > 0
  # Windows that would cross the boundary: span - 1 = 12 per region.
  assert report['train']['windows_cut_by_split'] == 2 * (W + H - 1)
  meta = builder.info.metadata['regions']
  assert meta['great_plains']['layouts'] == ['goes']
  assert meta['great_plains']['files'] == 40 - 4
  assert meta['sonoran'] == {
      'grid': [8, 8], 'files': 1, 'layouts': ['plain'],
      'hours_with_data': 72, 'first_hour': '2023-07-01T00:00:00Z',
      'last_hour': '2023-07-03T23:00:00Z', 'centres': [[4, 4]]}


def _hours(ex, window=W, horizon=H):
  """Every hour (unix hours) an example uses: its window and its target."""
  target = int(ex['time']) // 3600
  return set(range(target - horizon - window + 1, target - horizon + 1)
             ) | {target}


def test_splits_are_time_disjoint(dummy):
  builder, examples = dummy
  boundary = (syn.START // 3600) + BOUNDARY
  assert builder.info.metadata['split']['boundary_unix'] == boundary * 3600
  used = {s: set().union(*(_hours(e) for e in exs))
          for s, exs in examples.items()}
  assert not used['train'] & used['test']
  assert max(used['train']) < boundary <= min(used['test'])
  for region in syn.REGIONS:  # also per region, and both sides non-empty
    per = {s: set().union(*(_hours(e) for e in exs if e['region'] == region))
           for s, exs in examples.items()}
    assert per['train'] and per['test']
    assert max(per['train']) < min(per['test'])


def _truth(region, unix_s, y, x):
  r = syn.REGIONS[region]
  p = PACKING[r['layout']]
  return syn.stored_kelvin(syn.lst_kelvin(unix_s, y, x, **r), p['scale'],
                           p['offset'])


def test_target_is_the_centre_lst_horizon_hours_after_the_window(dummy):
  _, examples = dummy
  checked = 0
  for ex in examples['train'] + examples['test']:
    cy, cx = _centre(ex['region'])
    t = int(ex['time'])
    assert t % 3600 == 0
    assert float(ex['lst']) == pytest.approx(
        _truth(ex['region'], t, cy, cx), abs=1e-3)
    # The window's last hour is `horizon` hours earlier: the diurnal cycle
    # moves the centre by more than 0.5 K an hour there at most times, so
    # a target shifted by one hour would be caught.
    last = ex['patches'][-1, P // 2, P // 2]
    if last[1] == 1.0:
      assert last[0] == pytest.approx(
          _truth(ex['region'], t - H * 3600, cy, cx), abs=1e-3)
      checked += 1
  assert checked > 20
  moves = [abs(_truth(e['region'], int(e['time']), *_centre(e['region'])) -
               _truth(e['region'], int(e['time']) - 3600,
                      *_centre(e['region'])))
           for e in examples['train']]
  assert np.mean(np.array(moves) > 0.5) > 0.6


def test_longer_horizon_targets_the_right_hour(tmp_path):
  builder = _build(tmp_path, DUMMY, window_hours=8, patch=2,
                   horizon_hours=5, stride_hours=3)
  n = 0
  for split in ('train', 'test'):
    for ex in _examples(builder, split):
      cy, cx = _centre(ex['region'])
      t = int(ex['time'])
      assert float(ex['lst']) == pytest.approx(
          _truth(ex['region'], t, cy, cx), abs=1e-3)
      last = ex['patches'][-1, 1, 1]  # patch // 2 = 1
      if last[1]:
        assert last[0] == pytest.approx(
            _truth(ex['region'], t - 5 * 3600, cy, cx), abs=1e-3)
      n += 1
  assert n > 10


def test_windows_are_the_raw_grids_gap_filled_like_a_direct_loop(dummy):
  _, examples = dummy
  seen_never_valid = False
  for ex in examples['train'][::3] + examples['test']:
    r = syn.REGIONS[ex['region']]
    cy, cx = _centre(ex['region'])
    k_last = (int(ex['time']) - syn.START) // 3600 - H
    ks = np.arange(k_last - W + 1, k_last + 1)
    kk, yy, xx = np.meshgrid(ks, np.arange(cy - P // 2, cy - P // 2 + P),
                             np.arange(cx - P // 2, cx - P // 2 + P),
                             indexing='ij')
    have = np.isin(kk, list(r['hours'])) & ~np.isin(kk, r['missing'])
    ok = have & syn.valid(kk, yy, xx, r['dead'])
    raw = _truth(ex['region'], syn.START + 3600 * kk, yy, xx)
    np.testing.assert_array_equal(ex['patches'][..., 1], ok)
    np.testing.assert_allclose(ex['patches'][..., 0],
                               test_lst_netcdf.loop_fill(raw, ok), rtol=0,
                               atol=2e-3)
    seen_never_valid |= bool((~ok).all(axis=0).any())
  assert seen_never_valid  # sonoran's dead pixel (3, 3) is in the patch


def _write_three_layouts(raw, hours=30):
  """alpha: GOES layout, NetCDF4/HDF5, time from t; beta: GOES layout,
  NetCDF3, no t (time from the file name); gamma: plain layout, NetCDF3,
  float32 degC, NaN fill, no DQF, time in days."""
  params = {'alpha': dict(base=300.0, amplitude=10.0, peak_hour=20.0),
            'beta': dict(base=290.0, amplitude=6.0, peak_hour=19.0),
            'gamma': dict(base=310.0, amplitude=12.0, peak_hour=21.0)}
  kk, yy, xx = np.meshgrid(np.arange(hours), np.arange(4), np.arange(6),
                           indexing='ij')
  t = syn.START + 3600 * kk
  for name in ('alpha', 'beta'):
    grids = syn.lst_kelvin(t, yy, xx, **params[name])
    grids[syn.fill_mask(kk, yy, xx)] = np.nan
    dqf = syn.dqf_flags(kk, yy, xx)
    for k in range(hours):
      unix = syn.START + 3600 * k
      syn.write_goes_file(
          str(raw / name / syn.goes_name(unix, 'G18')), grids[k], dqf[k],
          unix + 170.0 if name == 'alpha' else None,
          fmt='hdf5' if name == 'alpha' else 'netcdf3')
  celsius = syn.lst_kelvin(t, yy, xx, **params['gamma']) - 273.15
  celsius[syn.fill_mask(kk, yy, xx)] = np.nan
  syn.write_plain_file(str(raw / 'gamma' / 'export.nc'), celsius, None,
                       np.arange(hours) / 24.0, fmt='netcdf3',
                       time_units='days since 2023-07-01', packed=False,
                       units='degC')
  return params


def test_builds_both_layouts_in_both_file_formats(tmp_path):
  raw = tmp_path / 'raw'
  params = _write_three_layouts(raw)
  # delta: 5 hours only, too few for one example (noted in the report).
  syn.write_plain_file(str(raw / 'delta' / 'short.nc'),
                       np.full((5, 4, 6), 300.0), None, np.arange(5.0),
                       fmt='hdf5', time_units='hours since 2023-07-01')
  builder = _build(tmp_path / 'tfds', raw, window_hours=6, patch=2,
                   horizon_hours=2, centres=((2, 3),), test_fraction=0.3)
  counts = collections.Counter()
  for split in ('train', 'test'):
    for ex in _examples(builder, split):
      name = ex['region']
      t = int(ex['time'])
      k = (t - syn.START) // 3600
      want = syn.lst_kelvin(t, 2, 3, **params[name])
      tol = 2e-3 if name != 'gamma' else 1e-3  # packed vs float32
      assert float(ex['lst']) == pytest.approx(want, abs=tol)
      assert not syn.fill_mask(k, 2, 3)
      if name != 'gamma':
        assert syn.dqf_flags(k, 2, 3) == 0
      counts[name, split] += 1
  assert set(counts) == {(n, s) for n in params for s in ('train', 'test')}
  report = builder.info.metadata['build_report']
  # gamma has no DQF: only its fill values make targets invalid.
  want_invalid = 0
  for name in params:
    for start in range(0, 21 - 8 + 1):  # train: hours 0..20 (0.7 * 30)
      k = start + 7
      bad = syn.fill_mask(k, 2, 3) or (name != 'gamma' and
                                       syn.dqf_flags(k, 2, 3) != 0)
      want_invalid += bool(bad)
  assert report['train']['skipped_target_invalid'] == want_invalid
  assert report['train']['notes'] == [
      "region 'delta': only 5 hours in train, fewer than the 8 of one "
      'example; none made there']


def _key(ex):
  return ex['region'], tuple(ex['centre']), int(ex['time'])


def test_centres_read_in_groups_give_the_same_examples(tmp_path,
                                                       monkeypatch):
  centres = ((2, 3), (3, 5), (4, 4))
  one = _build(tmp_path / 'a', DUMMY, window_hours=W, patch=2,
               centres=centres)
  # At most one centre's patches held at a time: three passes per region.
  monkeypatch.setattr(lst.lst_dataset_builder, '_MAX_STACK_BYTES', 1)
  other = _build(tmp_path / 'b', DUMMY, window_hours=W, patch=2,
                 centres=centres)
  for split in ('train', 'test'):
    a, b = _examples(one, split), _examples(other, split)
    a, b = sorted(a, key=_key), sorted(b, key=_key)
    assert [_key(e) for e in a] == [_key(e) for e in b]
    assert {tuple(e['centre']) for e in a} == set(centres)
    for x, y in zip(a, b):
      np.testing.assert_array_equal(x['patches'], y['patches'])
      assert float(x['lst']) == float(y['lst'])
      cy, cx = x['centre']
      assert float(x['lst']) == pytest.approx(
          _truth(x['region'], int(x['time']), cy, cx), abs=1e-3)


def _raise(tmp_path, manual_dir, **config):
  config = {'window_hours': 6, 'patch': 2, **config}
  with pytest.raises(common.DataError) as e:
    _build(tmp_path / 'tfds', manual_dir, **config)
  assert isinstance(e.value, ValueError)
  assert not os.path.exists(tmp_path / 'tfds')  # nothing left behind
  return str(e.value)


def test_missing_manual_dir_says_where_and_how(tmp_path):
  msg = _raise(tmp_path, tmp_path / 'nowhere')
  assert str(tmp_path / 'nowhere') in msg and 'does not exist' in msg
  assert '--manual_dir' in msg
  assert 'noaa-goes16' in msg and 'ABI-L2-LSTC' in msg
  (tmp_path / 'empty').mkdir()
  assert 'is empty' in _raise(tmp_path, tmp_path / 'empty')


def test_folder_without_netcdf_files(tmp_path):
  raw = tmp_path / 'raw'
  (raw / 'conus').mkdir(parents=True)
  (raw / 'conus' / 'notes.txt').write_text('no data here')
  msg = _raise(tmp_path, raw)
  assert 'no NetCDF files' in msg and str(raw) in msg
  assert 'ABI-L2-LSTC' in msg


@pytest.mark.parametrize('case,match', [
    ('not_netcdf', 'not a NetCDF file'),
    ('no_lst', 'no variable LST'),
    ('no_time', 'no time'),
    ('duplicate', 'also has'),
    ('grid', 'differs from'),
    ('truncated', 'NetCDF'),
])
def test_malformed_files_are_named(tmp_path, case, match):
  raw = tmp_path / 'raw'
  _write_three_layouts(raw, hours=10)
  bad = raw / 'alpha' / 'bad.nc'
  grid = np.full((4, 6), 300.0)
  dqf = np.zeros((4, 6), np.uint8)
  if case == 'not_netcdf':
    bad.write_bytes(b'<html>403 Forbidden</html>')
  elif case == 'no_lst':
    import h5py  # pylint: disable=g-import-not-at-top
    with h5py.File(bad, 'w') as f:
      f['SST'] = grid
  elif case == 'no_time':
    syn.write_goes_file(str(bad), grid, dqf, None)
  elif case == 'duplicate':  # 20 minutes after a file already there
    syn.write_goes_file(str(bad), grid, dqf, syn.START + 3 * 3600 + 1200)
  elif case == 'grid':
    syn.write_goes_file(str(bad), np.full((5, 6), 300.0),
                        np.zeros((5, 6), np.uint8), syn.START + 50 * 3600)
  elif case == 'truncated':
    good = sorted(os.listdir(raw / 'alpha'))[0]
    bad.write_bytes((raw / 'alpha' / good).read_bytes()[:300])
  msg = _raise(tmp_path, raw)
  assert match in msg
  assert 'bad.nc' in msg
  if case == 'duplicate':
    assert 'remove one' in msg and 'G18' in msg  # names the other file


@pytest.mark.parametrize('config,match', [
    (dict(patch=8), 'does not fit'),
    (dict(centres=((0, 3),)), 'does not fit'),
    (dict(split_time='2024-01-01'), 'leaves one split empty'),
    (dict(window_hours=40), 'no region has 41 consecutive hours'),
])
def test_impossible_configs_for_the_data(tmp_path, config, match):
  raw = tmp_path / 'raw'
  _write_three_layouts(raw, hours=30)
  assert match in _raise(tmp_path, raw, **config)


def test_a_single_hour_of_data_is_one_line_with_its_date(tmp_path):
  raw = tmp_path / 'raw'
  syn.write_goes_file(str(raw / 'alpha' / syn.goes_name(syn.START, 'G18')),
                      np.full((4, 6), 300.0), np.zeros((4, 6), np.uint8),
                      syn.START + 170.0)
  msg = _raise(tmp_path, raw)
  assert 'a single hour, 2023-07-01T00:00' in msg, msg
  assert 'Add the files of more hours' in msg
  assert ' to ' not in msg  # no date range (it was printed backwards)


@pytest.mark.parametrize('units', [None, 'degC'])
def test_celsius_without_units_is_named_not_flagged(tmp_path, units):
  raw = tmp_path / 'raw'
  kk, yy, xx = np.meshgrid(np.arange(30), np.arange(4), np.arange(6),
                           indexing='ij')
  celsius = syn.lst_kelvin(syn.START + 3600 * kk, yy, xx, base=300.0,
                           amplitude=10.0, peak_hour=20.0) - 273.15
  path = raw / 'gamma' / 'export.nc'
  syn.write_plain_file(str(path), celsius, None, np.arange(30), packed=False,
                       units=units)
  if units is None:  # every value outside the kelvin range: say why
    msg = _raise(tmp_path, raw)
    assert str(path) in msg and 'no units attribute' in msg
    assert 'look like Celsius' in msg and 'degC' in msg
  else:  # the same values with their units build
    builder = _build(tmp_path / 'tfds', raw, window_hours=6, patch=2)
    ex = _examples(builder, 'train')[0]
    assert 270 < float(ex['lst']) < 320


def test_a_split_with_every_window_skipped_is_an_error(tmp_path):
  # Sonoran's dead pixel is in every window; great_plains' windows all
  # hold some flagged pixel-hour.
  msg = _raise(tmp_path, DUMMY, window_hours=W, patch=P,
               min_valid_fraction=1.0)
  assert 'was skipped' in msg and 'min_valid_fraction' in msg


def test_skipped_targets_are_counted_and_printed(tmp_path, capsys):
  builder = _build(tmp_path, DUMMY, window_hours=W, patch=P,
                   horizon_hours=H)
  report = builder.info.metadata['build_report']
  out = capsys.readouterr().out
  for split in ('train', 'test'):
    e = {k: sum(_expected(r, split)[k] for r in syn.REGIONS)
         for k in ('skipped_target_no_file', 'skipped_target_invalid',
                   'examples')}
    s = report[split]
    assert s['skipped_target_no_file'] == e['skipped_target_no_file']
    assert s['skipped_target_invalid'] == e['skipped_target_invalid']
    skipped = e['skipped_target_no_file'] + e['skipped_target_invalid']
    assert len(s['skipped_targets']) == skipped
    assert (f'lst [{split}]: 2 regions' in out and
            f'{e["examples"]} examples; skipped: {skipped} with an invalid '
            f'target ({e["skipped_target_no_file"]} hour without a file'
            in out)
  # The one missing target hour: great_plains, hour 50.
  assert ['great_plains', 3, 5, '2023-07-03T02:00:00Z', 'no file'] in [
      list(x) for x in report['train']['skipped_targets']]


def test_split_time_and_stride(tmp_path):
  builder = _build(tmp_path, DUMMY, window_hours=W, patch=P,
                   split_time='2023-07-02T12:30', stride_hours=2)
  boundary = syn.START // 3600 + 37  # 12:30 on day 2 rounds up to 13:00
  assert builder.info.metadata['split']['boundary'] == '2023-07-02T13:00:00Z'
  for split in ('train', 'test'):
    exs = _examples(builder, split)
    hours = set().union(*(_hours(e) for e in exs))
    assert (max(hours) < boundary if split == 'train'
            else min(hours) >= boundary)
    for region in syn.REGIONS:  # stride 2: targets 2 hours apart
      ts = sorted(int(e['time']) for e in exs if e['region'] == region)
      assert all((b - a) % 7200 == 0 for a, b in zip(ts, ts[1:]))


def test_config_rejects_bad_values():
  for config, match in [(dict(window_hours=1), 'window_hours'),
                        (dict(patch=0), 'patch'),
                        (dict(horizon_hours=1.5), 'horizon_hours'),
                        (dict(centres=((1.5, 2),)), 'centres'),
                        (dict(centres=((1, 2), (1, 2))), 'duplicates'),
                        (dict(test_fraction=1.0), 'test_fraction'),
                        (dict(split_time='yesterday'), 'ISO 8601'),
                        (dict(min_valid_fraction=2.0), 'min_valid')]:
    with pytest.raises(ValueError, match=match):
      lst.LstConfig(name='x', **config)
  assert lst.LstConfig(name='x', centres=[[1, 2]]).centres == ((1, 2),)


def test_adapter_names_custom_configs(tmp_path):
  import ml_collections  # pylint: disable=g-import-not-at-top
  from tfds_builders.lst import adapter  # pylint: disable=g-import-not-at-top
  cfg = ml_collections.ConfigDict({'name': 'lst'})
  assert adapter.make_builder(cfg, str(tmp_path)).builder_config.name == (
      'default')
  cfg.update(window_hours=24, patch=8, centres=[[10, 20]],
             test_fraction=0.2)
  b = adapter.make_builder(cfg, str(tmp_path))
  assert b.builder_config.name == 'default_w24_p8_c10-20_f0p2'
  assert b.builder_config.centres == ((10, 20),)
  assert b.builder_config.window_hours == 24


# ------------------------------------------------ more malformed input
# Each case of the card's "Malformed input and what it gets" that the
# tests above do not feed: one region 'zeta' holding the bad file.


def _h5(path, **variables):
  """An HDF5 file of plain datasets (no netCDF dimensions): name ->
  (values, attrs)."""
  import h5py  # pylint: disable=g-import-not-at-top
  path.parent.mkdir(parents=True, exist_ok=True)
  with h5py.File(path, 'w') as f:
    for name, (values, attrs) in variables.items():
      f[name] = values
      for key, value in attrs.items():
        f[name].attrs[key] = value


def _kelvin(hours=30):
  kk, yy, xx = np.meshgrid(np.arange(hours), np.arange(4), np.arange(6),
                           indexing='ij')
  return syn.lst_kelvin(syn.START + 3600 * kk, yy, xx, base=300.0,
                        amplitude=10.0, peak_hour=20.0)


_HOURS = {'units': 'hours since 2023-07-01'}
_GRIDS = np.full((5, 4, 6), 300.0)


def _write_bad(path, case):
  def plain(lst=None, times=np.arange(30.0), **kw):
    syn.write_plain_file(str(path), _kelvin() if lst is None else lst, None,
                         times, **kw)
  if case == 'empty':
    path.parent.mkdir(parents=True)
    path.write_bytes(b'')
  elif case == 'gzip':
    import gzip  # pylint: disable=g-import-not-at-top
    plain()
    path.write_bytes(gzip.compress(path.read_bytes()))
  elif case == 'damaged_data':  # the header reads, LST's data does not
    import h5py  # pylint: disable=g-import-not-at-top
    plain()
    with h5py.File(path, 'r') as f:
      chunk = f['LST'].id.get_chunk_info(0)
    data = bytearray(path.read_bytes())
    start = chunk.byte_offset + 10
    data[start:chunk.byte_offset + chunk.size] = bytes(chunk.size - 10)
    path.write_bytes(bytes(data))
  elif case == 'lst_1d':
    _h5(path, LST=(np.full(5, 300.0), {}), time=(np.arange(5.0), _HOURS))
  elif case == 'lst_text':
    _h5(path, LST=(np.full((5, 4, 6), b'x'), {}),
        time=(np.arange(5.0), _HOURS))
  elif case == 'dqf_shape':
    _h5(path, LST=(_GRIDS, {}), DQF=(np.zeros((5, 4, 5), np.uint8), {}),
        time=(np.arange(5.0), _HOURS))
  elif case == 'goes_two_times':
    _h5(path, LST=(_GRIDS[0], {}), t=(np.arange(2.0), _HOURS))
  elif case == 'plain_no_time':
    _h5(path, LST=(_GRIDS, {}))
  elif case == 'time_length':
    _h5(path, LST=(_GRIDS, {}), time=(np.arange(4.0), _HOURS))
  elif case == 'time_last':  # (y, x, time), 6 x 4 x 6: sizes cannot tell
    import xarray as xr  # pylint: disable=g-import-not-at-top
    path.parent.mkdir(parents=True)
    xr.Dataset({'LST': (('y', 'x', 'time'), np.full((6, 4, 6), 300.0)),
                'time': ('time', np.arange(6.0), _HOURS)}).to_netcdf(
                    path, engine='scipy')
  elif case == 'empty_grid':
    _h5(path, LST=(np.zeros((5, 0, 6)), {}), time=(np.arange(5.0), _HOURS))
  elif case == 'time_text':
    _h5(path, LST=(_GRIDS[:2], {}),
        time=(np.array([b'2023-07-01', b'2023-07-02']), _HOURS))
  elif case == 'time_no_units':
    _h5(path, LST=(_GRIDS, {}), time=(np.arange(5.0), {}))
  elif case == 'time_not_cf':
    plain(time_units='hours after 2023-07-01')
  elif case == 'time_nan':
    plain(times=np.r_[np.arange(29.0), np.nan])
  elif case == 'time_calendar':
    _h5(path, LST=(_GRIDS, {}), time=(np.arange(5.0), {
        'units': 'days since 2023-01-01', 'calendar': '360_day'}))
  elif case == 'time_fill':
    _h5(path, LST=(_GRIDS, {}), time=(np.r_[np.arange(4.0), -1.0], {
        **_HOURS, '_FillValue': -1.0}))
  elif case == 'two_steps_one_hour':  # half-hourly
    plain(times=np.arange(30.0) / 2)
  elif case == 'units_unknown':
    plain(units='degF')
  elif case == 'units_kelvin_but_celsius':
    plain(_kelvin() - 273.15, packed=False, units='K')
  elif case == 'units_celsius_but_kelvin':
    plain(packed=False, units='degC')
  elif case == 'not_scaled':  # packed integers without scale_factor
    plain(_kelvin() * 100, packed=False, units='K')


@pytest.mark.parametrize('case,match,fix', [
    ('empty', 'empty (0 bytes)', 're-download'),
    ('gzip', 'gzip-compressed', 'gunzip'),
    ('damaged_data', "cannot read variable 'LST'", 're-download'),
    ('lst_1d', 'LST has shape (5,)', '(time, y, x)'),
    ('lst_text', 'LST holds |S1 values, not numbers', 'store'),
    ('dqf_shape', 'DQF has shape (5, 4, 5) but LST (5, 4, 6)', 'must match'),
    ('goes_two_times', 't holds 2 values', 'exactly one time'),
    ('plain_no_time', 'no time variable', 'variables'),
    ('time_length', 'time has 4 values but LST 5', 'LST (time, y, x)'),
    ('time_last', "dimensions ('y', 'x', 'time')", 'transpose'),
    ('empty_grid', 'LST grid (5, 0, 6) is empty', 'empty'),
    ('time_text', 'not numbers', '<unit> since <date>'),
    ('time_no_units', 'time units None are not CF', 'hours since'),
    ('time_not_cf', "'hours after 2023-07-01' are not CF", 'hours since'),
    ('time_nan', 'NaN', 'time'),
    ('time_calendar', "calendar '360_day' is not supported", 'standard'),
    ('time_fill', 'fill values', 'time'),
    ('two_steps_one_hour', 'time steps 1 and 2 both fall on', 'keep one'),
    ('units_unknown', "units 'degF' are neither kelvin", 'ncatted'),
    ('units_kelvin_but_celsius', "units are 'K' but its values",
     'units,LST,o,c,degC'),
    ('units_celsius_but_kelvin', 'look like kelvin', 'units,LST,o,c,K'),
    ('not_scaled', 'no LST value is a land-surface temperature',
     'scale_factor'),
])
def test_more_malformed_files_are_named(tmp_path, case, match, fix):
  path = tmp_path / 'raw' / 'zeta' / 'bad.nc'
  _write_bad(path, case)
  msg = _raise(tmp_path, tmp_path / 'raw')
  assert str(path) in msg and match in msg and fix in msg, msg


def test_files_are_found_at_any_depth_and_others_are_noted(tmp_path, capsys):
  raw = tmp_path / 'raw'
  # As `aws s3 cp --recursive .../2023/182/ RAW/conus/` lays them out.
  for k in range(30):
    unix = syn.START + 3600 * k
    syn.write_goes_file(str(raw / 'conus' / f'{k:02d}' / syn.goes_name(unix)),
                        _kelvin()[k], np.zeros((4, 6), np.uint8), None)
  (raw / 'conus' / '03' / 'late.nc.part').write_bytes(b'partial')
  (raw / 'conus' / '._x.nc').write_bytes(b'AppleDouble')
  # Files in RAW itself: a region named after RAW; its 6 hours are all in
  # train, too few for one example there and none in test (noted).
  syn.write_plain_file(str(raw / 'loose.nc'), _kelvin(6), None,
                       np.arange(6.0))
  builder = _build(tmp_path / 'tfds', raw, window_hours=6, patch=2)
  meta = builder.info.metadata
  assert meta['regions']['conus']['files'] == 30
  assert meta['regions']['raw']['files'] == 1
  notes = meta['build_report']['train']['notes']
  assert any('2 files not read' in n and 'late.nc.part' in n and '._x.nc' in n
             for n in notes), notes
  assert any("'raw': only 6 hours in train" in n for n in notes)
  assert "'raw': only 0 hours in test" in capsys.readouterr().out
  # A sub-folder named like RAW itself would be a second region 'raw'.
  (raw / 'raw').mkdir()
  syn.write_plain_file(str(raw / 'raw' / 'x.nc'), _kelvin(6), None,
                       np.arange(6.0) + 100)
  assert 'move those into a sub-folder' in _raise(tmp_path / 'b', raw)
  # Only files it cannot read (e.g. compressed): named, with the fix.
  only = tmp_path / 'gz'
  (only / 'conus').mkdir(parents=True)
  (only / 'conus' / 'a.nc.gz').write_bytes(b'x')
  msg = _raise(tmp_path / 'c', only)
  assert 'no NetCDF files' in msg and 'a.nc.gz' in msg and 'decompress' in msg


def test_time_steps_out_of_order_are_read_by_their_time(tmp_path):
  order = np.random.default_rng(0).permutation(30)
  for name, index in (('sorted', np.arange(30)), ('shuffled', order)):
    syn.write_plain_file(str(tmp_path / name / 'r' / 'a.nc'),
                         _kelvin()[index], None, np.arange(30.0)[index])
  a, b = (_examples(_build(tmp_path / f'tfds_{n}', tmp_path / n,
                           window_hours=6, patch=2), 'train')
          for n in ('sorted', 'shuffled'))
  assert len(a) == len(b) == 16
  for x, y in zip(sorted(a, key=_key), sorted(b, key=_key)):
    np.testing.assert_array_equal(x['patches'], y['patches'])
    assert float(x['lst']) == float(y['lst']) == pytest.approx(
        _kelvin()[(int(x['time']) - syn.START) // 3600, 2, 3], abs=0.006)


def test_one_hour_per_file_with_a_scalar_time_builds(tmp_path):
  # xarray's `ds.isel(time=k).to_netcdf(...)`: 2-D LST, scalar time.
  import xarray as xr  # pylint: disable=g-import-not-at-top
  (tmp_path / 'raw' / 'r').mkdir(parents=True)
  for k in range(30):
    xr.Dataset({'LST': (('y', 'x'), _kelvin()[k], {'units': 'K'}),
                'time': ((), float(k), _HOURS)}).to_netcdf(
                    tmp_path / 'raw' / 'r' / f'hour{k:02d}.nc',
                    engine='scipy')
  builder = _build(tmp_path / 'tfds', tmp_path / 'raw', window_hours=6,
                   patch=2)
  ex = _examples(builder, 'train')[0]
  assert float(ex['lst']) == pytest.approx(
      _kelvin()[(int(ex['time']) - syn.START) // 3600, 2, 3])


@pytest.mark.parametrize('bad', ['fill', 'dqf'])
def test_all_fill_or_all_flagged_is_counted_then_refused(tmp_path, bad):
  lst = _kelvin() * (np.nan if bad == 'fill' else 1)
  dqf = np.full(lst.shape, 3, np.uint8) if bad == 'dqf' else None
  syn.write_plain_file(str(tmp_path / 'raw' / 'bad' / 'a.nc'), lst, dqf,
                       np.arange(30.0))
  msg = _raise(tmp_path, tmp_path / 'raw')
  assert 'every one of the 16 train windows was skipped' in msg
  assert '16 invalid targets' in msg and "('bad', 2, 3, " in msg
  # Beside a good region: its targets counted as invalid, not an error.
  syn.write_plain_file(str(tmp_path / 'raw' / 'good' / 'a.nc'), _kelvin(),
                       None, np.arange(30.0))
  report = _build(tmp_path / 'tfds', tmp_path / 'raw', window_hours=6,
                  patch=2).info.metadata['build_report']
  assert report['train']['skipped_target_invalid'] == 16
  assert report['train']['examples'] == 16


def test_a_stray_file_far_from_the_rest_empties_a_split(tmp_path):
  raw = tmp_path / 'raw' / 'r'
  syn.write_plain_file(str(raw / 'a.nc'), _kelvin(), None, np.arange(30.0))
  syn.write_plain_file(str(raw / 'stray.nc'), _kelvin(1), None,
                       np.array([24.0 * 60]))
  # The split boundary lies 3/4 of the way to the stray hour (day 60):
  # the test split holds only it and its targets have no file.
  msg = _raise(tmp_path, tmp_path / 'raw')
  assert 'every one of the 354 test windows was skipped' in msg
  assert '353 targets without a file' in msg
  assert "('r', 2, 3, '2023-08-15T07:00:00Z', 'no file')" in msg
