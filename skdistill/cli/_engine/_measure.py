"""One model's record on one seed: scores by task, latency, size and bytes.

Every model of a run, teacher, students and alternatives, is measured by
:func:`measure`: the call a user makes (``predict_proba``, ``predict`` for
regression) on the seed's test rows, scored, then timed by the one timer
(:func:`~skdistill.cli._evaluation.latencies`) and sized.
"""

import numpy as np

from .._evaluation import (
    aligned_proba,
    classification_scores,
    latencies,
    model_size,
    regression_scores,
    serialized_bytes,
)
from ._data import CLASSIFICATION, REGRESSION

#: Scores reported per task; a run's main score is one of them.
METRICS = {
    CLASSIFICATION: ("roc_auc", "accuracy", "log_loss"),
    REGRESSION: ("r2", "rmse"),
}
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "log_loss": "log-loss",
    "r2": "R²",
    "rmse": "RMSE",
}


def main_metric(experiment, task):
    """The score that retention, the intervals and the figures use: the
    experiment's for classification (accuracy on images, ROC AUC on a
    table), R² for regression."""
    if task == REGRESSION:
        return "r2"
    return experiment.metric


def teacher_predictions(teacher, X, task):
    """What ``teacher`` says about rows ``X``.

    Returns
    -------
    classes : ndarray or None
        The label of each probability column; None for regression.
    outputs : ndarray
        Probabilities of shape (n_rows, n_classes), or predictions of shape
        (n_rows,).
    """
    from scipy.special import softmax

    from ...teachers._adapters import as_teacher

    classes, outputs = as_teacher(teacher, task).outputs(X)
    if task == REGRESSION:
        return None, np.asarray(outputs, dtype=np.float64).reshape(len(X))
    return np.asarray(classes), softmax(np.asarray(outputs, np.float64), axis=1)


def pseudo_labels(teacher, X, task):
    """The teacher's hard labels (its predictions, for regression) on ``X``."""
    classes, outputs = teacher_predictions(teacher, X, task)
    return outputs if classes is None else classes[np.argmax(outputs, axis=1)]


def _record(data, rows, predict, scored, fit_seconds, model, repeats):
    outputs = scored(predict(rows.X_test))
    if scored is _labels:
        scores = {
            "roc_auc": None,
            "accuracy": float(np.mean(outputs == rows.y_test)),
            "log_loss": None,
        }
    elif data.task == CLASSIFICATION:
        scores = classification_scores(rows.y_test, outputs, data.classes)
    else:
        scores = regression_scores(rows.y_test, outputs)
    latency = latencies(predict, rows.X_test, repeats=repeats)
    record = {
        "scores": scores,
        "fit_seconds": fit_seconds,
        "latency_ms": latency,
        "latency_ms_per_1000": latency["1000"]["median"],
        "size": None if model is None else model_size(model),
        "size_bytes": None if model is None else serialized_bytes(model),
    }
    history = getattr(model, "history_", None)
    if history:
        record["history"] = {
            k: [float(v) for v in values] for k, values in history.items()
        }
    return record


def _labels(predictions):
    return np.asarray(predictions)


def measure(data, rows, model, fit_seconds, *, repeats):
    """A fitted estimator's record: ``scores`` (by task), ``fit_seconds``,
    ``latency_ms`` (1 and 1,000 rows, median and p99),
    ``latency_ms_per_1000``, ``size``, ``size_bytes`` and, for a Keras
    model, its ``history``. A classifier without ``predict_proba`` (such
    as ``SVC()``) is scored on its labels: accuracy only."""
    if data.task == CLASSIFICATION and not hasattr(model, "predict_proba"):
        return _record(data, rows, model.predict, _labels, fit_seconds, model, repeats)
    if data.task == CLASSIFICATION:
        return _record(
            data,
            rows,
            model.predict_proba,
            lambda proba: aligned_proba(proba, model.classes_, data.classes),
            fit_seconds,
            model,
            repeats,
        )
    return _record(data, rows, model.predict, np.asarray, fit_seconds, model, repeats)


def measure_teacher(data, rows, teacher, fit_seconds, *, repeats):
    """:func:`measure` for the teacher, read as the distillers read it (a
    given Keras teacher's outputs as logits)."""

    def scored(result):
        found, outputs = result
        if found is None:
            return outputs
        return aligned_proba(outputs, found, data.classes)

    return _record(
        data,
        rows,
        lambda X: teacher_predictions(teacher, X, data.task),
        scored,
        fit_seconds,
        teacher,
        repeats,
    )
