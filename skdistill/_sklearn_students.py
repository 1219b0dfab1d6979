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

Nothing here imports Keras.
"""

import numpy as np
from scipy.special import softmax
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

#: Target probabilities below this are dropped from the expansion: at most
#: ``n_classes * MIN_TARGET`` of a row's weight is lost.
MIN_TARGET = 1e-3
#: Floor of ``q`` before its log is taken for a regressor (``alpha=1`` would
#: otherwise give ``-inf`` for every class but the label).
MIN_LOG_TARGET = 1e-6


def is_sklearn_student(student):
    """Whether ``student`` is a scikit-learn estimator (not a Keras builder)."""
    return hasattr(student, "fit") and hasattr(student, "get_params")


def check_sklearn_student(student):
    """Raise a TypeError for a scikit-learn student that cannot learn soft targets."""
    if is_regressor(student):
        return
    if is_classifier(student) and has_fit_parameter(student, "sample_weight"):
        return
    kind = "classifier" if is_classifier(student) else "estimator"
    raise TypeError(
        f"student {type(student).__name__} is a scikit-learn {kind} whose fit "
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


def fit_sklearn_student(
    student, rows, t_logits, y_index, weights, classes, *, alpha, temperature, seed
):
    """Fit a clone of ``student`` on the soft targets; return it.

    Parameters
    ----------
    student : estimator
        The unfitted scikit-learn classifier or regressor.
    rows : ndarray of shape (n_rows, ...)
        Every training row, labeled rows first; n-D rows are flattened.
    t_logits : ndarray of shape (n_rows, n_classes)
        The teacher's logits (zeros without a teacher).
    y_index : ndarray of shape (n_labeled,)
        Class indices of the labeled rows.
    weights : ndarray of shape (n_rows,)
        Per-row weights (``sample_weight`` on labeled rows, 1 elsewhere).
    classes : ndarray of shape (n_classes,)
        The labels; a classifier student is fitted on them.
    alpha, temperature : float
        The estimator's parameters.
    seed : int or None
        Given to the student as ``random_state`` where it has that parameter
        and it is None.

    Returns
    -------
    student : estimator
        The fitted clone.
    """
    check_sklearn_student(student)
    student = clone(student)
    if seed is not None and student.get_params().get("random_state", 0) is None:
        student.set_params(random_state=seed)
    X = rows.reshape(len(rows), -1)
    q = soft_targets(t_logits, y_index, alpha=alpha, temperature=temperature)
    if is_regressor(student):
        target = np.log(np.maximum(q, MIN_LOG_TARGET))
        target -= target.mean(axis=1, keepdims=True)
        if not get_tags(student).target_tags.multi_output:
            student = MultiOutputRegressor(student)
        if has_fit_parameter(student, "sample_weight"):
            return student.fit(X, target, sample_weight=weights)
        if not np.all(weights == 1):
            raise ValueError(
                f"student {type(student).__name__}'s fit takes no sample_weight, "
                "but sample_weight was given: the rows' weights would be "
                "ignored. Use a regressor that takes sample_weight, or none."
            )
        return student.fit(X, target)
    expanded, labels, expanded_weights = expand_soft_labels(q, weights)
    return student.fit(X[expanded], classes[labels], sample_weight=expanded_weights)


def student_outputs(student, X, classes):
    """A fitted scikit-learn student's outputs over ``classes``.

    Returns
    -------
    outputs : ndarray of shape (n_samples, n_classes)
        A classifier's probabilities, its columns placed by its own
        ``classes_`` (a class that no expanded row carried gets 0); a
        regressor's predicted logits, which go through a softmax.
    """
    X = X.reshape(len(X), -1)
    if not is_classifier(student):
        return np.asarray(student.predict(X), np.float64)
    if hasattr(student, "predict_proba"):
        seen = np.asarray(student.predict_proba(X), np.float64)
    else:
        predicted = np.asarray(student.predict(X))
        seen = (predicted[:, None] == student.classes_[None, :]).astype(np.float64)
    proba = np.zeros((len(X), len(classes)))
    proba[:, np.searchsorted(classes, student.classes_)] = seen
    return proba
