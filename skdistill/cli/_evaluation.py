"""What the main job measures of a model: scores by task, latency, size, bytes."""

import time

import numpy as np
from sklearn.metrics import log_loss


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
        ``count`` and ``unit``: tree nodes for trees and forests, trees for
        gradient boosting; parameters (weights) for linear models, networks and SVMs'
        support vectors with their coefficients. None for other kinds.
    """
    inner = _deployed(model)
    if hasattr(inner, "count_params"):
        return {"count": int(inner.count_params()), "unit": "parameters"}
    if hasattr(inner, "tree_"):
        return {"count": _tree_nodes([inner]), "unit": "nodes"}
    if hasattr(inner, "n_trees_per_iteration_"):
        # Boosting keeps its trees' nodes private: its public size is trees.
        trees = inner.n_iter_ * inner.n_trees_per_iteration_
        return {"count": int(trees), "unit": "trees"}
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
