"""The teacher's outputs on the training rows: fitted, run, cached.

:func:`teacher_outputs` is the one step of ``fit`` that deals with the
teacher. It fits an unfitted teacher, runs the fitted one over every training
row (labeled, unlabeled and synthetic) through the in-process cache
(:mod:`skdistill.distill._cache`) and a ``joblib.Memory`` where one is given,
or takes out-of-fold outputs (``teacher_cv``). It works on a teacher adapter
(:func:`skdistill.teachers._adapters.as_teacher`), so it never asks what kind
of teacher it has nor what task its outputs serve. Transfer rows in a Dask
collection are labelled where they live (:mod:`._cluster_pass`).
"""

import functools
from typing import NamedTuple

import joblib
import numpy as np

from ..teachers._adapters import as_teacher
from ..teachers._out_of_fold import out_of_fold_outputs
from ..utils._dask import ClusterTransferRows, dask_client
from ..utils._frames import (
    fingerprint_frame,
    is_frame,
    numeric_rows,
    row_signature,
    take_rows,
)
from ..utils._hashing import fingerprint_array
from ..utils._keras import import_keras
from ..utils._outofcore import BlockReader, FeatureMoments, map_blocks
from ._cache import get_teacher_cache
from ._cluster_pass import (
    check_gather_size,
    check_picklable,
    label_partitions,
    teacher_for_workers,
)


class TeacherPass(NamedTuple):
    """What :func:`teacher_outputs` returns."""

    #: The fitted teacher, or None when training from scratch without one.
    teacher: object
    #: The teacher's classes as it gives them (None for regression or
    #: without a teacher).
    classes: np.ndarray | None
    #: Array of shape (n_rows, n_outputs): logits or predictions; None
    #: without a teacher.
    outputs: np.ndarray | None
    #: Per-feature (mean, std) when the pass read memory-mapped rows block by
    #: block, or a Dask collection, and took them on the way; None otherwise.
    feature_stats: tuple | None
    #: The transfer rows of a Dask collection and the outputs on them, where
    #: they were labelled (``outputs`` then covers the labeled rows only).
    transfer: object = None


def teacher_outputs(
    adapter, X, y, sample_weight, rows, *, teacher_cv, use_cache, memory, verbose
):
    """Fit the teacher if it needs fitting, and run it over ``rows``.

    Parameters
    ----------
    adapter : Teacher or None
        The adapter of the estimator's ``teacher``; None trains from scratch.
    X, y, sample_weight : ndarray
        The labeled rows, on which an unfitted teacher is fitted.
    rows : ndarray, BlockReader or ClusterTransferRows
        Every training row, labeled ones first. A :class:`BlockReader` over
        memory-mapped rows is read in one pass that checks the rows, takes
        their feature statistics and runs the teacher block by block,
        bypassing the caches (hashing the rows would read them once more).
        Of :class:`ClusterTransferRows`, the labeled rows go through the
        caches and the Dask collection is labelled where it lives, bypassing
        them.
    teacher_cv : int, cross-validation generator, iterable or None
        Out-of-fold outputs for the labeled rows.
    use_cache : bool
        Look outputs up in the process-wide cache.
    memory : joblib.Memory or None
        Also store them on disk.
    verbose : int
        Above 0, a progress bar over memory-mapped rows.

    Returns
    -------
    result : TeacherPass
    """
    streamed = isinstance(rows, BlockReader)
    if adapter is None:
        stats = stream_pass(rows, None, verbose=verbose)[1] if streamed else None
        return TeacherPass(None, None, None, stats)
    outputs = _TeacherOutputs(
        adapter,
        X,
        y,
        sample_weight,
        use_cache=use_cache and not streamed,
        memory=None if streamed else memory,
    )
    if isinstance(rows, ClusterTransferRows):
        return _pass_with_cluster(outputs, rows, teacher_cv=teacher_cv, verbose=verbose)
    stats = None
    if streamed:
        fitted = outputs.fitted()[0]
        (classes, values), stats = stream_pass(rows, fitted, verbose=verbose)
    elif teacher_cv is None:
        fitted, classes, values = outputs.outputs(rows)
    else:
        fitted, classes, values = outputs.out_of_fold(rows, teacher_cv)
    classes = None if classes is None else np.asarray(classes)
    return TeacherPass(fitted.fitted_teacher, classes, values, stats)


def _pass_with_cluster(outputs, rows, *, teacher_cv, verbose):
    """The labeled rows labelled here, the Dask transfer rows where they live.

    Under a ``distributed.Client`` the teacher is checked for pickling before
    it is fitted or run, then sent to the workers once.
    """
    client, transfer = dask_client(), rows.transfer
    if not transfer.keras and transfer.n_rows is not None:
        # An array's size is known: refuse what could not be gathered first.
        check_gather_size(transfer.n_rows * transfer.row_bytes, transfer.n_rows)
    if client is not None and not outputs.adapter.is_fitted():
        check_picklable(outputs.adapter.teacher)
    fitted = outputs.fitted()[0]
    with teacher_for_workers(fitted, client) as reference:
        if teacher_cv is None:
            _, classes, values = outputs.outputs(rows.local)
        else:
            _, classes, values = outputs.out_of_fold(rows.local, teacher_cv)
        classes = None if classes is None else np.asarray(classes)
        labelled = label_partitions(
            reference,
            transfer,
            task=fitted.task,
            classes=classes,
            like=values,
            client=client,
            verbose=verbose,
        )
    stats = None
    if transfer.keras:
        moments = FeatureMoments()
        moments.add(numeric_rows(rows.local, owner="A Keras student"))
        stats = labelled.add_moments(moments).mean_std()
    return TeacherPass(fitted.fitted_teacher, classes, values, stats, labelled)


def unused_teacher(adapter, taught):
    """``taught`` with what ``alpha=1`` keeps of a teacher it never runs.

    With ``alpha=1`` the teacher's term weighs nothing, so the teacher is
    neither fitted nor run; a fitted teacher stays ``teacher_``, and its
    ``classes_``, where it has them, become the estimator's classes.
    """
    if adapter is None or not adapter.is_fitted():
        return taught
    fitted = adapter.fitted_teacher
    classes = getattr(fitted, "classes_", None)
    return taught._replace(
        teacher=fitted, classes=None if classes is None else np.asarray(classes)
    )


def fingerprint_rows_data(X):
    """A content hash of ``X``, an array or a frame."""
    return fingerprint_frame(X) if is_frame(X) else fingerprint_array(X)


def _memory_fit_teacher(teacher, task, rows_key, X, y, sample_weight):
    # Module-level, so that joblib.Memory can key it across processes; it
    # returns the fitted teacher itself, which pickles. X is keyed by
    # rows_key, its content hash: joblib's own hash of a data frame depends
    # on how the frame is laid out in memory, not only on its rows.
    return as_teacher(teacher, task).fit(X, y, sample_weight).teacher


def _memory_teacher_outputs(adapter, teacher_key, rows_key, rows):
    # joblib.Memory keys this on teacher_key and rows_key, the rows' content
    # hash, not on the adapter or the rows object.
    return adapter.outputs(rows)


def _memory_out_of_fold(teacher, task, rows_key, X, y, sample_weight, cv):
    return out_of_fold_outputs(as_teacher(teacher, task), X, y, sample_weight, cv)


def _fingerprint(adapter):
    """The adapter's fingerprint, or None where its state cannot be hashed."""
    try:
        return adapter.fingerprint()
    except Exception:  # noqa: BLE001 - any failure to hash means "do not cache"
        return None


class _TeacherOutputs:
    """Fit a teacher if it needs fitting, and run it, through the caches.

    With ``use_cache``, the fitting of an unfitted teacher and the teacher's
    pass over the rows are looked up in the process-wide cache by content
    fingerprints. With a ``memory`` (``joblib.Memory``), they are also stored
    on disk, where other processes (``n_jobs`` workers, later runs) find them.
    """

    def __init__(self, adapter, X, y, sample_weight, *, use_cache, memory):
        self.adapter, self.X, self.y, self.sample_weight = adapter, X, y, sample_weight
        self.use_cache, self.memory = use_cache, memory

    @functools.cached_property
    def _data_key(self):
        # Hashing X is the costly part: once per fit, for every key using it.
        return (
            self.adapter.task,
            fingerprint_rows_data(self.X),
            fingerprint_array(self.y),
            fingerprint_array(self.sample_weight),
        )

    def fitted(self):
        """The fitted teacher's adapter and its key (None where not cached)."""
        adapter, X, y, sample_weight = self.adapter, self.X, self.y, self.sample_weight
        keyed = self.use_cache or self.memory is not None
        if adapter.is_fitted():
            fingerprint = _fingerprint(adapter) if keyed else None
            key = None if fingerprint is None else (adapter.task, fingerprint)
            return adapter, key
        if not keyed:
            return adapter.fit(X, y, sample_weight), None
        teacher, task = adapter.teacher, adapter.task
        if self.memory is not None:
            memory_fit = self.memory.cache(_memory_fit_teacher, ignore=["X"])
            rows_key = self._data_key[1]

            def fit():
                fitted = memory_fit(teacher, task, rows_key, X, y, sample_weight)
                return as_teacher(fitted, task)
        else:

            def fit():
                return adapter.fit(X, y, sample_weight)

        teacher_key = ("fitted-from", joblib.hash(teacher), *self._data_key)
        if not self.use_cache:
            return fit(), teacher_key
        return get_teacher_cache().fitted_teacher(teacher_key, fit), teacher_key

    def outputs(self, X_all):
        """The fitted teacher's adapter, its classes and its outputs on ``X_all``."""
        fitted, teacher_key = self.fitted()
        if teacher_key is None:
            return (fitted, *fitted.outputs(X_all))
        key = (teacher_key, *row_signature(X_all))
        if self.memory is not None:
            on_disk = self.memory.cache(
                _memory_teacher_outputs, ignore=["adapter", "rows"]
            )

            def compute(rows):
                return on_disk(fitted, key, fingerprint_rows_data(rows), rows)
        else:
            compute = fitted.outputs
        if not self.use_cache:
            return (fitted, *compute(X_all))
        return (fitted, *get_teacher_cache().outputs(key, X_all, compute))

    def out_of_fold(self, X_all, cv):
        """Out-of-fold outputs for ``X``, the full teacher's for the other rows."""
        adapter, X, y, sample_weight = self.adapter, self.X, self.y, self.sample_weight
        if adapter.is_fitted():
            raise ValueError(
                "teacher_cv needs an unfitted teacher, which fit trains once per "
                "fold; the teacher passed is fitted already. Pass an unfitted "
                "estimator (e.g. sklearn.base.clone(teacher)), or set "
                "teacher_cv=None."
            )
        teacher, task = adapter.teacher, adapter.task
        run = _memory_out_of_fold
        if self.memory is not None:
            run = self.memory.cache(_memory_out_of_fold, ignore=["X"])

        def out_of_fold(rows):
            return run(teacher, task, self._data_key[1], X, y, sample_weight, cv)

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
        fitted, full_classes, rest = self.outputs(
            take_rows(X_all, np.arange(len(X), len(X_all)))
        )
        if classes is not None and not np.array_equal(
            np.asarray(full_classes), np.asarray(classes)
        ):
            raise ValueError(
                "teacher_cv: the teacher fitted on all rows has classes "
                f"{np.asarray(full_classes).tolist()}, its folds "
                f"{np.asarray(classes).tolist()}."
            )
        return fitted, classes, np.concatenate([oof, rest])


def stream_pass(reader, teacher, *, verbose=0):
    """One pass over the rows: check them, take feature statistics, run the teacher.

    Parameters
    ----------
    reader : BlockReader
        The rows.
    teacher : Teacher or None
        A fitted teacher's adapter, run on each block; None runs no teacher.
    verbose : int, default=0
        Above 0, a progress bar over the rows.

    Returns
    -------
    outputs : tuple (classes, outputs) or None
        The teacher's classes (None for regression) and its float32 outputs
        on every row.
    stats : tuple (mean, std)
        Per-feature mean and standard deviation of the rows, as float32.
    """
    progress = None
    if verbose:
        what = "teacher pass" if teacher is not None else "reading rows"
        print(f"skdistill: {what} over {len(reader)} memory-mapped rows")
        progress = import_keras().utils.Progbar(len(reader), unit_name="row")
    moments = FeatureMoments()
    classes = []

    def on_block(block):
        moments.add(block)
        if teacher is None:
            return None
        block_classes, block_logits = teacher.outputs(block)
        classes[:] = [block_classes]
        return block_logits

    logits = map_blocks(reader, on_block, progress=progress)
    outputs = None if teacher is None else (classes[0], logits)
    return outputs, moments.mean_std()
