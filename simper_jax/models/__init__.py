"""Flax NNX encoders."""
