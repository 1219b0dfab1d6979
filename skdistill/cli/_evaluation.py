"""The comparison table's rows: accuracy, log loss, agreement, size, latency."""

import os
import time

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

from ..utils._keras import import_keras, predict_logits


def keras_latencies(model, X, repeats=7):
    """:func:`latencies` of a Keras model's forward pass, 1 and 1,000 rows.

    Timed as a served model runs: on TensorFlow through the traced forward
    pass that repeated ``predict`` calls use, traced by the warm-up call of
    :func:`latency`.
    """
    compiled = import_keras().backend.backend() == "tensorflow"

    def forward(rows):
        return predict_logits(
            model, rows, batch_size=1000, probabilities=False, compiled=compiled
        )

    rows = np.asarray(X, dtype=np.float32)
    return latencies(forward, rows, repeats=repeats)


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
        latency_ms (1 and 1,000 rows, median and p99), latency_ms_per_1000,
        train_seconds.
    """
    from scipy.special import softmax

    logits = predict_logits(model, X_test, batch_size=1024, probabilities=False)
    proba = softmax(logits.astype(np.float64), axis=1)
    pred = classes[np.argmax(logits, axis=1)]
    model.save(path)
    latency = keras_latencies(model, X_test, repeats)
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "log_loss": float(log_loss(y_test, proba, labels=classes)),
        "agreement": None
        if teacher_pred is None
        else float(np.mean(pred == teacher_pred)),
        "parameters": int(model.count_params()),
        "size_bytes": int(os.path.getsize(path)),
        "latency_ms": latency,
        "latency_ms_per_1000": latency["1000"]["median"],
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


def tiled_rows(X, n_rows=1000):
    """``n_rows`` rows of ``X``, repeated in order if it has fewer."""
    index = np.resize(np.arange(len(X)), n_rows)
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def latency(predict, X, *, n_rows=1000, repeats=7, threads=1, prepare=None):
    """Milliseconds ``predict`` takes on ``n_rows`` rows of ``X`` (tiled).

    The one timer of the main job and the benchmarks. One untimed call
    first, so that lazy set-up (a traced function, a cache) is not counted;
    then ``repeats`` timed calls, with native thread pools (OpenMP, BLAS)
    held to ``threads``: on a busy machine, more threads than free cores
    make a timing of the machine's load rather than of the model.

    ``prepare``, if given, turns the rows into what ``predict`` takes
    (ONNX Runtime's feed, say) once, outside the timed calls.

    Returns
    -------
    latency : dict
        ``median`` and ``p99`` (the 99th percentile) in milliseconds, the
        ``n_rows`` and the ``repeats`` behind them.
    """
    from threadpoolctl import threadpool_limits

    rows = tiled_rows(X, n_rows)
    if prepare is not None:
        rows = prepare(rows)
    with threadpool_limits(limits=threads):
        predict(rows)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            predict(rows)
            times.append(time.perf_counter() - start)
    times = 1000 * np.asarray(times)
    return {
        "median": float(np.median(times)),
        "p99": float(np.percentile(times, 99)),
        "n_rows": n_rows,
        "repeats": repeats,
    }


def latencies(predict, X, *, repeats=7, prepare=None):
    """:func:`latency` on 1 row and on 1,000 rows, by ``"1"`` and ``"1000"``.

    A single row's call is short, so it is timed three times as often.
    """
    return {
        "1": latency(predict, X, n_rows=1, repeats=3 * repeats, prepare=prepare),
        "1000": latency(predict, X, n_rows=1000, repeats=repeats, prepare=prepare),
    }


def _deployed(model):
    """What serves a fitted model's predictions: a distiller's student, else it."""
    if hasattr(model, "student_model_"):
        return model.student_model_
    if hasattr(model, "student_"):
        return model.student_
    if hasattr(model, "steps"):
        return model.steps[-1][1]
    return model


def _tree_nodes(trees):
    return sum(int(tree.tree_.node_count) for tree in np.ravel(trees))


def model_size(model):
    """The size of a fitted model, as the reader would count it.

    Returns
    -------
    size : dict or None
        ``count`` and ``unit``: tree nodes for trees, forests and boosted
        trees; parameters (weights) for linear models, networks and SVMs'
        support vectors with their coefficients. None for other kinds.
    """
    inner = _deployed(model)
    if hasattr(inner, "count_params"):
        return {"count": int(inner.count_params()), "unit": "parameters"}
    if hasattr(inner, "tree_"):
        return {"count": _tree_nodes([inner]), "unit": "nodes"}
    if hasattr(inner, "_predictors"):
        nodes = sum(len(p.nodes) for row in inner._predictors for p in row)
        return {"count": int(nodes), "unit": "nodes"}
    trees = np.ravel(getattr(inner, "estimators_", []))
    if len(trees) and hasattr(trees[0], "tree_"):
        return {"count": _tree_nodes(trees), "unit": "nodes"}
    arrays = None
    if hasattr(inner, "coefs_"):
        arrays = [*inner.coefs_, *inner.intercepts_]
    elif hasattr(inner, "support_vectors_"):
        arrays = [inner.support_vectors_, inner.dual_coef_, inner.intercept_]
    elif hasattr(inner, "coef_"):
        arrays = [inner.coef_, getattr(inner, "intercept_", 0.0)]
    if arrays is None:
        return None
    return {"count": int(sum(np.size(a) for a in arrays)), "unit": "parameters"}


def serialized_bytes(model):
    """Bytes of ``model`` pickled as it is served: a distiller's preprocessor
    and student, not the teacher it keeps a reference to. None if it does not
    pickle."""
    import pickle

    served = model
    if hasattr(model, "student_"):
        served = (getattr(model, "preprocessor_", None), _deployed(model))
    try:
        return len(pickle.dumps(served, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a model that does not pickle has no size to show
        return None


def _roc_auc(y_index, proba):
    """ROC AUC, one-vs-rest averaged over classes for more than two; None
    when the rows hold a single class (it is then undefined)."""
    from sklearn.metrics import roc_auc_score

    present = np.unique(y_index)
    if len(present) < 2:
        return None
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_index, proba[:, 1]))
    if len(present) < proba.shape[1]:
        # One-vs-rest over the classes present, each scored on its column.
        columns = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
        y_index = np.searchsorted(present, y_index)
        return _roc_auc(y_index, columns)
    return float(roc_auc_score(y_index, proba, multi_class="ovr"))


def classification_scores(y, proba, classes):
    """Accuracy, ROC AUC and log-loss of probabilities ``proba`` for labels ``y``.

    ``proba``'s columns are ``classes``, every label in ``y`` among them.
    """
    y_index = np.searchsorted(classes, y)
    # A float32 network's rows sum to 1 only within float32's precision.
    proba = np.asarray(proba, dtype=np.float64)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return {
        "accuracy": float(np.mean(np.argmax(proba, axis=1) == y_index)),
        "roc_auc": _roc_auc(y_index, proba),
        "log_loss": float(log_loss(y_index, proba, labels=np.arange(len(classes)))),
    }


def regression_scores(y, predictions):
    """R² and root mean squared error of ``predictions`` for targets ``y``."""
    from sklearn.metrics import r2_score, root_mean_squared_error

    return {
        "r2": float(r2_score(y, predictions)),
        "rmse": float(root_mean_squared_error(y, predictions)),
    }


def aligned_proba(proba, model_classes, classes):
    """``proba`` (columns ``model_classes``) with one column per ``classes``.

    A model fitted on rows that lacked a class gives it probability 0.
    """
    full = np.zeros((len(proba), len(classes)))
    full[:, np.searchsorted(classes, model_classes)] = proba
    return full
