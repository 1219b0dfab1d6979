"""Checks of fit's data arguments beyond what ``validate_data`` does."""

import os

import numpy as np
from sklearn.utils.validation import check_array
from sklearn.utils.validation import check_memory as _sklearn_check_memory


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float32)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float32, input_name="sample_weight"
    )
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {sample_weight.shape}."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    return sample_weight


def check_unlabeled(X_unlabeled, X, streamed):
    if X_unlabeled is None:
        return None
    X_unlabeled = check_array(
        X_unlabeled,
        allow_nd=True,
        dtype="numeric" if streamed else np.float32,
        ensure_all_finite=not streamed,
        input_name="X_unlabeled",
    )
    if X_unlabeled.shape[1:] != X.shape[1:]:
        raise ValueError(
            f"X_unlabeled rows must have the shape of X's rows, {X.shape[1:]}; "
            f"got {X_unlabeled.shape[1:]}."
        )
    return X_unlabeled


def check_streamable(estimator):
    """Refuse options that need every row in memory when ``X`` is streamed."""
    # augment and teacher_cv serve the soft term only.
    names = (
        ("preprocessor",)
        if estimator.alpha == 1
        else ("preprocessor", "augment", "teacher_cv")
    )
    refuse_options(
        estimator,
        names,
        lambda name, value: (
            f"{name}={value!r} needs the training rows in memory, but X or "
            "X_unlabeled is a numpy.memmap, which fit streams block by "
            f"block. Set {name}=None, or pass in-memory arrays "
            "(np.asarray(X))."
        ),
    )


def refuse_options(estimator, names, message):
    """Raise ``ValueError(message(name, value))`` for the first parameter
    among ``names`` that ``estimator`` has set (not None)."""
    for name in names:
        value = getattr(estimator, name)
        if value is not None:
            raise ValueError(message(name, value))


def check_memory(memory):
    """None, or a joblib.Memory-like object (scikit-learn's ``memory`` convention)."""
    if memory is None:
        return None
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return _sklearn_check_memory(memory)
