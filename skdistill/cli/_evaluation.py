"""The comparison table's rows: accuracy, log loss, agreement, size, latency."""

import os
import time

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

from ..utils._keras import import_keras, predict_logits


def latency_per_1000(model, X, repeats=7):
    """Median seconds for one forward pass over 1,000 rows (tiled if fewer).

    Timed as a served model runs: on TensorFlow through the traced forward
    pass that repeated ``predict`` calls use, traced by a warm-up call.
    """
    compiled = import_keras().backend.backend() == "tensorflow"
    rows = np.resize(X, (1000, *X.shape[1:])).astype(np.float32)
    kwargs = dict(batch_size=1000, probabilities=False, compiled=compiled)
    predict_logits(model, rows, **kwargs)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict_logits(model, rows, **kwargs)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluate_model(
    model, X_test, y_test, *, classes, teacher_pred, path, train_seconds, repeats=7
):
    """The comparison table's row for one Keras model.

    Parameters
    ----------
    model : keras.Model
        A model whose outputs are logits, columns in the order of ``classes``.
    X_test, y_test : ndarray
        The test split.
    classes : ndarray
        Labels of the output columns.
    teacher_pred : ndarray or None
        The teacher's test predictions, for agreement.
    path : path-like
        Where the model is saved, to measure its size on disk.
    train_seconds : float or None
        Training time, ``None`` for a model loaded from disk.
    repeats : int, default=7
        Timed runs for the latency's median.

    Returns
    -------
    row : dict
        accuracy, log_loss, agreement, parameters, size_bytes,
        latency_ms_per_1000, train_seconds.
    """
    from scipy.special import softmax

    logits = predict_logits(model, X_test, batch_size=1024, probabilities=False)
    proba = softmax(logits.astype(np.float64), axis=1)
    pred = classes[np.argmax(logits, axis=1)]
    model.save(path)
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "log_loss": float(log_loss(y_test, proba, labels=classes)),
        "agreement": None
        if teacher_pred is None
        else float(np.mean(pred == teacher_pred)),
        "parameters": int(model.count_params()),
        "size_bytes": int(os.path.getsize(path)),
        "latency_ms_per_1000": 1000 * latency_per_1000(model, X_test, repeats),
        "train_seconds": train_seconds,
        "_pred": pred,
    }


def compare_rows(teacher, students, X_test, y_test, *, classes, out, repeats):
    """The comparison table: :func:`evaluate_model`'s row of every model.

    Parameters
    ----------
    teacher : tuple
        ``(model, train_seconds)``; the students' agreement is with its
        test predictions.
    students : dict
        ``{name: (clf, train_seconds)}``, saved as ``student_{name}.keras``.
    X_test, y_test : ndarray
    classes : ndarray
        Labels of the teacher's output columns.
    out : Path
        Folder for the saved models.
    repeats : int
        Timed runs for each latency's median.

    Returns
    -------
    rows : dict
        Rows by name: teacher, then the students.
    """
    model, seconds = teacher
    rows = {}
    rows["teacher"] = evaluate_model(
        model,
        X_test,
        y_test,
        classes=classes,
        teacher_pred=None,
        path=out / "teacher.keras",
        train_seconds=seconds,
        repeats=repeats,
    )
    teacher_pred = rows["teacher"]["_pred"]
    rows["teacher"]["agreement"] = 1.0
    for name, (clf, seconds) in students.items():
        rows[name] = evaluate_model(
            clf.student_model_,
            X_test,
            y_test,
            classes=clf.classes_,
            teacher_pred=teacher_pred,
            path=out / f"student_{name}.keras",
            train_seconds=seconds,
            repeats=repeats,
        )
    for row in rows.values():
        row.pop("_pred")
    return rows
