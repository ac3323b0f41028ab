"""Test set-up: 4 fake CPU devices, set before JAX is first imported.

One BLAS thread: on a few shared cores OpenBLAS's worker threads spin and
make each of the probe's many small ridge fits (scikit-learn) ~30x slower.
"""

import os

os.environ['XLA_FLAGS'] = (
    os.environ.get('XLA_FLAGS', '') +
    ' --xla_force_host_platform_device_count=4').strip()
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
  os.environ.setdefault(_var, '1')
