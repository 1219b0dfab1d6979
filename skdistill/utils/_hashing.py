"""Content hashes of arrays and of each row of an array.

The teacher cache and ``memory=`` key entries by content, never by object
identity, so that a mutated array or another array with the same rows gets
the key its contents call for.
"""

import hashlib

import joblib
import numpy as np

# A 128-bit row hash as two unsigned 64-bit words: sortable and searchable.
_DIGEST = np.dtype([("high", "<u8"), ("low", "<u8")])


def fingerprint_array(a):
    """A hash of an array's shape, dtype and bytes."""
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    return joblib.hash((a.shape, a.dtype.str, a), coerce_mmap=True)


def fingerprint_rows(X):
    """A 128-bit BLAKE2b hash of each row's bytes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Rows of any shape; rows are compared by their bytes, so the caller keys
        the row shape and dtype separately.

    Returns
    -------
    digests : ndarray of shape (n_samples,)
        Structured array of two ``uint64`` words per row.
    """
    rows = np.ascontiguousarray(X).reshape(len(X), -1)
    raw = b"".join(hashlib.blake2b(row, digest_size=16).digest() for row in rows)
    return np.frombuffer(raw, dtype=_DIGEST)
