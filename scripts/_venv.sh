# Sourced by run.sh and test.sh: create or reuse .venv/ in the repo root and
# (re)install the package when setup.cfg or pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "simper_jax needs Python >= 3.10; '$PY' is $("$PY" --version 2>&1)." \
       "Set PYTHON=/path/to/python3.10+ and retry." >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating virtual environment in $VENV ..." >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.simper_jax_install_hash"
HASH="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
  echo "Installing simper_jax and its dependencies into $VENV (a few minutes the first time) ..." >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test]"
  echo "$HASH" > "$STAMP"
fi
cd "$ROOT"
# XLA on CPU allocates its large buffers afresh for every step; without
# transparent huge pages each one page-faults 4 KiB at a time, which cost
# ~45% of a small-shape train step here (benchmarks/README.md). Ignored by
# non-glibc systems and glibc < 2.35.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
