"""Frozen-encoder evaluation: features -> readouts -> scores -> files.

``features`` (the jitted, sharded encoder over every clip of a split),
``sources`` (which splits, including held-out bands and other datasets),
``spectra`` (the one NumPy in-band spectrum helper), ``readouts`` (FFT
peak, harmonic scale, ridge probe), ``scores`` (MAE, MAPE, RMSE, Pearson),
``figures``, ``report`` (the text table), and ``evaluator`` (the whole
evaluation of one model). What a target means (its unit, its readouts and
extra metrics) is the task kind's (``simper_jax.tasks``).
"""
