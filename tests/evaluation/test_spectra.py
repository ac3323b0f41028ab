"""simper_jax.evaluation.spectra against a direct-loop DFT."""

from __future__ import annotations

import numpy as np
import pytest

from simper_jax.evaluation import spectra
from tests import refs
from tests.evaluation.series import FPS, L, no_warnings, sines


@pytest.mark.parametrize('window', ['hann', 'rect'])
@pytest.mark.parametrize('length,n_fft', [(24, None), (17, None), (16, 40),
                                          (9, 27)])
def test_power_spectrum_matches_direct_dft(window, length, n_fft):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(3, length)) + 2.0
  freqs, power = spectra.power_spectrum(x, FPS, window=window, n_fft=n_fft)
  m = length if n_fft is None else n_fft
  assert freqs.shape == (m // 2 + 1,) and power.shape == (3, m // 2 + 1)
  np.testing.assert_allclose(freqs, [k * FPS / m for k in range(m // 2 + 1)])
  for i in range(3):
    np.testing.assert_allclose(power[i], refs.dft_power(list(x[i]), m, window),
                               rtol=1e-9, atol=1e-9)


def test_power_spectrum_of_constant_series_is_exactly_zero():
  x = np.full((2, L), 0.1)
  x[1] = -7.3
  _, power = spectra.power_spectrum(x, FPS)
  assert np.all(power == 0.0)


def test_band_spectrum_is_the_in_band_hann_dft():
  x = np.concatenate([sines([1.0, 2.3], [0.0, 1.0]) * 5 + 2,
                      np.full((1, L), 4.0)])
  band = (0.5, 6.0)
  freqs, raw = spectra.band_spectrum(x, FPS, band, normalize=False)
  bins = [k for k in range(L // 2 + 1) if band[0] <= k * FPS / L <= band[1]]
  np.testing.assert_allclose(freqs, [k * FPS / L for k in bins])
  for i in range(2):
    want = refs.dft_power(list(x[i]), L, 'hann')[bins]
    np.testing.assert_allclose(raw[i], want, rtol=1e-9, atol=1e-9)
  _, unit = no_warnings(spectra.band_spectrum, x, FPS, band)
  np.testing.assert_allclose(unit[:2], raw[:2] / raw[:2].sum(1, keepdims=True))
  np.testing.assert_allclose(unit[:2].sum(1), 1.0)
  assert np.all(unit[2] == 0.0) and np.all(raw[2] == 0.0)  # constant row
  # Unit sum: gain and offset do not matter.
  _, again = spectra.band_spectrum(x[:2] * 0.01 - 3, FPS, band)
  np.testing.assert_allclose(again, unit[:2], atol=1e-12)


def test_band_mask_is_inclusive_and_names_the_grid_when_empty():
  freqs = np.arange(6) * 1.0
  np.testing.assert_array_equal(spectra.band_mask(freqs, (1.0, 3.0), 10, 10.0),
                                [False, True, True, True, False, False])
  with pytest.raises(ValueError, match=r'no frequency bin.*bin spacing 1 Hz'):
    spectra.band_mask(freqs, (1.2, 1.8), 10, 10.0)


@pytest.mark.parametrize('call', [
    lambda: spectra.power_spectrum(np.zeros(L), FPS),
    lambda: spectra.power_spectrum(np.zeros((2, 1)), FPS),
    lambda: spectra.power_spectrum(np.zeros((2, L)), FPS, n_fft=L - 1),
    lambda: spectra.power_spectrum(np.zeros((2, L)), FPS, window='tukey'),
    lambda: spectra.power_spectrum(np.zeros((2, L)), 0.0),
    lambda: spectra.power_spectrum(np.full((2, L), np.nan), FPS),
    lambda: spectra.band_spectrum(np.zeros((2, L)), FPS, (5.0, 1.0)),
    lambda: spectra.band_spectrum(np.zeros((2, L)), FPS, (16.0, 20.0)),
])
def test_bad_arguments_raise_value_error(call):
  with pytest.raises(ValueError):
    call()
