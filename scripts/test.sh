#!/usr/bin/env bash
# The whole test suite. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec "$VENV/bin/python" -m pytest -q -n 2 tests tfds_builders "$@"
