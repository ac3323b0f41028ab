r"""SimPer heart rate on SCAMPS (2,800 synthetic avatar videos), 3-D CNN.

Prepare once (reads the raw download; see tfds_builders/scamps/README.md):
    python -m simper_jax.prepare scamps --manual_dir=RAW --data_dir=TFDS_DIR

default (GPU/TPU):
    python -m simper_jax.main --config=experiments/scamps.py \
        --config.data.manual_dir=RAW --config.data.data_dir=TFDS_DIR \
        --workdir=/tmp/scamps
  72x72 face crops, 180-frame chunks (6 s at 30 fps); SimPer with M=8
  speeds in [0.5, 2] over 90-frame views; 8 chunks per step, 30 epochs,
  Adam 1e-3 cosine; then the trained and untrained encoders' heart rate
  (bpm) by FFT peak, scaled FFT, ridge probe and the rPPG-Toolbox estimate
  (hr_fft, with SNR) on train and test. Hardware: one GPU or TPU core.
  Wall time and result: NOT measured (the raw data cannot be downloaded
  to the development machine and no accelerator has been lent yet).

cross-dataset (pretrain and fit the readouts on SCAMPS, test on UBFC-rPPG
and PURE too; TS-CAN encoder):
    python -m simper_jax.main --config=experiments/scamps.py:cross \
        --config.data.manual_dir=RAW_SCAMPS \
        --config.eval.cross_datasets.ubfc_rppg=RAW_UBFC \
        --config.eval.cross_datasets.pure=RAW_PURE --workdir=/tmp/scamps_x

smoke (the builder's dummy_data/; tests):
    python -m simper_jax.main --config=experiments/scamps.py:smoke \
        --config.data.data_dir=/tmp/tfds_smoke --workdir=/tmp/scamps_smoke
  About 30 s on a CPU; checks the plumbing, not the result.
"""

from __future__ import annotations

import ml_collections

from simper_jax import rppg_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  return rppg_config.get_config('scamps', arg)
