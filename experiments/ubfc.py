r"""SimPer heart rate on UBFC-rPPG (DATASET_2, 42 subjects), TS-CAN.

Prepare once (reads the raw download; see tfds_builders/ubfc_rppg/README.md):
    python -m simper_jax.prepare ubfc_rppg --manual_dir=RAW --data_dir=TFDS_DIR

default (GPU/TPU):
    python -m simper_jax.main --config=experiments/ubfc.py \
        --config.data.manual_dir=RAW --config.data.data_dir=TFDS_DIR \
        --workdir=/tmp/ubfc
  72x72 face crops, 180-frame chunks (6 s at 30 fps); SimPer with M=8
  speeds in [0.5, 2] over 90-frame views; 8 chunks per step, 30 epochs,
  Adam 1e-3 cosine; then the trained and untrained encoders' heart rate
  (bpm) by FFT peak, scaled FFT, ridge probe and the rPPG-Toolbox estimate
  (hr_fft, with SNR) on train and test. Hardware: one GPU or TPU core.
  Wall time and result: NOT measured (the raw data cannot be downloaded
  to the development machine and no accelerator has been lent yet).

smoke (the builder's dummy_data/; tests):
    python -m simper_jax.main --config=experiments/ubfc.py:smoke \
        --config.data.data_dir=/tmp/tfds_smoke --workdir=/tmp/ubfc_smoke
  About 30 s on a CPU; checks the plumbing, not the result.
"""

from __future__ import annotations

import ml_collections

from simper_jax import rppg_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  return rppg_config.get_config('ubfc_rppg', arg)
