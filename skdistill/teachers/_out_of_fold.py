"""Out-of-fold outputs: each labeled row scored by a teacher fitted without it."""

import numpy as np
from sklearn.model_selection import check_cv

from ..utils._frames import take_rows
from ._base import CLASSIFICATION


def out_of_fold_outputs(adapter, X, y, sample_weight, cv):
    """Outputs for each row of ``X`` from a teacher fitted on the other folds.

    Parameters
    ----------
    adapter : Teacher
        The adapter of an unfitted teacher (see :func:`as_teacher`).
    X, y, sample_weight : ndarray
        The labeled rows.
    cv : int, cross-validation generator or iterable
        Splits of ``X``; the test folds must partition the rows. An int is
        the number of stratified folds for classification, of ``KFold``
        folds for regression, as in ``cross_val_predict``.

    Returns
    -------
    classes : ndarray or None
        The classes, those of ``y``; None for regression.
    oof : ndarray of shape (n_samples, n_outputs)
        Each row's outputs (logits, or predictions) from the teacher fitted
        on the other folds.
    """
    classification = adapter.task == CLASSIFICATION
    splitter = check_cv(cv, y, classifier=classification)
    classes = np.unique(y) if classification else None
    oof = None
    seen = np.zeros(len(X), dtype=int)
    for train, test in splitter.split(X, y):
        fitted = adapter.fit(take_rows(X, train), y[train], sample_weight[train])
        fold_classes, fold_outputs = fitted.outputs(take_rows(X, test))
        if classification and not np.array_equal(np.asarray(fold_classes), classes):
            raise ValueError(
                "teacher_cv: a training fold lacks some classes, so its teacher "
                "cannot score them; use fewer folds or a StratifiedKFold."
            )
        if oof is None:
            oof = np.empty((len(X), fold_outputs.shape[1]), dtype=np.float32)
        oof[test] = fold_outputs
        seen[test] += 1
    if not np.all(seen == 1):
        raise ValueError(
            "teacher_cv must give test folds that cover every row exactly once "
            "(a partition, as KFold and StratifiedKFold do); ShuffleSplit-like "
            "splitters do not."
        )
    return classes, oof
