"""scikit-learn estimators as students: soft targets without gradients.

A scikit-learn student cannot take the distillation loss directly, so the
targets are given to it in a form its own ``fit`` accepts:

* a classifier whose ``fit`` takes ``sample_weight`` learns the soft targets
  by *soft-label expansion* (:func:`expand_soft_labels`): each training row
  appears once per class, weighted by the row's weight times the target
  probability of that class,

  .. math:: q = \\alpha \\, \\mathrm{onehot}(y) + (1 - \\alpha) \\,
            \\mathrm{softmax}(z_t / T)

  (transfer and synthetic rows, which have no label, take the soft part
  alone). For a model fitted by log-loss this is the cross-entropy with ``q``
  exactly; for a tree, the impurity of the soft labels. Entries of ``q``
  below :data:`MIN_TARGET` are dropped, so a confident teacher costs little
  more than one copy of the rows;
* a regressor learns the log of ``q``, centred per row (logit matching, Ba
  and Caruana 2014): with ``alpha=0`` and ``T=1``, the teacher's logits up to
  a per-row constant. Its predictions go through a softmax
  (:func:`student_outputs`).

For regression (:func:`regression_targets`) a regressor student fits the
blend of labels and teacher that squared error calls for.

Nothing here imports Keras.
"""

import numpy as np
from scipy.special import softmax
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline

from ..utils._weights import takes_sample_weight

#: Target probabilities below this are dropped from the expansion: at most
#: ``n_classes * MIN_TARGET`` of a row's weight is lost.
MIN_TARGET = 1e-3
#: Floor of ``q`` before its log is taken for a regressor (``alpha=1`` would
#: otherwise give ``-inf`` for every class but the label).
MIN_LOG_TARGET = 1e-6


def is_sklearn_student(student):
    """Whether ``student`` is a scikit-learn estimator (not a Keras builder)."""
    return hasattr(student, "fit") and hasattr(student, "get_params")


def check_sklearn_student(student, task):
    """Raise a TypeError for a scikit-learn student that cannot learn the task."""
    name = type(student).__name__
    if task == "regression":
        if is_classifier(student):
            raise TypeError(
                f"student {name} is a classifier; DistilledRegressor needs a "
                "regressor student (e.g. DecisionTreeRegressor, Ridge, "
                "HistGradientBoostingRegressor) or a Keras student builder "
                "(e.g. MLPStudent())."
            )
        return
    if is_regressor(student):
        return
    if is_classifier(student) and takes_sample_weight(student):
        return
    kind = "classifier" if is_classifier(student) else "estimator"
    whose = "whose last step's fit" if isinstance(student, Pipeline) else "whose fit"
    raise TypeError(
        f"student {name} is a scikit-learn {kind} {whose} "
        "takes no sample_weight, so it cannot learn soft targets. Use a "
        "classifier that takes sample_weight (e.g. DecisionTreeClassifier, "
        "HistGradientBoostingClassifier, LogisticRegression), a regressor, "
        "which learns the teacher's logits (e.g. DecisionTreeRegressor), or a "
        "Keras student builder (e.g. MLPStudent())."
    )


def soft_targets(t_logits, y_index, *, alpha, temperature):
    """``q``: the labels mixed with the softened teacher, one row per row.

    Parameters
    ----------
    t_logits : ndarray of shape (n_rows, n_classes)
        The teacher's logits on every training row, labeled rows first.
    y_index : ndarray of shape (n_labeled,)
        Class indices of the labeled rows.
    alpha, temperature : float
        The estimator's parameters.

    Returns
    -------
    q : ndarray of shape (n_rows, n_classes)
        Rows summing to 1.
    """
    q = softmax(np.asarray(t_logits, np.float64) / temperature, axis=1)
    labeled = q[: len(y_index)]
    labeled *= 1.0 - alpha
    labeled[np.arange(len(y_index)), y_index] += alpha
    return q


def expand_soft_labels(q, weights):
    """Rows, labels and weights of the soft-label expansion of ``q``.

    Parameters
    ----------
    q : ndarray of shape (n_rows, n_classes)
        Target probabilities.
    weights : ndarray of shape (n_rows,)
        Per-row weights.

    Returns
    -------
    rows : ndarray of shape (n_expanded,)
        The row each expanded entry repeats.
    classes : ndarray of shape (n_expanded,)
        Its class index.
    weights : ndarray of shape (n_expanded,)
        ``weights[row] * q[row, class]``.
    """
    rows, classes = np.nonzero(q >= MIN_TARGET)
    return rows, classes, weights[rows] * q[rows, classes]


def classification_targets(
    student, t_logits, y_index, weights, classes, *, alpha, temperature
):
    """What a scikit-learn student fits on to learn the soft targets.

    Parameters
    ----------
    student : estimator
        The unfitted student: a classifier learns by soft-label expansion, a
        regressor the log of the soft targets, centred per row.
    t_logits : ndarray of shape (n_rows, n_classes)
        The teacher's logits (zeros without a teacher).
    y_index : ndarray of shape (n_labeled,)
        Class indices of the labeled rows.
    weights : ndarray of shape (n_rows,)
        Per-row weights.
    classes : ndarray of shape (n_classes,)
        The labels; a classifier student is fitted on them.
    alpha, temperature : float
        The estimator's parameters.

    Returns
    -------
    index : ndarray of shape (n_fit,) or None
        The training row of each row the student fits on (None: every row,
        once, in order).
    target : ndarray of shape (n_fit,) or (n_fit, n_classes)
        Labels for a classifier, centred log-targets for a regressor.
    weights : ndarray of shape (n_fit,)
        The sample weights.
    """
    q = soft_targets(t_logits, y_index, alpha=alpha, temperature=temperature)
    if is_regressor(student):
        target = np.log(np.maximum(q, MIN_LOG_TARGET))
        target -= target.mean(axis=1, keepdims=True)
        return None, target, weights
    index, labels, expanded_weights = expand_soft_labels(q, weights)
    return index, classes[labels], expanded_weights


def regression_targets(y, t_predictions, weights, *, alpha):
    """The blended targets a scikit-learn regressor student fits on.

    For squared error this is exact: on a labeled row
    ``alpha * (y - s)**2 + (1 - alpha) * (t - s)**2`` is, up to a constant,
    ``(alpha * y + (1 - alpha) * t - s)**2``; a transfer row carries the
    teacher's term only, ``(1 - alpha) * (t - s)**2``.

    Parameters
    ----------
    y : ndarray of shape (n_labeled, n_outputs)
        The labels of the first rows.
    t_predictions : ndarray of shape (n_rows, n_outputs) or None
        The teacher's predictions on every row; None without a teacher.
    weights : ndarray of shape (n_rows,)
        Per-row weights.
    alpha : float
        The weight of the labels.

    Returns
    -------
    index : None
        Every row, once, in order.
    target : ndarray of shape (n_rows, n_outputs)
    weights : ndarray of shape (n_rows,)
    """
    if t_predictions is None:
        return None, np.asarray(y, np.float64), weights
    n_labeled = len(y)
    target = np.array(t_predictions, dtype=np.float64)
    target[:n_labeled] = (
        alpha * np.asarray(y, np.float64) + (1 - alpha) * target[:n_labeled]
    )
    weights = np.array(weights, dtype=np.float64)
    weights[n_labeled:] *= 1 - alpha
    return None, target, weights


def student_outputs(student, X, classes):
    """A fitted scikit-learn student's outputs over ``classes``.

    Returns
    -------
    outputs : ndarray of shape (n_samples, n_classes)
        A classifier's probabilities, its columns placed by its own
        ``classes_`` (a class that no expanded row carried gets 0); a
        regressor's predicted logits, which go through a softmax.
    """
    if not is_classifier(student):
        return np.asarray(student.predict(X), np.float64)
    if hasattr(student, "predict_proba"):
        seen = np.asarray(student.predict_proba(X), np.float64)
    else:
        predicted = np.asarray(student.predict(X))
        seen = (predicted[:, None] == student.classes_[None, :]).astype(np.float64)
    proba = np.zeros((seen.shape[0], len(classes)))
    proba[:, np.searchsorted(classes, student.classes_)] = seen
    return proba
