"""Transfer rows in a Dask collection: recognised, checked against ``X``, read
a partition at a time where they live.

``fit`` takes a ``dask.dataframe.DataFrame`` or a ``dask.array.Array`` as
``X_unlabeled``. :func:`check_dask_unlabeled` checks it against the in-memory
``X`` from what Dask knows without computing anything (its columns and dtypes,
or its dtype, row shape and chunk sizes) and returns a :class:`DaskTransfer`;
its :class:`PartitionReader`, a small object pickled into every task, turns a
partition into the rows the teacher and the student read, on the worker that
holds it.

Dask is never imported at module level, nor by ``import skdistill``: a
collection cannot exist before dask is imported, so one is recognised by its
type's module, and dask is imported inside the functions that only run once
one has been met.
"""

import sys
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_array

from ._frames import check_column_names, is_frame, numeric_rows
from ._validation import refuse_options


def is_dask_collection(X):
    """Whether ``X`` is a Dask collection (never imports dask)."""
    module = type(X).__module__
    return (module == "dask" or module.startswith("dask.")) and hasattr(
        X, "__dask_graph__"
    )


def _is_dask_frame(X):
    return hasattr(X, "map_partitions") and hasattr(X, "columns")


def _is_dask_array(X):
    return hasattr(X, "chunks") and hasattr(X, "to_delayed")


def dask_client():
    """The ``distributed.Client`` Dask would compute on now, or None.

    None when ``distributed`` was never imported, no client is the default,
    or ``dask.config`` names another scheduler: Dask's local scheduler then
    runs the tasks in this process.
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    return client if isinstance(client, distributed.Client) else None


def check_in_memory(X):
    """Raise a TypeError if ``X``, the labeled rows, is a Dask collection."""
    if is_dask_collection(X):
        raise TypeError(
            f"X must be in memory (a NumPy array or a pandas DataFrame); got a "
            f"Dask {type(X).__name__}. Only X_unlabeled may be a Dask "
            "collection: the labeled rows are few next to the transfer rows. "
            "Pass X.compute()."
        )


def _dtype_family(dtype):
    """What a dtype is as the teacher reads it: its name, or ``"strings"`` and
    ``"category"`` for the dtypes Dask may spell otherwise than pandas."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    if str(dtype) == "category":
        return "category"
    if is_string_dtype(dtype) or is_object_dtype(dtype):
        return "strings"
    return str(dtype)


def _frame_casts(X, dtypes):
    """X's dtypes for the columns Dask spells otherwise; a ValueError for the
    columns whose dtypes differ from X's."""
    casts, differ = {}, []
    for column, dtype in X.dtypes.items():
        theirs = dtypes[column]
        if theirs == dtype:
            continue
        if _dtype_family(theirs) != _dtype_family(dtype):
            differ.append(f"{column!r}: X has {dtype}, X_unlabeled {theirs}")
        elif _dtype_family(dtype) == "strings":
            # Dask turns string and object columns into string[pyarrow]; the
            # teacher reads them with X's dtype, as it was fitted.
            casts[column] = dtype
    if differ:
        more = " ..." if len(differ) > 5 else ""
        raise ValueError(
            f"X_unlabeled's columns must have X's dtypes; {len(differ)} differ: "
            f"{'; '.join(differ[:5])}{more}. Cast them before fit, e.g. "
            "X_unlabeled.astype({column: X[column].dtype, ...})."
        )
    return casts


class PartitionReader:
    """Turns a partition into rows, where it lives; pickled into each task.

    Parameters
    ----------
    casts : dict or None
        For a frame, X's dtype of each column that Dask spells otherwise (its
        string columns); None for an array.
    keras : bool
        Whether the student is a Keras model, which reads float32 rows.
    """

    def __init__(self, casts, keras):
        self.casts, self.keras = casts, keras

    def teacher_rows(self, part):
        """The partition as the teacher reads it: a frame with X's dtypes, or
        finite float32 rows, as ``fit`` checks an in-memory ``X_unlabeled``."""
        if self.casts is not None:
            return part.astype(self.casts) if self.casts else part
        return check_array(
            part,
            allow_nd=True,
            dtype=np.float32,
            ensure_min_samples=0,
            input_name="X_unlabeled",
        )

    def student_rows(self, rows):
        """The rows as the student reads them: float32 for a Keras student."""
        if not self.keras or not is_frame(rows):
            return rows
        return numeric_rows(
            rows,
            owner="A Keras student",
            fix="Encode them as numbers in X and X_unlabeled before fit",
            nan_fix="Fill them in X_unlabeled before fit",
        )


class DaskTransfer(NamedTuple):
    """``X_unlabeled`` as a Dask collection, checked against ``X``."""

    #: The collection, each partition holding whole rows.
    collection: object
    #: What each task turns its partition into.
    reader: PartitionReader
    #: Its number of rows where Dask knows it (an array's), else None.
    n_rows: int | None
    #: Bytes of one row as float32 where the rows are an array's, else None.
    row_bytes: int | None

    @property
    def keras(self):
        return self.reader.keras

    def partitions(self):
        """One ``dask.delayed`` object per partition, in row order."""
        parts = self.collection.to_delayed()
        # An array's come in an ndarray with one column of chunks.
        return list(parts.ravel()) if isinstance(parts, np.ndarray) else list(parts)


class ClusterTransferRows(NamedTuple):
    """Every training row: the labeled rows here, the transfer rows in Dask."""

    local: object
    transfer: DaskTransfer


def check_dask_unlabeled(X_unlabeled, X, *, keras):
    """The Dask collection ``X_unlabeled`` checked against ``X``, or an error.

    Reads only what Dask knows without computing: a frame's columns and
    dtypes, an array's dtype, row shape and chunk sizes.

    Parameters
    ----------
    X_unlabeled : dask.dataframe.DataFrame or dask.array.Array
        The transfer rows.
    X : ndarray or DataFrame
        The checked labeled rows.
    keras : bool
        Whether the student is a Keras model.

    Returns
    -------
    transfer : DaskTransfer

    Raises
    ------
    TypeError
        For a collection of the wrong kind for ``X`` (a frame for an array).
    ValueError
        For columns or dtypes that differ from ``X``'s, rows of another shape,
        non-numeric columns for a Keras student, or an array whose chunk sizes
        Dask does not know.
    """
    if is_frame(X):
        if not _is_dask_frame(X_unlabeled):
            raise TypeError(
                "X_unlabeled must be a dask.dataframe.DataFrame with X's columns "
                f"when X is a DataFrame; got a Dask {type(X_unlabeled).__name__}. "
                "Build one with dask.dataframe.from_dask_array(X_unlabeled, "
                "columns=list(X.columns))."
            )
        check_column_names(list(X_unlabeled.columns), X, "X_unlabeled")
        casts = _frame_casts(X, X_unlabeled.dtypes)
        if keras:
            # Checked on X: X_unlabeled's columns have the same dtypes.
            numeric_rows(
                X.iloc[:0],
                owner="A Keras student",
                fix="With a Dask X_unlabeled, no preprocessor is fitted (the "
                "rows stay on the cluster): encode them as numbers in X and "
                "X_unlabeled before fit, or use a scikit-learn student, which "
                "gets the rows gathered",
            )
        reader = PartitionReader(casts, keras)
        return DaskTransfer(X_unlabeled, reader, None, None)
    return _check_dask_array(X_unlabeled, X, keras)


def _check_dask_array(X_unlabeled, X, keras):
    if not _is_dask_array(X_unlabeled):
        raise TypeError(
            "X_unlabeled must be a dask.array.Array when X is an array; got a "
            f"Dask {type(X_unlabeled).__name__}. Pass "
            "X_unlabeled.to_dask_array(lengths=True), or X as a DataFrame."
        )
    if X_unlabeled.dtype.kind not in "biuf":
        raise ValueError(
            f"X_unlabeled must hold numbers; got dtype {X_unlabeled.dtype}. "
            "Convert it with X_unlabeled.astype('float32')."
        )
    if tuple(X_unlabeled.shape[1:]) != tuple(X.shape[1:]):
        raise ValueError(
            f"X_unlabeled rows must have the shape of X's rows, {X.shape[1:]}; "
            f"got {tuple(X_unlabeled.shape[1:])}."
        )
    if any(np.isnan(size) for size in X_unlabeled.chunks[0]):
        raise ValueError(
            "X_unlabeled has unknown chunk sizes along its rows (Dask gives "
            "them as nan after a boolean selection or to_dask_array() without "
            "lengths), which fit needs to plan the teacher's pass and what it "
            "gathers. Call X_unlabeled.compute_chunk_sizes() first, or build it "
            "with to_dask_array(lengths=True)."
        )
    # One chunk per partition of rows: a task labels whole rows.
    whole_rows = {axis: -1 for axis in range(1, X_unlabeled.ndim)}
    if any(n > 1 for n in X_unlabeled.numblocks[1:]):
        X_unlabeled = X_unlabeled.rechunk(whole_rows)
    row_bytes = 4 * int(np.prod(X_unlabeled.shape[1:]))
    reader = PartitionReader(None, keras)
    return DaskTransfer(X_unlabeled, reader, int(X_unlabeled.shape[0]), row_bytes)


def check_dask_options(estimator, keras):
    """Refuse the options that need the transfer rows in this process."""
    if estimator.alpha == 1:
        return
    names = ("augment", "preprocessor") if keras else ("augment",)
    refuse_options(
        estimator,
        names,
        lambda name, value: (
            f"{name}={value!r} needs every training row in this process, "
            "but X_unlabeled is a Dask collection, whose rows stay on the "
            f"cluster{' for a Keras student' if name == 'preprocessor' else ''}"
            f". Set {name}=None, or pass X_unlabeled.compute()."
        ),
    )
