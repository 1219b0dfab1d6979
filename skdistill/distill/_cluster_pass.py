"""The teacher's pass over a Dask ``X_unlabeled``, where its partitions live.

Under a ``distributed.Client``, the fitted teacher is sent to the workers once
(a :class:`~skdistill.ScatteredTeacher`, published under a name that is
released as soon as the pass ends, whether it succeeded or not) and runs in
one task per partition, on the worker that holds the partition
(:func:`label_partition`). Each task keeps the partition's rows, as the
student reads them, beside the teacher's outputs on them, and reports only a
summary (rows, bytes, classes, feature sums) to this process. Without a
client, Dask's local scheduler runs the same tasks here.

What a student then gets (:func:`rows_for_student`): a Keras student the
partitions one at a time (:mod:`skdistill.utils._cluster_rows`); a
scikit-learn student, which fits on rows in memory, every row gathered here
once, if they fit in :data:`GATHER_FRACTION` of the memory available.
"""

import contextlib
import pickle
import uuid

import numpy as np

from ..teachers._adapters import as_teacher
from ..teachers._distributed import ScatteredTeacher
from ..utils._cluster_rows import LabelledPartitions
from ..utils._dask import ClusterTransferRows
from ..utils._frames import concat_rows, is_frame
from ..utils._outofcore import FeatureMoments

#: The share of this process's available memory (``psutil``'s) that the
#: transfer rows and the teacher's outputs gathered for a scikit-learn student
#: may take.
GATHER_FRACTION = 0.5


def _unpicklable(teacher, error):
    return TypeError(
        f"teacher {type(teacher).__name__} cannot be pickled, so it cannot be "
        f"sent to the Dask workers that label X_unlabeled ({error}). Make it "
        "picklable (its class defined at a module's top level, no open files, "
        "locks or generators among its attributes), or label the rows in this "
        "process: pass X_unlabeled.compute(), or fit outside the "
        "distributed.Client's context."
    )


def check_picklable(teacher):
    """Raise a TypeError, naming the fix, if ``teacher`` cannot be pickled."""
    try:
        pickle.dumps(teacher, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise _unpicklable(teacher, error) from error


@contextlib.contextmanager
def teacher_for_workers(fitted, client):
    """What the tasks carry of the fitted teacher's adapter ``fitted``.

    Under a client, the teacher scattered once and published by name (a
    :class:`ScatteredTeacher`, or the user's own, which is left as it is),
    released on exit; without one, the teacher itself.
    """
    if isinstance(fitted.teacher, ScatteredTeacher):
        yield fitted.teacher
        return
    if client is None:
        yield fitted.fitted_teacher
        return
    try:
        shared = ScatteredTeacher(fitted.fitted_teacher, client)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise _unpicklable(fitted.fitted_teacher, error) from error
    try:
        yield shared
    finally:
        shared.release()


def _nbytes(rows):
    if is_frame(rows):
        return int(rows.memory_usage(deep=True, index=False).sum())
    return int(rows.nbytes)


def label_partition(part, teacher, task, reader, template):
    """One partition labelled, in a task on the worker that holds it.

    Parameters
    ----------
    part : DataFrame or ndarray
        The partition.
    teacher : ScatteredTeacher or object
        The fitted teacher, or its name on the cluster (fetched once per
        worker process).
    task : {"classification", "regression"}
        How its outputs are read.
    reader : PartitionReader
        Turns the partition into the teacher's and the student's rows.
    template : ndarray of shape (0, n_outputs)
        The outputs on the labeled rows, of their width and dtype (float32
        where the teacher's cache held them), which the outputs here take.

    Returns
    -------
    rows : DataFrame or ndarray
        The rows as the student reads them.
    outputs : ndarray of shape (n_rows, n_outputs)
        The teacher's logits or predictions.
    summary : dict
        ``n_rows``, ``nbytes``, ``classes``, ``width`` and ``moments``.
    """
    rows = reader.teacher_rows(part)
    classes, outputs = None, template
    if len(rows):
        classes, outputs = as_teacher(teacher, task).outputs(rows)
        outputs = np.asarray(outputs, dtype=template.dtype)
    kept = reader.student_rows(rows)
    moments = None
    if reader.keras:
        moments = FeatureMoments()
        moments.add(kept)
    summary = {
        "n_rows": len(kept),
        "nbytes": _nbytes(kept) + int(np.asarray(outputs).nbytes),
        "classes": None if classes is None else np.asarray(classes),
        "width": int(np.shape(outputs)[1]),
        "moments": moments,
    }
    return kept, outputs, summary


def _summary(labelled):
    return labelled[2]


def label_partitions(reference, transfer, *, task, classes, like, client, verbose=0):
    """Every partition of ``transfer`` labelled where it lives.

    Parameters
    ----------
    reference : ScatteredTeacher or object
        What the tasks carry of the teacher (:func:`teacher_for_workers`).
    transfer : DaskTransfer
        The checked collection.
    task : {"classification", "regression"}
        How the teacher's outputs are read.
    classes : ndarray or None
        The teacher's classes on the labeled rows, which every partition's
        must equal.
    like : ndarray of shape (n_labeled, n_outputs)
        Its outputs there, whose width and dtype every partition's take.
    client : distributed.Client or None
        The cluster; None runs Dask's local scheduler here.
    verbose : int, default=0
        Above 0, a line on the pass.

    Returns
    -------
    labelled : LabelledPartitions
        On the cluster (under a client) or here.
    """
    import dask

    token = uuid.uuid4().hex[:12]
    template = np.empty((0, np.shape(like)[1]), np.asarray(like).dtype)
    label = dask.delayed(label_partition, pure=False)
    tasks = [
        label(part, reference, task, transfer.reader, template, dask_key_name=key)
        for key, part in (
            (f"skdistill-label-{token}-{i}", part)
            for i, part in enumerate(transfer.partitions())
        )
    ]
    if verbose:
        where = "Dask's local scheduler" if client is None else str(client)
        print(f"skdistill: teacher pass over {len(tasks)} partitions on {where}")
    if client is None:
        parts = dask.compute(*tasks)
        summaries = [part[2] for part in parts]
    else:
        parts = client.compute(tasks)
        try:
            summaries = client.gather(client.map(_summary, parts))
        except BaseException:
            client.cancel(parts)
            raise
    labelled = LabelledPartitions(parts, client, summaries, transfer.keras)
    try:
        _check_summaries(summaries, classes, template.shape[1])
    except ValueError:
        labelled.release()
        raise
    return labelled


def _check_summaries(summaries, classes, width):
    for i, summary in enumerate(summaries):
        theirs = summary["classes"]
        if summary["width"] != width or (
            theirs is not None
            and classes is not None
            and not np.array_equal(theirs, classes)
        ):
            named = "" if theirs is None else f" (classes {theirs.tolist()})"
            mine = "" if classes is None else f" (classes {classes.tolist()})"
            raise ValueError(
                f"The teacher gave {summary['width']} outputs{named} on "
                f"partition {i} of X_unlabeled, {width}{mine} on X: a teacher "
                "must give the same outputs for every row."
            )


def _available_bytes():
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def check_gather_size(nbytes, n_rows):
    """Raise a ValueError if ``nbytes`` would not fit in this process.

    ``nbytes`` are what a scikit-learn student's rows from ``X_unlabeled``
    (``n_rows`` of them) take, with the teacher's outputs where known.
    """
    available = _available_bytes()
    if available is None or nbytes <= GATHER_FRACTION * available:
        return
    raise ValueError(
        "A scikit-learn student fits on rows in memory, so fit gathers "
        f"X_unlabeled's {n_rows:,} rows and the teacher's outputs on them into "
        f"this process: {nbytes / 2**30:.2f} GiB, more than "
        f"{GATHER_FRACTION:.0%} of the {available / 2**30:.2f} GiB available "
        "here. Use a Keras student (e.g. student=MLPStudent()), which trains "
        "from the partitions a few at a time, or pass a sample of the rows "
        "(X_unlabeled.sample(frac=...), or a slice of an array)."
    )


def rows_for_student(rows, taught):
    """The training rows and the teacher's pass as the student's steps read them.

    Parameters
    ----------
    rows : ndarray, DataFrame, BlockReader or ClusterTransferRows
        What :func:`~skdistill.distill._rows.training_rows` returned.
    taught : TeacherPass
        The teacher's pass over them.

    Returns
    -------
    rows : ndarray, DataFrame or BlockReader
        ``rows`` as they were, except for a Dask transfer set: for a Keras
        student the labeled rows (the transfer rows stay in
        ``taught.transfer``, to be streamed); for a scikit-learn student
        every row, the transfer rows gathered here once.
    taught : TeacherPass
        For the gathered rows, with the outputs on every row.
    """
    if not isinstance(rows, ClusterTransferRows):
        return rows, taught
    labelled = taught.transfer
    if labelled.keras:
        return rows.local, taught
    try:
        if labelled.on_cluster:
            check_gather_size(labelled.nbytes, labelled.n_rows)
        parts = labelled.gather()
    finally:
        labelled.release()
    every_row = concat_rows([rows.local, *(part for part, _ in parts)])
    outputs = np.concatenate([taught.outputs, *(out for _, out in parts)])
    return every_row, taught._replace(outputs=outputs, transfer=None)
