"""What the student reads: the rows after the ``preprocessor``, if any.

The teacher reads the rows as the user gave them (a data frame stays a
frame). The student may need them otherwise: a Keras student reads a float
array, so a frame with categorical columns goes through a ``preprocessor``
first, a scikit-learn transformer (a ``ColumnTransformer``, say) fitted once
on the student's training rows (labeled, transfer and synthetic rows) and
applied again in ``predict``.
"""

import scipy.sparse as sp
from sklearn.base import clone

from ..utils._frames import flat_rows, numeric_rows
from ..utils._outofcore import BlockReader


def check_preprocessor(preprocessor):
    """Raise a TypeError unless ``preprocessor`` is None or a transformer."""
    if preprocessor is None:
        return
    if not (
        hasattr(preprocessor, "fit")
        and (
            hasattr(preprocessor, "transform") or hasattr(preprocessor, "fit_transform")
        )
        and hasattr(preprocessor, "get_params")
    ):
        raise TypeError(
            "preprocessor must be None or an unfitted scikit-learn transformer "
            "with fit and transform (e.g. a ColumnTransformer, a "
            f"StandardScaler or a Pipeline of them); got "
            f"{type(preprocessor).__name__}."
        )


def _student_rows(X, keras):
    if keras:
        if sp.issparse(X):
            X = X.toarray()
        return numeric_rows(X, owner="a Keras student")
    return X if sp.issparse(X) else flat_rows(X)


def fit_student_inputs(preprocessor, rows, *, keras):
    """A fitted clone of ``preprocessor`` and the rows the student trains on.

    Parameters
    ----------
    preprocessor : transformer or None
        The estimator's ``preprocessor`` parameter.
    rows : ndarray, DataFrame or BlockReader
        Every training row, as the teacher read them.
    keras : bool
        Whether the student is a Keras model, which reads float32 arrays.

    Returns
    -------
    preprocessor_ : transformer or None
        The fitted clone, which ``predict`` applies.
    student_rows : ndarray, sparse matrix, DataFrame or BlockReader
        The rows the student fits on: float32 for a Keras student; 2-D rows
        (a frame stays a frame) for a scikit-learn student.
    """
    if isinstance(rows, BlockReader):
        return None, rows
    if preprocessor is None:
        return None, _student_rows(rows, keras)
    fitted = clone(preprocessor)
    transformed = fitted.fit_transform(rows)
    n_out = transformed.shape[0] if sp.issparse(transformed) else len(transformed)
    if getattr(transformed, "ndim", 2) != 2 or n_out != len(rows):
        raise ValueError(
            f"preprocessor {type(preprocessor).__name__} must return one 2-D "
            f"row per input row ({len(rows)}); got "
            f"{getattr(transformed, 'shape', type(transformed).__name__)}."
        )
    return fitted, _student_rows(transformed, keras)


def student_inputs(preprocessor_, X, *, keras):
    """Rows to predict on, as the student was trained to read them."""
    if preprocessor_ is not None:
        X = preprocessor_.transform(X)
    return _student_rows(X, keras)


def input_shape(student_rows):
    """The shape of one row the student reads."""
    return tuple(student_rows.shape[1:])
