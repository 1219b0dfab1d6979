"""The teacher's outputs on the training rows: fitted, run, cached, aligned.

:func:`teacher_outputs` is the one step of ``DistilledClassifier.fit`` that
deals with the teacher. It fits an unfitted teacher, runs the fitted one over
every training row (labeled, unlabeled and synthetic), through the in-process
cache (``skdistill._cache``) and a ``joblib.Memory`` where one is given, or
takes out-of-fold outputs (``teacher_cv``), and returns the teacher's classes
in sorted order with its logits in the same column order.
"""

import functools
import os
from typing import NamedTuple

import joblib
import numpy as np
from sklearn.utils.validation import check_memory as _sklearn_check_memory

from ._cache import fingerprint_array, fingerprint_teacher, get_teacher_cache
from ._outofcore import BlockReader, stream_pass
from ._teachers import (
    check_teacher_kind,
    fit_teacher,
    is_fitted_teacher,
    resolve_teacher,
    teacher_logits,
)
from ._transfer import out_of_fold_logits


class TeacherPass(NamedTuple):
    """What :func:`teacher_outputs` returns."""

    #: The fitted teacher, or None when training from scratch without one.
    teacher: object
    #: The labels, sorted; the logits' columns follow them.
    classes: np.ndarray
    #: float32 array of shape (n_rows, n_classes), zeros without a teacher.
    logits: np.ndarray
    #: Per-feature (mean, std) when the pass read memory-mapped rows block by
    #: block and took them on the way; None otherwise.
    feature_stats: tuple | None


def teacher_outputs(
    teacher, X, y, sample_weight, rows, *, teacher_cv, use_cache, memory, verbose
):
    """Fit ``teacher`` if it needs fitting, and run it over ``rows``.

    Parameters
    ----------
    teacher : object or None
        The estimator's ``teacher``; None trains from scratch.
    X, y, sample_weight : ndarray
        The labeled rows, on which an unfitted teacher is fitted.
    rows : ndarray or BlockReader
        Every training row, labeled ones first. A :class:`BlockReader` over
        memory-mapped rows is read in one pass that checks the rows, takes
        their feature statistics and runs the teacher block by block,
        bypassing the caches (hashing the rows would read them once more).
    teacher_cv : int, cross-validation generator, iterable or None
        Out-of-fold outputs for the labeled rows (see ``DistilledClassifier``).
    use_cache : bool
        Look outputs up in the process-wide cache.
    memory : str, path, joblib.Memory or None
        Also store them on disk.
    verbose : int
        Above 0, a progress bar over memory-mapped rows.

    Returns
    -------
    result : TeacherPass
    """
    streamed = isinstance(rows, BlockReader)
    if teacher is None:
        classes = np.unique(y)
        logits = np.zeros((len(rows), len(classes)), np.float32)
        stats = stream_pass(rows, None, verbose=verbose)[1] if streamed else None
        return TeacherPass(None, classes, logits, stats)
    outputs = _TeacherOutputs(
        resolve_teacher(teacher),
        X,
        y,
        sample_weight,
        use_cache=use_cache and not streamed,
        memory=None if streamed else check_memory(memory),
    )
    stats = None
    if streamed:
        fitted = outputs.fitted()[0]
        (classes, logits), stats = stream_pass(rows, fitted, verbose=verbose)
    elif teacher_cv is None:
        fitted, classes, logits = outputs.logits(rows)
    else:
        fitted, classes, logits = outputs.out_of_fold(rows, teacher_cv)
    classes, logits = _align_to_teacher(y, np.asarray(classes), logits)
    return TeacherPass(fitted, classes, logits, stats)


def check_memory(memory):
    """None, or a joblib.Memory-like object (scikit-learn's ``memory`` convention)."""
    if memory is None:
        return None
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return _sklearn_check_memory(memory)


def _align_to_teacher(y, t_classes, t_logits):
    """Sort the teacher's classes and check that every label in ``y`` is among them."""
    known = set(t_classes.tolist())
    missing = [c for c in np.unique(y).tolist() if c not in known]
    if missing:
        raise ValueError(
            f"y contains labels the teacher cannot produce: {missing}. The "
            f"teacher's classes are {t_classes.tolist()}. For a keras.Model "
            "teacher, name the label of each output with "
            "KerasTeacher(model, classes=[...])."
        )
    order = np.argsort(t_classes, kind="stable")
    if np.array_equal(order, np.arange(len(order))):
        # Sorted already (scikit-learn's classes_ are): no copy of the logits.
        return t_classes, t_logits
    return t_classes[order], t_logits[:, order]


def _memory_fit_teacher(teacher, X, y, sample_weight):
    # Module-level, so that joblib.Memory can key it across processes.
    return fit_teacher(teacher, X, y, sample_weight)


def _memory_teacher_logits(teacher, teacher_key, rows):
    # joblib.Memory keys this on teacher_key and the rows, not on the teacher.
    return teacher_logits(teacher, rows)


def _memory_out_of_fold(teacher, X, y, sample_weight, cv):
    return out_of_fold_logits(
        teacher, X, y, sample_weight, cv, fit=fit_teacher, logits=teacher_logits
    )


class _TeacherOutputs:
    """Fit a teacher if it needs fitting, and run it, through the caches.

    With ``use_cache``, the fitting of an unfitted teacher and the teacher's
    pass over the rows are looked up in the process-wide cache by content
    fingerprints (see ``skdistill._cache``). With a ``memory``
    (``joblib.Memory``), they are also stored on disk, where other processes
    (``n_jobs`` workers, later runs) find them.
    """

    def __init__(self, teacher, X, y, sample_weight, *, use_cache, memory):
        check_teacher_kind(teacher)
        self.teacher, self.X, self.y, self.sample_weight = teacher, X, y, sample_weight
        self.use_cache, self.memory = use_cache, memory

    @functools.cached_property
    def _data_key(self):
        # Hashing X is the costly part: once per fit, for every key using it.
        return (
            fingerprint_array(self.X),
            fingerprint_array(self.y),
            fingerprint_array(self.sample_weight),
        )

    def fitted(self):
        """The fitted teacher and its key (None where it is not cached)."""
        teacher, X, y, sample_weight = self.teacher, self.X, self.y, self.sample_weight
        keyed = self.use_cache or self.memory is not None
        if is_fitted_teacher(teacher):
            fitted = fit_teacher(teacher, X, y, sample_weight)
            return fitted, fingerprint_teacher(fitted) if keyed else None
        if not keyed:
            return fit_teacher(teacher, X, y, sample_weight), None
        fit = fit_teacher
        if self.memory is not None:
            fit = self.memory.cache(_memory_fit_teacher)
        teacher_key = ("fitted-from", joblib.hash(teacher), *self._data_key)
        if not self.use_cache:
            return fit(teacher, X, y, sample_weight), teacher_key
        fitted = get_teacher_cache().fitted_teacher(
            teacher_key, lambda: fit(teacher, X, y, sample_weight)
        )
        return fitted, teacher_key

    def logits(self, X_all):
        """The fitted teacher, its classes and its logits on ``X_all``."""
        fitted, teacher_key = self.fitted()
        if teacher_key is None:
            return (fitted, *teacher_logits(fitted, X_all))
        key = (teacher_key, X_all.shape[1:], X_all.dtype.str)
        if self.memory is not None:
            on_disk = self.memory.cache(_memory_teacher_logits, ignore=["teacher"])
            compute = functools.partial(on_disk, fitted, key)
        else:
            compute = functools.partial(teacher_logits, fitted)
        if not self.use_cache:
            return (fitted, *compute(X_all))
        return (fitted, *get_teacher_cache().outputs(key, X_all, compute))

    def out_of_fold(self, X_all, cv):
        """Out-of-fold logits for ``X``, the full teacher's for the other rows."""
        teacher, X, y, sample_weight = self.teacher, self.X, self.y, self.sample_weight
        if is_fitted_teacher(teacher):
            raise ValueError(
                "teacher_cv needs an unfitted teacher, which fit trains once per "
                "fold; the teacher passed is fitted already. Pass an unfitted "
                "estimator (e.g. sklearn.base.clone(teacher)), or set "
                "teacher_cv=None."
            )
        run = _memory_out_of_fold
        if self.memory is not None:
            run = self.memory.cache(_memory_out_of_fold)

        def out_of_fold(rows):
            return run(teacher, X, y, sample_weight, cv)

        if self.use_cache:
            key = (
                "out-of-fold",
                joblib.hash(teacher),
                joblib.hash(cv),
                *self._data_key,
            )
            classes, oof = get_teacher_cache().outputs(key, X, out_of_fold)
        else:
            classes, oof = out_of_fold(X)
        if len(X_all) == len(X):
            return self.fitted()[0], classes, oof
        fitted, full_classes, rest = self.logits(X_all[len(X) :])
        if not np.array_equal(np.asarray(full_classes), np.asarray(classes)):
            raise ValueError(
                "teacher_cv: the teacher fitted on all rows has classes "
                f"{np.asarray(full_classes).tolist()}, its folds "
                f"{np.asarray(classes).tolist()}."
            )
        return fitted, classes, np.concatenate([oof, rest])
