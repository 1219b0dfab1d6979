"""Rows as users bring them: pandas data frames, kept as frames.

A :class:`pandas.DataFrame` given to ``fit`` is never turned into a float
array: the teacher, a scikit-learn student and a ``preprocessor`` see frames
with the original columns and dtypes (category, string, object, NaN). The
helpers here take, join, hash and convert rows whether they are a frame or an
ndarray, so the steps of ``fit`` need not ask which. pandas is imported only
when a frame is met: a frame cannot exist without it.
"""

import sys

import numpy as np

#: Two keys of pandas' row hash, which together give 128 bits per row.
_HASH_KEYS = ("skdistill-rows-1", "skdistill-rows-2")
_DIGEST = np.dtype([("high", "<u8"), ("low", "<u8")])


def is_frame(X):
    """Whether ``X`` is a pandas DataFrame (never imports pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(X, pandas.DataFrame)


def flat_rows(X):
    """``X`` as 2-D rows: n-D arrays are flattened, frames kept as they are."""
    if is_frame(X) or getattr(X, "ndim", 2) <= 2:
        return X
    return X.reshape(len(X), -1)


def take_rows(X, index):
    """The rows of ``X`` at ``index`` (positions), a frame for a frame."""
    if is_frame(X):
        return X.iloc[index].reset_index(drop=True)
    return X[index]


def concat_rows(parts):
    """Rows of ``parts`` one after the other.

    Frames are joined with ``pandas.concat``; a categorical column whose
    categories differ between parts keeps the union of the categories (in
    the order first seen) rather than falling back to ``object``.
    """
    parts = [part for part in parts if part is not None]
    if len(parts) == 1:
        return parts[0]
    if not is_frame(parts[0]):
        return np.concatenate(parts)
    import pandas as pd

    joined = pd.concat(parts, ignore_index=True)
    for column, dtype in parts[0].dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype) and joined[column].dtype != dtype:
            seen = [_categories(part[column]) for part in parts]
            categories = seen[0].append(seen[1:]).unique()
            joined[column] = pd.Categorical(
                joined[column], categories=categories, ordered=dtype.ordered
            )
    return joined


def _categories(column):
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.dtype.categories
    return pd.Index(column.dropna().unique())


def check_same_columns(X_other, X, name):
    """Raise unless ``X_other`` is a frame with ``X``'s columns, in order.

    Returns ``X_other`` as it is: its dtypes are reconciled when the rows are
    joined (:func:`concat_rows`).
    """
    if not is_frame(X_other):
        raise TypeError(
            f"{name} must be a pandas DataFrame with X's columns when X is one; "
            f"got {type(X_other).__name__}. Build it with "
            f"pandas.DataFrame(rows, columns=X.columns)."
        )
    check_column_names(list(X_other.columns), X, name)
    return X_other


def check_column_names(other, X, name):
    """Raise a ValueError unless the column labels ``other`` are X's, in order."""
    columns = list(X.columns)
    if columns != other:
        missing = [c for c in columns if c not in other]
        extra = [c for c in other if c not in columns]
        detail = (
            f"missing {missing}, unexpected {extra}"
            if missing or extra
            else "the same columns in another order"
        )
        raise ValueError(
            f"{name} must have X's columns in X's order; it has {detail}. "
            f"Select them with {name}[X.columns]."
        )


_STUDENT_FIX = (
    "Pass preprocessor=, a scikit-learn transformer that makes them numbers "
    "(e.g. make_column_transformer((OneHotEncoder(handle_unknown='ignore'), "
    "categorical_columns), remainder=StandardScaler()))"
)
_STUDENT_NAN_FIX = "Pass preprocessor=, e.g. one with a SimpleImputer, to fill them"


def non_numeric_mask(X):
    """Which columns of frame ``X`` hold neither numbers nor booleans."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return np.array(
        [not (is_numeric_dtype(t) or is_bool_dtype(t)) for t in X.dtypes], dtype=bool
    )


def numeric_rows(X, *, owner, fix=_STUDENT_FIX, nan_fix=_STUDENT_NAN_FIX):
    """``X`` as a float32 array, or a ValueError saying how to get there.

    Parameters
    ----------
    X : ndarray or DataFrame
        Rows a Keras model is to read.
    owner : str
        Who reads them, for the message (``"a Keras student"``).
    fix, nan_fix : str
        What to do about non-numeric columns, and about missing values.
    """
    if not is_frame(X):
        return np.asarray(X, dtype=np.float32)
    non_numeric = [str(column) for column in X.columns[non_numeric_mask(X)]]
    if non_numeric:
        more = " ..." if len(non_numeric) > 5 else ""
        raise ValueError(
            f"{owner} reads numbers, but X has non-numeric columns "
            f"{non_numeric[:5]}{more}. {fix}."
        )
    rows = X.to_numpy(dtype=np.float32, na_value=np.nan)
    if not np.isfinite(rows).all():
        raise ValueError(
            f"{owner} reads finite numbers, but X has missing or infinite "
            f"values. {nan_fix}."
        )
    return rows


def row_signature(X):
    """What a row's hash does not cover: its shape and dtype, or the columns."""
    if is_frame(X):
        return (
            "frame",
            tuple(map(str, X.columns)),
            tuple(str(dtype) for dtype in X.dtypes),
        )
    return (X.shape[1:], X.dtype.str)


def frame_row_digests(X):
    """A 128-bit hash of each row of frame ``X``, by value.

    pandas' ``hash_pandas_object`` hashes a categorical by its values, not its
    codes, and an object column by the values' contents, so the same rows get
    the same digests however the frame was built; the column names and dtypes
    are keyed separately (:func:`row_signature`).
    """
    from pandas.util import hash_pandas_object

    digests = np.empty(len(X), dtype=_DIGEST)
    for field, key in zip(("high", "low"), _HASH_KEYS, strict=True):
        digests[field] = hash_pandas_object(X, index=False, hash_key=key).to_numpy()
    return digests


def fingerprint_frame(X):
    """A hash of a frame's columns, dtypes and values."""
    import joblib

    digests = frame_row_digests(X)
    return joblib.hash((row_signature(X), len(X), digests.tobytes()))
