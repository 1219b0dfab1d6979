"""Parallel searches: joblib's processes and a real Dask cluster on loopback."""

import pickle
import re

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier, MLPStudent, ScatteredTeacher

distributed = pytest.importorskip(
    "distributed",
    reason="dask.distributed is not installed (pip install skdistill[tests])",
)

pytestmark = [pytest.mark.slow, pytest.mark.backends]

GRID = {"temperature": [1.0, 4.0], "alpha": [0.1, 0.5]}


@pytest.fixture(scope="module")
def problem(digits):
    X_train, _, y_train, _ = digits
    X, y = X_train[:600], y_train[:600]
    teacher = RandomForestClassifier(n_estimators=60, random_state=0).fit(X, y)
    return X, y, teacher


def _search(teacher, X, y):
    estimator = DistilledClassifier(
        teacher=teacher,
        student=MLPStudent(hidden_units=(16,)),
        epochs=3,
        learning_rate=0.01,
        random_state=0,
    )
    return GridSearchCV(estimator, GRID, cv=3, refit=False).fit(X, y)


@pytest.fixture(scope="module")
def serial(problem):
    X, y, teacher = problem
    return _search(teacher, X, y).cv_results_


@pytest.mark.parametrize("scatter", [False, True], ids=["inline", "scattered"])
def test_dask_search_equals_serial_search(
    problem, serial, client, scatter, monkeypatch
):
    X, y, teacher = problem
    shared = ScatteredTeacher(teacher, client) if scatter else teacher
    # A fit in this process is counted; the workers import their own class.
    in_client = []
    fit = DistilledClassifier.fit

    def counted_fit(self, *args, **kwargs):
        in_client.append(1)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(DistilledClassifier, "fit", counted_fit)
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        results = _search(shared, X, y).cv_results_
    # Every fit of the search ran in a task on the cluster, not in this
    # process, and both workers took part; every candidate's scores are the
    # serial ones.
    fits = {}
    for task in stream.data:
        calls = re.fullmatch(r"batch_of__fit_and_score_(\d+)_calls-.*", task["key"])
        if calls:
            fits[task["worker"]] = fits.get(task["worker"], 0) + int(calls[1])
    n_fits = len(results["params"]) * 3
    assert not in_client, "a fit of the search ran in the client's process"
    # On a loaded machine the stream has missed some of joblib's batches
    # (4 of 12 calls once), never shown more than the search made.
    assert 0 < sum(fits.values()) <= n_fits, fits
    workers = set(client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(fits) == workers, (fits, workers)
    for name in ("split0_test_score", "split1_test_score", "split2_test_score"):
        np.testing.assert_allclose(results[name], serial[name], atol=1e-12)


def test_scattered_teacher_travels_by_name(problem, client):
    X, y, teacher = problem
    shared = ScatteredTeacher(teacher, client)
    assert shared.nbytes == len(pickle.dumps(teacher, protocol=pickle.HIGHEST_PROTOCOL))
    estimator = DistilledClassifier(teacher=shared)
    inline = DistilledClassifier(teacher=teacher)
    # What a search sends per task: a clone of the estimator.
    sent = len(pickle.dumps(clone(estimator)))
    assert sent < 2_000 < shared.nbytes < len(pickle.dumps(clone(inline)))
    # In the client's process fit reads the teacher from the cluster; teacher_
    # is the teacher itself.
    fitted = clone(estimator).set_params(epochs=1).fit(X, y)
    assert isinstance(fitted.teacher_, RandomForestClassifier)
    np.testing.assert_array_equal(fitted.teacher_.predict(X), teacher.predict(X))
    # A copy unpickled away from the cluster, or a released one, says what to do.
    away = pickle.loads(pickle.dumps(estimator))
    shared.release()
    for est in (away, estimator):
        with pytest.raises(ValueError, match="Pass the teacher itself"):
            clone(est).fit(X, y)
