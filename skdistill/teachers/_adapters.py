"""Teachers of every kind behind one interface, chosen once.

:func:`as_teacher` looks at the ``teacher`` parameter once and returns an
adapter of its kind (a scikit-learn estimator, a Keras model, an ensemble,
precomputed outputs, a teacher scattered to a Dask cluster). The adapter knows
whether its teacher is fitted, how to fit and clone it, a fingerprint that
changes whenever its outputs could, and how to produce its outputs for one
task: for classification its classes and one row of logits per sample, for
regression one row of predictions per sample. Nothing after :func:`as_teacher`
asks what kind of teacher it has.
"""

import functools
import sys

import joblib
import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..utils._frames import flat_rows, numeric_rows
from ..utils._keras import outputs_probabilities, predict_logits
from ..utils._weights import takes_sample_weight, weight_arguments
from ._base import CLASSIFICATION, REGRESSION, Teacher
from ._checks import (
    check_choice,
    check_regression_outputs,
    check_teacher_outputs,
    probabilities_to_logits,
)
from ._distributed import ScatteredTeacher
from ._ensemble import EnsembleAdapter, ensemble_members
from ._precomputed import PrecomputedTeacher
from ._wrappers import EnsembleTeacher, KerasTeacher

_OUTPUT_KINDS = ("auto", "logits", "probabilities")
#: What to do when a teacher that reads arrays is given a frame it cannot read.
_KERAS_TEACHER_FIX = {
    "fix": "Encode them as numbers before fit, or use a scikit-learn teacher "
    "that takes the frame (a Pipeline with a ColumnTransformer)",
    "nan_fix": "Fill them before fit, or use a teacher that takes missing "
    "values (e.g. HistGradientBoostingClassifier)",
}


def is_keras_model(obj):
    # A Keras model can only exist once keras is imported, so this never
    # imports it.
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def _is_estimator(obj):
    return hasattr(obj, "fit") and hasattr(obj, "get_params")


class SklearnTeacher(Teacher):
    """A scikit-learn estimator (a Pipeline, a FrozenEstimator) as teacher."""

    def __init__(self, teacher, task):
        super().__init__(teacher, task)
        name = type(teacher).__name__
        if task == CLASSIFICATION:
            if is_regressor(teacher):
                raise TypeError(
                    f"teacher {name} is a regressor; DistilledClassifier needs a "
                    "classifier teacher. To distil a regressor, use "
                    "DistilledRegressor."
                )
            if not (
                hasattr(teacher, "predict_proba")
                or hasattr(teacher, "decision_function")
            ):
                raise TypeError(
                    f"teacher {name} cannot produce soft targets: it has neither "
                    "predict_proba nor decision_function. Use a probabilistic "
                    "classifier, or wrap this one in "
                    "sklearn.calibration.CalibratedClassifierCV."
                )
        elif task == REGRESSION:
            if is_classifier(teacher):
                raise TypeError(
                    f"teacher {name} is a classifier; DistilledRegressor needs a "
                    "regressor teacher (e.g. HistGradientBoostingRegressor). To "
                    "distil a classifier, use DistilledClassifier."
                )
            if not hasattr(teacher, "predict"):
                raise TypeError(f"teacher {name} has no predict method.")

    def is_fitted(self):
        try:
            check_is_fitted(self.teacher)
        except NotFittedError:
            return False
        return True

    def fit(self, X, y, sample_weight=None):
        if self.is_fitted():
            return self
        estimator = clone(self.teacher)
        kwargs = {}
        if sample_weight is not None and takes_sample_weight(estimator):
            # A Pipeline teacher weights rows in its last step.
            kwargs = weight_arguments(estimator, sample_weight)
        return type(self)(estimator.fit(flat_rows(X), y, **kwargs), self.task)

    def clone(self):
        return self.teacher if self.is_fitted() else clone(self.teacher)

    def outputs(self, X):
        if self.task == REGRESSION:
            predictions = self.teacher.predict(flat_rows(X))
            return None, check_regression_outputs(
                self.teacher, "predict", predictions, n_rows=len(X)
            )
        return _sklearn_logits(self.teacher, X)


def _sklearn_logits(estimator, X):
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise TypeError(
            f"teacher {type(estimator).__name__} has no classes_ attribute; "
            "a classifier teacher is needed."
        )
    X = flat_rows(X)
    check = functools.partial(
        check_teacher_outputs, estimator, n_rows=len(X), n_classes=len(classes)
    )
    if hasattr(estimator, "predict_proba"):
        p = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        check("predict_proba", p, probabilities=True)
        return np.asarray(classes), probabilities_to_logits(p)
    d = np.asarray(estimator.decision_function(X), dtype=np.float64)
    check("decision_function", d, probabilities=False)
    # A binary decision function is the log-odds of classes_[1]; split it
    # symmetrically so that softmax gives back the logistic.
    logits = np.column_stack([-d / 2, d / 2]) if d.ndim == 1 else d
    return np.asarray(classes), logits


class KerasModelTeacher(Teacher):
    """A trained ``keras.Model``, plain or wrapped in :class:`KerasTeacher`."""

    def __init__(self, teacher, task):
        super().__init__(teacher, task)
        wrapped = (
            teacher if isinstance(teacher, KerasTeacher) else KerasTeacher(teacher)
        )
        check_choice("KerasTeacher output", wrapped.output, _OUTPUT_KINDS)
        if not is_keras_model(wrapped.model):
            raise TypeError(
                "KerasTeacher model must be a keras.Model; got "
                f"{type(wrapped.model).__name__}."
            )
        if task == REGRESSION and wrapped.classes is not None:
            raise ValueError(
                "KerasTeacher classes names the classes of a classifier; a "
                "regression teacher has none. Leave classes=None."
            )
        self.wrapped = wrapped

    def fingerprint(self):
        wrapped = self.wrapped
        weights = joblib.hash(wrapped.model.get_weights())
        return (
            "keras",
            type(wrapped.model).__name__,
            weights,
            joblib.hash(wrapped.classes),
            wrapped.output,
        )

    def outputs(self, X):
        wrapped = self.wrapped
        X = numeric_rows(X, owner="A keras.Model teacher", **_KERAS_TEACHER_FIX)
        out = predict_logits(
            wrapped.model, X, batch_size=int(wrapped.batch_size), probabilities=False
        )
        if self.task == REGRESSION:
            return None, check_regression_outputs(
                wrapped.model, "output", out, n_rows=len(X)
            )
        return _keras_logits(wrapped, out, n_rows=len(X))


def _keras_logits(wrapped, out, *, n_rows):
    model = wrapped.model
    # The number of outputs is checked against classes below.
    check = functools.partial(
        check_teacher_outputs,
        model,
        "output",
        out,
        n_rows=n_rows,
        n_classes=out.shape[-1],
    )
    check(probabilities=False)
    output = wrapped.output
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
    logits = probabilities_to_logits(out) if output == "probabilities" else out
    n_outputs = logits.shape[1]
    classes = (
        np.arange(n_outputs) if wrapped.classes is None else np.asarray(wrapped.classes)
    )
    if len(classes) != n_outputs:
        raise ValueError(
            f"KerasTeacher classes has {len(classes)} labels but the model has "
            f"{n_outputs} outputs."
        )
    return classes, logits


class PrecomputedAdapter(Teacher):
    """Outputs computed elsewhere, looked up row by row."""

    def __init__(self, teacher, task):
        super().__init__(teacher, task)
        if task == REGRESSION and teacher.classes is not None:
            raise ValueError(
                "PrecomputedTeacher classes names the classes of a classifier; "
                "a regression teacher has none. Leave classes=None."
            )

    def outputs(self, X):
        teacher = self.teacher
        X = numeric_rows(X, owner="PrecomputedTeacher", **_KERAS_TEACHER_FIX)
        if self.task == REGRESSION:
            _, out = teacher.lookup(X, allow_1d=True)
            return None, check_regression_outputs(
                teacher, "outputs", out, n_rows=len(X)
            )
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
        return classes, probabilities_to_logits(out) if probabilities else out


class ScatteredAdapter(Teacher):
    """A fitted teacher on a Dask cluster, fetched when it is first used."""

    def fingerprint(self):
        return self._inner.fingerprint()

    def outputs(self, X):
        return self._inner.outputs(X)

    @functools.cached_property
    def _inner(self):
        return as_teacher(self.teacher.resolve(), self.task)

    @property
    def fitted_teacher(self):
        return self._inner.teacher


def _missing_teacher_message(task):
    if task == REGRESSION:
        example = "DistilledRegressor(teacher=HistGradientBoostingRegressor())"
        kind = "regressor"
    else:
        example = "DistilledClassifier(teacher=HistGradientBoostingClassifier())"
        kind = "classifier"
    return (
        f"teacher is required unless alpha=1: pass a fitted {kind}, a "
        f"keras.Model, a list of them, or an unfitted scikit-learn {kind} to "
        f"fit inside fit, e.g. {example}."
    )


def as_teacher(teacher, task):
    """The adapter for ``teacher``'s kind, checked for ``task``.

    Parameters
    ----------
    teacher : object
        The estimator's ``teacher`` parameter.
    task : {"classification", "regression"} or None
        How its outputs will be read; None skips the task's checks.

    Returns
    -------
    adapter : Teacher

    Raises
    ------
    ValueError
        For ``None``, or an empty ensemble.
    TypeError
        For a teacher of a kind that cannot teach this task.
    """
    if teacher is None:
        raise ValueError(_missing_teacher_message(task))
    if isinstance(teacher, ScatteredTeacher):
        return ScatteredAdapter(teacher, task)
    if isinstance(teacher, (list, tuple, EnsembleTeacher)):
        members = [as_teacher(member, task) for member in ensemble_members(teacher)]
        return EnsembleAdapter(teacher, task, members)
    if isinstance(teacher, KerasTeacher) or is_keras_model(teacher):
        return KerasModelTeacher(teacher, task)
    if isinstance(teacher, PrecomputedTeacher):
        return PrecomputedAdapter(teacher, task)
    if _is_estimator(teacher):
        return SklearnTeacher(teacher, task)
    kind = "classifier" if task != REGRESSION else "regressor"
    raise TypeError(
        f"teacher must be a scikit-learn {kind}, a keras.Model, a "
        "KerasTeacher, an EnsembleTeacher, a PrecomputedTeacher, a "
        f"ScatteredTeacher or a list of these; got {type(teacher).__name__}."
    )


def check_teacher(teacher, *, alpha, teacher_cv, task):
    """The adapter of the ``teacher`` parameter, checked without running it.

    Returns
    -------
    adapter : Teacher or None
        None when there is no teacher and none is needed (``alpha=1``).

    Raises
    ------
    ValueError
        No teacher where one is needed, or a fitted one with ``teacher_cv``.
    TypeError
        A teacher (or ensemble member) of a kind that cannot teach ``task``.
    """
    if teacher is None and alpha == 1:
        return None
    adapter = as_teacher(teacher, task)
    if teacher_cv is not None and alpha != 1 and adapter.is_fitted():
        raise ValueError(
            "teacher_cv needs an unfitted teacher, which fit trains once per "
            "fold; the teacher passed is fitted already. Pass an unfitted "
            "estimator (e.g. sklearn.base.clone(teacher)), or set "
            "teacher_cv=None."
        )
    return adapter


def clone_teacher(teacher):
    """Clone what ``fit`` would refit; keep fitted teachers as the same object.

    This is what lets ``clone``, ``GridSearchCV`` and ``cross_val_score`` copy
    an estimator without unfitting a teacher trained elsewhere, while an
    unfitted teacher is cloned like any other parameter. A value that is no
    teacher at all is cloned as scikit-learn would, and refused by ``fit``.
    """
    try:
        adapter = as_teacher(teacher, None)
    except (TypeError, ValueError):
        return clone(teacher, safe=False)
    return adapter.clone()


def teacher_logits(teacher, X):
    """The classes of a fitted classification teacher and its logits on ``X``.

    Parameters
    ----------
    teacher : object
        A fitted teacher of any kind.
    X : ndarray of shape (n_samples, ...)
        Rows to label.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The label of each logit column.
    logits : ndarray of shape (n_samples, n_classes)
        Logits; for probabilistic teachers, log-probabilities.
    """
    return as_teacher(teacher, CLASSIFICATION).outputs(X)
