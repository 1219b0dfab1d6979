"""Helpers every layer may use: caches, hashing, validation, Keras loading,
out-of-core reading, data sets. Nothing here imports another subpackage."""
