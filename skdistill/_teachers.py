"""Teachers: the kinds of model a student can learn from, behind one interface.

A teacher is resolved in two steps. :func:`fit_teacher` returns a fitted
teacher, fitting a clone of an unfitted scikit-learn classifier and using every
fitted one as it is. :func:`teacher_logits` then runs it and returns its classes
and one row of logits per sample, whatever the teacher's kind.
"""

import functools
import sys

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ._precomputed import PrecomputedTeacher

_OUTPUT_KINDS = ("auto", "logits", "probabilities")
_COMBINE_KINDS = ("probabilities", "logits")


def is_keras_model(obj):
    # A Keras model can only exist once keras is imported, so this never
    # imports it.
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def _is_sklearn_classifier(obj):
    return hasattr(obj, "fit") and hasattr(obj, "get_params")


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


class KerasTeacher(BaseEstimator):
    """A trained Keras model used as a teacher, with how to read its outputs.

    A plain ``keras.Model`` passed as ``teacher`` is wrapped in this class with
    its defaults; wrap it yourself to name its classes or to say whether it
    outputs logits or probabilities.

    Parameters
    ----------
    model : keras.Model
        A trained model with one output per class.
    classes : array-like of shape (n_classes,), default=None
        The label of each output column. ``None`` means ``0, 1, ..., n_classes - 1``,
        which suits integer labels such as MNIST's digits.
    output : {"auto", "logits", "probabilities"}, default="auto"
        What the model outputs. ``"auto"`` decides in this order: a softmax
        activation or ``Softmax`` layer at the end of the model means
        probabilities; otherwise, if every output row is non-negative and sums
        to 1 (within 1e-3), probabilities; else logits.
    batch_size : int, default=128
        Rows per forward pass when the teacher's outputs are computed. The
        pass's peak memory grows with it: with the notebook's convolutional
        teacher, 1024 rows took about 830 MiB above the data, against about
        100 MiB for a teacher-per-batch loop at batch size 32.

    See Also
    --------
    EnsembleTeacher : Several teachers whose soft targets are combined.
    DistilledClassifier : The estimator that takes a teacher.

    Examples
    --------
    >>> from skdistill import KerasTeacher
    >>> KerasTeacher(model=None, classes=["cat", "dog"], output="logits")
    KerasTeacher(classes=['cat', 'dog'], model=None, output='logits')
    """

    def __init__(self, model, *, classes=None, output="auto", batch_size=128):
        self.model = model
        self.classes = classes
        self.output = output
        self.batch_size = batch_size

    def __sklearn_is_fitted__(self):
        return True


class EnsembleTeacher(BaseEstimator):
    """Several teachers whose soft targets are combined into one.

    A plain list passed as ``teacher`` becomes an ``EnsembleTeacher`` with its
    defaults. Members may be of any kind ``DistilledClassifier`` accepts, fitted
    or not; all must have the same set of classes.

    Parameters
    ----------
    teachers : list
        The members.
    weights : array-like of shape (n_teachers,), default=None
        Non-negative weight of each member; ``None`` weighs them equally.
        Weights are normalised to sum to 1.
    combine : {"probabilities", "logits"}, default="probabilities"
        ``"probabilities"`` takes the weighted arithmetic mean of the members'
        probabilities, the ensemble's usual prediction (soft voting): where
        members disagree, the mixture keeps each one's view and the soft target
        stays broad. ``"logits"`` averages the members' log-probabilities, a
        normalised weighted geometric mean: it rewards agreement and is sharper,
        but a single member that is confidently wrong pulls the target far.
        Members' logits are normalised with a log-softmax first, since raw
        logits of different models carry arbitrary offsets.

    See Also
    --------
    KerasTeacher : How to read a Keras model's outputs.
    sklearn.ensemble.VotingClassifier : Soft voting, the same mean of probabilities.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import EnsembleTeacher
    >>> EnsembleTeacher([LogisticRegression(), GaussianNB()], weights=[2, 1])
    EnsembleTeacher(teachers=[LogisticRegression(), GaussianNB()], weights=[2, 1])
    """

    def __init__(self, teachers, *, weights=None, combine="probabilities"):
        self.teachers = teachers
        self.weights = weights
        self.combine = combine

    def __sklearn_is_fitted__(self):
        return all(is_fitted_teacher(t) for t in _as_list(self.teachers))


def _as_list(teachers):
    if not isinstance(teachers, (list, tuple)) or len(teachers) == 0:
        raise ValueError(
            "An ensemble of teachers must be a non-empty list; "
            f"got {type(teachers).__name__}."
        )
    return list(teachers)


def resolve_teacher(teacher):
    """The teacher itself: a :class:`ScatteredTeacher` is fetched, others kept."""
    from ._distributed import ScatteredTeacher

    if isinstance(teacher, ScatteredTeacher):
        return teacher.resolve()
    return teacher


def is_fitted_teacher(teacher):
    """Whether ``teacher`` is used as it is (``True``) or fitted inside ``fit``."""
    if isinstance(teacher, (list, tuple)):
        return all(is_fitted_teacher(t) for t in teacher)
    if is_keras_model(teacher):
        return True
    if isinstance(teacher, (KerasTeacher, EnsembleTeacher)):
        return teacher.__sklearn_is_fitted__()
    if _is_sklearn_classifier(teacher):
        return _is_fitted(teacher)
    return True


def clone_teacher(teacher):
    """Clone what ``fit`` would refit, keep fitted teachers as the same object.

    This is what lets ``clone``, ``GridSearchCV`` and ``cross_val_score`` copy a
    :class:`DistilledClassifier` without unfitting a teacher trained elsewhere,
    while an unfitted teacher is cloned like any other parameter.
    """
    if isinstance(teacher, (list, tuple)):
        return type(teacher)(clone_teacher(t) for t in teacher)
    if isinstance(teacher, EnsembleTeacher):
        if is_fitted_teacher(teacher):
            return teacher
        members = [clone_teacher(t) for t in _as_list(teacher.teachers)]
        return EnsembleTeacher(
            members, weights=clone(teacher.weights, safe=False), combine=teacher.combine
        )
    if is_fitted_teacher(teacher):
        return teacher
    return clone(teacher)


def check_teacher_kind(teacher):
    if teacher is None:
        raise ValueError(
            "teacher is required unless alpha=1: pass a fitted classifier, a "
            "keras.Model, a list of them, or an unfitted scikit-learn classifier "
            "to fit inside fit, e.g. "
            "DistilledClassifier(teacher=HistGradientBoostingClassifier())."
        )
    kinds = (list, tuple, EnsembleTeacher, KerasTeacher, PrecomputedTeacher)
    if isinstance(teacher, kinds) or is_keras_model(teacher):
        return
    if not _is_sklearn_classifier(teacher):
        raise TypeError(
            "teacher must be a scikit-learn classifier, a keras.Model, a "
            "KerasTeacher, an EnsembleTeacher, a PrecomputedTeacher or a list "
            f"of these; got {type(teacher).__name__}."
        )
    if not (hasattr(teacher, "predict_proba") or hasattr(teacher, "decision_function")):
        raise TypeError(
            f"teacher {type(teacher).__name__} cannot produce soft targets: it has "
            "neither predict_proba nor decision_function. Use a probabilistic "
            "classifier, or wrap this one in "
            "sklearn.calibration.CalibratedClassifierCV."
        )


def check_teacher(teacher, *, alpha, teacher_cv):
    """Check the ``teacher`` parameter without fitting or running it.

    Raises
    ------
    ValueError
        No teacher where one is needed, or a fitted one with ``teacher_cv``.
    TypeError
        A teacher (or ensemble member) of a kind that cannot give soft targets.
    """
    from ._distributed import ScatteredTeacher

    if teacher is None and alpha == 1:
        return
    if isinstance(teacher, ScatteredTeacher):
        members = []  # checked where it was scattered from
    elif isinstance(teacher, (list, tuple, EnsembleTeacher)):
        check_teacher_kind(teacher)
        members = _as_list(getattr(teacher, "teachers", teacher))
    else:
        check_teacher_kind(teacher)
        members = []
    for member in members:
        check_teacher_kind(member)
    if teacher_cv is not None and alpha != 1 and is_fitted_teacher(teacher):
        raise ValueError(
            "teacher_cv needs an unfitted teacher, which fit trains once per "
            "fold; the teacher passed is fitted already. Pass an unfitted "
            "estimator (e.g. sklearn.base.clone(teacher)), or set "
            "teacher_cv=None."
        )


def fit_teacher(teacher, X, y, sample_weight=None):
    """Return a fitted teacher: ``teacher`` itself if fitted, else a fitted clone.

    Parameters
    ----------
    teacher : object
        Any kind of teacher ``DistilledClassifier`` accepts.
    X : ndarray of shape (n_samples, ...)
        Training rows; flattened to 2-D for scikit-learn teachers.
    y : ndarray of shape (n_samples,)
        Training labels.
    sample_weight : ndarray of shape (n_samples,), default=None
        Passed to the teacher's ``fit`` where it accepts it.

    Returns
    -------
    fitted : object
        The fitted teacher.
    """
    check_teacher_kind(teacher)
    if isinstance(teacher, (list, tuple)):
        teacher = EnsembleTeacher(list(teacher))
    if isinstance(teacher, EnsembleTeacher):
        members = _as_list(teacher.teachers)
        fitted = [fit_teacher(t, X, y, sample_weight) for t in members]
        if all(f is t for f, t in zip(fitted, members, strict=True)):
            return teacher
        return EnsembleTeacher(fitted, weights=teacher.weights, combine=teacher.combine)
    if is_keras_model(teacher) or isinstance(
        teacher, (KerasTeacher, PrecomputedTeacher)
    ):
        return teacher
    if _is_fitted(teacher):
        return teacher
    estimator = clone(teacher)
    kwargs = {}
    if sample_weight is not None and has_fit_parameter(estimator, "sample_weight"):
        kwargs["sample_weight"] = sample_weight
    return estimator.fit(_flat(X), y, **kwargs)


def _flat(X):
    # scikit-learn estimators take 2-D arrays only; images are flattened.
    return X.reshape(len(X), -1) if X.ndim > 2 else X


def check_teacher_outputs(teacher, method, out, *, n_rows, n_classes, probabilities):
    """Raise a ValueError if a teacher's raw outputs cannot teach a student.

    Parameters
    ----------
    teacher : object
        The teacher (or ensemble member) that produced ``out``, named in the
        message.
    method : str
        What produced them, e.g. ``"predict_proba"``.
    out : ndarray
        The outputs, one row per sample (a binary ``decision_function`` may be
        1-D).
    n_rows, n_classes : int
        The rows asked for, and the classes the teacher declares.
    probabilities : bool
        Whether each row must be a probability distribution.
    """
    name = type(teacher).__name__
    where = f"teacher {name}'s {method}"
    width = 1 if out.ndim == 1 else out.shape[1]
    if (
        len(out) != n_rows
        or out.ndim > 2
        or (width != n_classes and not (out.ndim == 1 and n_classes == 2))
    ):
        raise ValueError(
            f"{where} returned an array of shape {out.shape} for {n_rows} rows "
            f"and {n_classes} classes; expected shape ({n_rows}, {n_classes}), one "
            "column per class in the order of its classes_."
        )
    rows = out.reshape(len(out), -1)
    bad = ~np.all(np.isfinite(rows), axis=1)
    if bad.any():
        raise ValueError(
            f"{where} returned non-finite values (NaN or infinity) in "
            f"{int(bad.sum())} of {n_rows} rows; a student cannot learn from "
            "them. Check the teacher on those rows, e.g. "
            "np.flatnonzero(~np.isfinite(outputs).all(axis=1))."
        )
    if not probabilities:
        return
    totals = rows.sum(axis=1, dtype=np.float64)
    bad = (np.abs(totals - 1.0) > 1e-3) | np.any(rows < 0, axis=1)
    if bad.any():
        raise ValueError(
            f"{where} returned {int(bad.sum())} of {n_rows} rows that are not "
            "probability distributions (negative, or not summing to 1 within "
            "1e-3); soft targets need one probability per class. If these are "
            "scores, say so (KerasTeacher(model, output='logits')) or calibrate "
            "the teacher (sklearn.calibration.CalibratedClassifierCV)."
        )


def _probabilities_to_logits(p):
    return np.log(np.clip(np.asarray(p, dtype=np.float64), 1e-12, None))


def _sklearn_logits(estimator, X):
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise TypeError(
            f"teacher {type(estimator).__name__} has no classes_ attribute; "
            "a classifier teacher is needed."
        )
    X = _flat(X)
    check = functools.partial(
        check_teacher_outputs, estimator, n_rows=len(X), n_classes=len(classes)
    )
    if hasattr(estimator, "predict_proba"):
        p = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        check("predict_proba", p, probabilities=True)
        logits = _probabilities_to_logits(p)
    elif hasattr(estimator, "decision_function"):
        d = np.asarray(estimator.decision_function(X), dtype=np.float64)
        check("decision_function", d, probabilities=False)
        # A binary decision function is the log-odds of classes_[1]; split it
        # symmetrically so that softmax gives back the logistic.
        logits = np.column_stack([-d / 2, d / 2]) if d.ndim == 1 else d
    else:
        raise TypeError(
            f"teacher {type(estimator).__name__} cannot produce soft targets: "
            "it has neither predict_proba nor decision_function."
        )
    return np.asarray(classes), logits


def _keras_logits(teacher, X):
    from ._keras import outputs_probabilities, predict_logits

    if not isinstance(teacher, KerasTeacher):
        teacher = KerasTeacher(teacher)
    _check_choice("KerasTeacher output", teacher.output, _OUTPUT_KINDS)
    if not is_keras_model(teacher.model):
        raise TypeError(
            "KerasTeacher model must be a keras.Model; got "
            f"{type(teacher.model).__name__}."
        )
    model = teacher.model
    out = predict_logits(
        model, X, batch_size=int(teacher.batch_size), probabilities=False
    )
    # The number of outputs is checked against classes below.
    check = functools.partial(
        check_teacher_outputs,
        model,
        "output",
        out,
        n_rows=len(X),
        n_classes=out.shape[-1],
    )
    check(probabilities=False)
    output = teacher.output
    if output == "auto":
        rows_are_distributions = (
            out.size > 0
            and np.all(out >= 0)
            and np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
        )
        probabilities = outputs_probabilities(model) or rows_are_distributions
        output = "probabilities" if probabilities else "logits"
    if output == "probabilities":
        check(probabilities=True)
    logits = _probabilities_to_logits(out) if output == "probabilities" else out
    n_outputs = logits.shape[1]
    classes = (
        np.arange(n_outputs) if teacher.classes is None else np.asarray(teacher.classes)
    )
    if len(classes) != n_outputs:
        raise ValueError(
            f"KerasTeacher classes has {len(classes)} labels but the model has "
            f"{n_outputs} outputs."
        )
    return classes, logits


def _ensemble_logits(teacher, X):
    members = _as_list(teacher.teachers)
    _check_choice("EnsembleTeacher combine", teacher.combine, _COMBINE_KINDS)
    if teacher.weights is None:
        weights = np.ones(len(members))
    else:
        weights = np.asarray(teacher.weights, dtype=np.float64)
        if weights.shape != (len(members),):
            raise ValueError(
                f"EnsembleTeacher weights must have one entry per teacher "
                f"({len(members)}); got shape {weights.shape}."
            )
        if (
            not np.all(np.isfinite(weights))
            or np.any(weights < 0)
            or weights.sum() <= 0
        ):
            raise ValueError(
                "EnsembleTeacher weights must be finite, non-negative and not all "
                f"zero; got {teacher.weights!r}."
            )
    weights = weights / weights.sum()

    classes = None
    combined = None
    for member, weight in zip(members, weights, strict=True):
        member_classes, logits = teacher_logits(member, X)
        order = np.argsort(member_classes)
        member_classes, logits = member_classes[order], logits[:, order]
        if classes is None:
            classes = member_classes
        elif len(member_classes) != len(classes) or np.any(member_classes != classes):
            raise ValueError(
                "All teachers of an ensemble must have the same classes; got "
                f"{list(classes)} and {list(member_classes)}."
            )
        if teacher.combine == "probabilities":
            term = weight * softmax(logits, axis=1)
        else:
            term = weight * log_softmax(logits, axis=1)
        combined = term if combined is None else combined + term
    if teacher.combine == "probabilities":
        combined = _probabilities_to_logits(combined)
    return classes, combined


def teacher_logits(teacher, X):
    """The classes of a fitted teacher and its logits on ``X``.

    Parameters
    ----------
    teacher : object
        A fitted teacher, as returned by :func:`fit_teacher`.
    X : ndarray of shape (n_samples, ...)
        Rows to label.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The label of each logit column.
    logits : ndarray of shape (n_samples, n_classes)
        Logits; for probabilistic teachers, log-probabilities.
    """
    if isinstance(teacher, (list, tuple)):
        teacher = EnsembleTeacher(list(teacher))
    if isinstance(teacher, EnsembleTeacher):
        return _ensemble_logits(teacher, X)
    if is_keras_model(teacher) or isinstance(teacher, KerasTeacher):
        return _keras_logits(teacher, X)
    if isinstance(teacher, PrecomputedTeacher):
        return _precomputed_logits(teacher, X)
    return _sklearn_logits(teacher, X)


def _precomputed_logits(teacher, X):
    classes, out = teacher.lookup(X)
    probabilities = teacher.reads_probabilities(out)
    check_teacher_outputs(
        teacher,
        "outputs",
        out,
        n_rows=len(X),
        n_classes=len(classes),
        probabilities=probabilities,
    )
    return classes, _probabilities_to_logits(out) if probabilities else out
