"""Checks of what a teacher returns, before a student learns from it."""

import numpy as np


def check_choice(name, value, choices):
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


def probabilities_to_logits(p):
    """Log-probabilities, with zeros floored at 1e-12."""
    return np.log(np.clip(np.asarray(p, dtype=np.float64), 1e-12, None))


def check_teacher_outputs(teacher, method, out, *, n_rows, n_classes, probabilities):
    """Raise a ValueError if a teacher's raw outputs cannot teach a student.

    Parameters
    ----------
    teacher : object
        The teacher (or ensemble member) that produced ``out``, named in the
        message.
    method : str
        What produced them, e.g. ``"predict_proba"``.
    out : ndarray
        The outputs, one row per sample (a binary ``decision_function`` may be
        1-D).
    n_rows, n_classes : int
        The rows asked for, and the classes the teacher declares.
    probabilities : bool
        Whether each row must be a probability distribution.
    """
    name = type(teacher).__name__
    where = f"teacher {name}'s {method}"
    width = 1 if out.ndim == 1 else out.shape[1]
    if (
        len(out) != n_rows
        or out.ndim > 2
        or (width != n_classes and not (out.ndim == 1 and n_classes == 2))
    ):
        raise ValueError(
            f"{where} returned an array of shape {out.shape} for {n_rows} rows "
            f"and {n_classes} classes; expected shape ({n_rows}, {n_classes}), one "
            "column per class in the order of its classes_."
        )
    rows = out.reshape(len(out), -1)
    bad = ~np.all(np.isfinite(rows), axis=1)
    if bad.any():
        raise ValueError(
            f"{where} returned non-finite values (NaN or infinity) in "
            f"{int(bad.sum())} of {n_rows} rows; a student cannot learn from "
            "them. Check the teacher on those rows, e.g. "
            "np.flatnonzero(~np.isfinite(outputs).all(axis=1))."
        )
    if not probabilities:
        return
    totals = rows.sum(axis=1, dtype=np.float64)
    bad = (np.abs(totals - 1.0) > 1e-3) | np.any(rows < 0, axis=1)
    if bad.any():
        raise ValueError(
            f"{where} returned {int(bad.sum())} of {n_rows} rows that are not "
            "probability distributions (negative, or not summing to 1 within "
            "1e-3); soft targets need one probability per class. If these are "
            "scores, say so (KerasTeacher(model, output='logits')) or calibrate "
            "the teacher (sklearn.calibration.CalibratedClassifierCV)."
        )


def _probabilities_to_logits(p):
    return np.log(np.clip(np.asarray(p, dtype=np.float64), 1e-12, None))


def check_regression_outputs(teacher, method, out, *, n_rows):
    """Raise a ValueError if a regression teacher's predictions cannot teach.

    Returns
    -------
    out : ndarray of shape (n_rows, n_outputs)
        The predictions as float64, one column per output.
    """
    name = type(teacher).__name__
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, np.newaxis]
    if out.ndim != 2 or len(out) != n_rows:
        raise ValueError(
            f"teacher {name}'s {method} returned an array of shape {out.shape} "
            f"for {n_rows} rows; expected ({n_rows},) or ({n_rows}, n_outputs)."
        )
    bad = ~np.all(np.isfinite(out), axis=1)
    if bad.any():
        raise ValueError(
            f"teacher {name}'s {method} returned non-finite values (NaN or "
            f"infinity) in {int(bad.sum())} of {n_rows} rows; a student cannot "
            "learn from them. Check the teacher on those rows."
        )
    return out
