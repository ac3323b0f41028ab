#!/usr/bin/env bash
# The main job. Until the RotatingDigits pipeline lands: the SimPer demo on
# synthetic periodic clips (the loss falls). Extra arguments go to it.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec "$VENV/bin/python" -m simper_jax.demo "$@"
