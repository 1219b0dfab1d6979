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

#: A missing nominal value is one more value of its column in the distance.
_MISSING = "__skdistill_missing__"


def nominal_columns(X, chosen):
    """A mask of the columns of frame ``X`` that are nominal.

    Non-numeric columns (category, string, object, bool) are nominal; so are
    the columns ``chosen`` names (labels, positions or a boolean mask).
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    mask = np.array(
        [is_bool_dtype(dtype) or not is_numeric_dtype(dtype) for dtype in X.dtypes],
        dtype=bool,
    )
    if chosen is None:
        return mask
    chosen = np.asarray(chosen)
    n_features = X.shape[1]
    if chosen.dtype == bool:
        if chosen.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a mask needs {n_features} entries; "
                f"got {chosen.shape[0] if chosen.ndim else 0}."
            )
        return mask | chosen
    columns = list(X.columns)
    for entry in chosen.ravel().tolist():
        if entry in columns:
            mask[columns.index(entry)] = True
        elif isinstance(entry, int) and -n_features <= entry < n_features:
            mask[entry] = True
        else:
            raise ValueError(
                f"categorical_features: {entry!r} is neither a column of X nor "
                f"a position in [0, {n_features})."
            )
    return mask


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
