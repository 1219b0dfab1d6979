"""MUNGE on data frames: numeric columns perturbed, nominal columns swapped.

Bucilă, Caruana and Niculescu-Mizil (2006) define MUNGE on tables of both
kinds of attribute: the distance between two rows adds, for a numeric
attribute, the difference of the standardised values and, for a nominal one,
0 if the values agree and 1 if not; a nominal value is replaced, with
probability ``p``, by the nearest neighbour's value. :func:`munge_frame` does
this on a :class:`pandas.DataFrame` and returns a frame with the same columns
and dtypes, so that the teacher reads synthetic rows as it reads real ones.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import OneHotEncoder

from ..utils._frames import non_numeric_mask

#: A missing nominal value is one more value of its column in the distance.
_MISSING = "__skdistill_missing__"


def categorical_mask(chosen, n_features, columns=()):
    """The boolean mask of the features ``chosen`` names.

    Parameters
    ----------
    chosen : array-like of int, str or bool, or None
        Munge's ``categorical_features``: positions, a boolean mask, or (for
        a data frame, whose labels are ``columns``) column labels.
    n_features : int
    columns : sequence, default=()
        The frame's column labels; empty for an array.
    """
    mask = np.zeros(n_features, dtype=bool)
    if chosen is None:
        return mask
    given = np.asarray(chosen)
    if given.dtype == bool:
        if given.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a mask needs {n_features} entries; "
                f"got {given.shape[0] if given.ndim else 0}."
            )
        return given.copy()
    columns = list(columns)
    for entry in given.ravel().tolist():
        if entry in columns:
            mask[columns.index(entry)] = True
        elif isinstance(entry, int) and -n_features <= entry < n_features:
            mask[entry] = True
        else:
            named = "a column of X nor " if columns else ""
            raise ValueError(
                f"categorical_features must be feature indices in "
                f"[0, {n_features}) or a boolean mask; {entry!r} is neither "
                f"{named}a position in that range (got {chosen!r})."
            )
    return mask


def nominal_columns(X, chosen):
    """A mask of the columns of frame ``X`` that are nominal.

    Non-numeric columns (category, string, object) and bool columns are
    nominal; so are the columns ``chosen`` names (see :func:`categorical_mask`).
    """
    from pandas.api.types import is_bool_dtype

    bools = np.array([is_bool_dtype(dtype) for dtype in X.dtypes], dtype=bool)
    return non_numeric_mask(X) | bools | categorical_mask(chosen, X.shape[1], X.columns)


def _distance_features(X, nominal):
    """Rows whose Euclidean distances are the mixed distance above.

    Numeric columns are standardised (a missing value sits at the mean); each
    nominal column becomes one-hot columns scaled by ``1 / sqrt(2)``, so that
    two different values are at squared distance 1 and equal ones at 0.
    """
    numeric = X.loc[:, ~nominal].to_numpy(dtype=np.float64, na_value=np.nan)
    mean = np.nanmean(numeric, axis=0) if numeric.size else np.zeros(0)
    scale = np.nanstd(numeric, axis=0) if numeric.size else np.zeros(0)
    mean = np.nan_to_num(mean)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    numeric = np.nan_to_num((numeric - mean) / scale)
    if not nominal.any():
        return numeric
    values = X.loc[:, nominal].astype(object)
    values = values.where(values.notna(), _MISSING).astype(str)
    onehot = OneHotEncoder(sparse_output=True).fit_transform(values)
    return sp.hstack([sp.csr_matrix(numeric), onehot / np.sqrt(2.0)]).tocsr()


def _nearest_other(features):
    # The nearest neighbour other than the row itself: ask for two.
    index = (
        NearestNeighbors(n_neighbors=2)
        .fit(features)
        .kneighbors(features, return_distance=False)
    )
    own = index[:, 0] == np.arange(features.shape[0])
    return np.where(own, index[:, 1], index[:, 0])


def _numeric_column(rows, partners, take, s, rng, dtype):
    from pandas.api.types import is_integer_dtype

    rows = rows.to_numpy(dtype=np.float64, na_value=np.nan)
    partners = partners.to_numpy(dtype=np.float64, na_value=np.nan)
    spread = np.abs(rows - partners) / s
    near = partners + spread * rng.standard_normal(len(rows))
    # Where either value is missing there is no spread: the neighbour's value
    # is swapped in, as for a nominal column.
    near = np.where(np.isfinite(spread), near, partners)
    values = np.where(take, near, rows)
    if is_integer_dtype(dtype) and np.isfinite(values).all():
        return np.round(values).astype(dtype)
    return values


def munge_frame(X, *, n_new, p, s, categorical_features, rng):
    """``n_new`` synthetic rows made from frame ``X``, as a frame of its dtypes.

    Parameters
    ----------
    X : DataFrame of shape (n_samples, n_features)
        Training rows, at least two.
    n_new : int
        How many rows to make.
    p, s : float
        Munge's parameters.
    categorical_features : array-like or None
        More columns to treat as nominal (see :func:`nominal_columns`).
    rng : numpy.random.RandomState
        The generator.

    Returns
    -------
    X_new : DataFrame of shape (n_new, n_features)
    """
    nominal = nominal_columns(X, categorical_features)
    nearest = _nearest_other(_distance_features(X, nominal))
    start = rng.randint(len(X), size=n_new)
    rows = X.iloc[start].reset_index(drop=True)
    partners = X.iloc[nearest[start]].reset_index(drop=True)
    take = rng.random_sample((n_new, X.shape[1])) < p
    new = rows.copy()
    for j, (column, dtype) in enumerate(X.dtypes.items()):
        if nominal[j]:
            new[column] = rows[column].where(~take[:, j], partners[column])
        else:
            new[column] = _numeric_column(
                rows[column], partners[column], take[:, j], s, rng, dtype
            )
    return new
