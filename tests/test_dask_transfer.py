"""A Dask X_unlabeled: labelled where it lives, on a LocalCluster on loopback."""

import gc
import threading

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import skdistill.distill._cluster_pass as cluster_pass
import skdistill.students._fitters as fitters
from skdistill import DistilledClassifier, DistilledRegressor, MLPStudent
from skdistill.utils._cluster_rows import (
    ClusterRows,
    LabelledPartitions,
    cluster_batches,
)

distributed = pytest.importorskip(
    "distributed",
    reason="dask.distributed is not installed (pip install skdistill[tests])",
)
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.slow

KERAS = dict(
    student=MLPStudent(hidden_units=(16,)),
    epochs=4,
    batch_size=32,
    learning_rate=0.01,
    n_iter_no_change=None,
)


class Recorder(ClassifierMixin, BaseEstimator):
    """A classifier that counts the rows it labels in the process it runs in,
    and refuses a frame whose dtypes are not those it was fitted on."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        self.dtypes_ = list(X.dtypes) if hasattr(X, "dtypes") else None
        self.labelled_ = []
        return self

    def predict_proba(self, X):
        if self.dtypes_ is not None and list(X.dtypes) != self.dtypes_:
            raise TypeError(f"fitted on dtypes {self.dtypes_}, given {list(X.dtypes)}")
        self.labelled_.append(len(X))
        return self.estimator_.predict_proba(X)


class Locked(Recorder):
    """A fitted teacher that holds a lock, which pickle refuses."""

    def fit(self, X, y):
        self.lock_ = threading.Lock()
        return super().fit(X, y)


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "rate": rng.normal(size=n).astype(np.float32),
            "kind": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "place": rng.choice(["north", "south"], n),
        }
    )
    signal = frame["amount"] + (frame["kind"] == "x") - (frame["place"] == "south")
    return frame, (signal > 0).to_numpy().astype(int)


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(
        n_samples=1400, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    X = X.astype(np.float32)
    teacher = Recorder(LogisticRegression()).fit(X[:400], y[:400])
    return X[:200], y[:200], X[200:1200], (X[1200:], y[1200:]), teacher


@pytest.fixture(scope="module")
def frames():
    X, y = _frame(300, 0)
    X_unlabeled, _ = _frame(1500, 1)
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["kind", "place"]),
        remainder=StandardScaler(),
    )
    teacher = Recorder(make_pipeline(encode, LogisticRegression())).fit(X, y)
    return X, y, X_unlabeled, encode, teacher


def _fetched_teachers():
    # Runs on each worker: the teachers it fetched by name, then forgets them.
    from skdistill.teachers._distributed import FETCHED

    names = [name for name, _ in FETCHED.items()]
    FETCHED.clear()
    return names


def _nothing_left(client):
    """Whether the cluster holds no data and no published name."""
    gc.collect()
    return not client.list_datasets() and not any(client.has_what().values())


def _tree(**params):
    return DecisionTreeClassifier(random_state=0, **params)


def test_teacher_labels_partitions_on_the_workers(client, table, fresh_teacher_cache):
    X, y, X_unlabeled, _, teacher = table
    teacher.labelled_.clear()
    client.run(_fetched_teachers)
    with distributed.get_task_stream(client) as stream:
        DistilledClassifier(teacher=teacher, student=_tree(), random_state=0).fit(
            X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=250)
        )
    # In this process the teacher labelled X only; its copies on the workers
    # labelled the four partitions, in tasks that ran there.
    assert teacher.labelled_ == [len(X)]
    workers = {t["worker"] for t in stream.data if "skdistill-label" in t["key"]}
    labels = [t for t in stream.data if "skdistill-label" in t["key"]]
    assert len(labels) == 4
    assert workers and workers <= set(client.scheduler_info()["workers"])
    # The teacher travelled by name: each worker that labelled fetched it
    # once, under the name it was published under.
    fetched = client.run(_fetched_teachers)
    assert all(len(fetched[w]) == 1 for w in workers), fetched
    assert all(n.startswith("skdistill-teacher-") for w in workers for n in fetched[w])
    assert _nothing_left(client)


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_array_fit_equals_in_memory_fit(client, table, cache):
    X, y, X_unlabeled, (X_test, _), teacher = table
    params = dict(teacher=teacher, student=_tree(), teacher_cache=cache)
    memory = DistilledClassifier(**params).fit(X, y, X_unlabeled=X_unlabeled)
    dask = DistilledClassifier(**params).fit(
        X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=(300, 3))
    )
    # The same teacher outputs on the same rows: the same tree.
    np.testing.assert_array_equal(
        dask.predict_proba(X_test), memory.predict_proba(X_test)
    )
    assert _nothing_left(client)


def test_frame_keeps_columns_and_dtypes(client, frames):
    X, y, X_unlabeled, encode, teacher = frames
    # The teacher refuses rows whose dtypes are not X's: on the workers it
    # reads the category and string columns with X's dtypes, although Dask
    # holds the strings as string[pyarrow].
    collection = dd.from_pandas(X_unlabeled, npartitions=3)
    assert collection.dtypes["place"] != X.dtypes["place"]
    params = dict(teacher=teacher, student=make_pipeline(encode, _tree(max_depth=4)))
    memory = DistilledClassifier(**params).fit(X, y, X_unlabeled=X_unlabeled)
    dask = DistilledClassifier(**params).fit(X, y, X_unlabeled=collection)
    X_test, _ = _frame(500, 2)
    np.testing.assert_array_equal(
        dask.predict_proba(X_test), memory.predict_proba(X_test)
    )


def test_teacher_cv_and_memory(client, table, tmp_path):
    X, y, X_unlabeled, (X_test, _), _ = table
    params = dict(
        teacher=LogisticRegression(), student=_tree(), teacher_cv=3, random_state=0
    )
    memory = DistilledClassifier(**params).fit(X, y, X_unlabeled=X_unlabeled)
    dask = DistilledClassifier(**params, memory=tmp_path, teacher_cache=False)
    dask.fit(X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=250))
    # Out-of-fold outputs on X, the teacher fitted on all of X on the rest.
    np.testing.assert_array_equal(
        dask.predict_proba(X_test), memory.predict_proba(X_test)
    )
    # memory= stored the folds' fits (the transfer rows' outputs stay out).
    assert any(tmp_path.rglob("output.pkl"))


def test_regressor_equals_in_memory_fit(client):
    X, y = make_regression(n_samples=900, n_features=5, noise=5.0, random_state=0)
    X = X.astype(np.float32)
    teacher = LinearRegression().fit(X, y)
    params = dict(teacher=teacher, student=Ridge(), alpha=0.3)
    memory = DistilledRegressor(**params).fit(X[:100], y[:100], X_unlabeled=X[100:])
    dask = DistilledRegressor(**params).fit(
        X[:100], y[:100], X_unlabeled=da.from_array(X[100:], chunks=200)
    )
    np.testing.assert_array_equal(dask.predict(X), memory.predict(X))


def _trained_on(monkeypatch):
    """What the Keras student is trained on: rows, packed targets, weights."""
    seen = []
    train = fitters.train_student

    def spy(keras, model, rows, targets, weights, **kwargs):
        if isinstance(rows, ClusterRows):
            parts = [rows.transfer.fetch(i) for i in range(len(rows.transfer))]
            seen.append(
                (
                    np.concatenate([rows.local, *(x for x, _ in parts)]),
                    np.concatenate([targets, *(t for _, t in parts)]),
                    len(rows),
                )
            )
        else:
            seen.append((rows, targets, len(rows)))
        return train(keras, model, rows, targets, weights, **kwargs)

    monkeypatch.setattr(fitters, "train_student", spy)
    return seen


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_keras_targets_equal_in_memory_ones(client, table, monkeypatch, task):
    X, y, X_unlabeled, _, teacher = table
    if task == "regression":
        y = X[:, 0] * 3 + X[:, 1]
        teacher = LinearRegression().fit(X, y)
    estimator = DistilledRegressor if task == "regression" else DistilledClassifier
    seen = _trained_on(monkeypatch)
    params = dict(teacher=teacher, random_state=0, **{**KERAS, "epochs": 1})
    estimator(**params).fit(X, y, X_unlabeled=X_unlabeled)
    estimator(**params).fit(X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=300))
    (rows, targets, n), (cluster_rows, cluster_targets, cluster_n) = seen
    assert n == cluster_n == len(X) + len(X_unlabeled)
    np.testing.assert_array_equal(cluster_rows, rows)
    np.testing.assert_array_equal(cluster_targets, targets)
    assert _nothing_left(client)


def test_keras_student_scores_as_in_memory(client, table):
    X, y, X_unlabeled, (X_test, y_test), teacher = table
    collection = da.from_array(X_unlabeled, chunks=200)
    differences = []
    for seed in range(3):
        params = dict(teacher=teacher, random_state=seed, **KERAS)
        memory = DistilledClassifier(**params).fit(X, y, X_unlabeled=X_unlabeled)
        dask = DistilledClassifier(**params).fit(X, y, X_unlabeled=collection)
        assert dask.n_iter_ == KERAS["epochs"]
        differences.append(dask.score(X_test, y_test) - memory.score(X_test, y_test))
    # Batches are drawn otherwise; the scores agree within noise.
    assert abs(np.mean(differences)) < 0.04, differences
    assert memory.score(X_test, y_test) > 0.6


def test_batches_hold_two_partitions_at_most(table):
    X, y, X_unlabeled, _, _ = table
    n_parts = 5
    parts = np.array_split(np.arange(len(X_unlabeled)), n_parts)
    stored = [
        (X_unlabeled[p], p[:, None].astype(np.float32), {"n_rows": len(p)})
        for p in parts
    ]
    summaries = [{"n_rows": len(p), "nbytes": 0, "moments": None} for p in parts]
    fetched = []
    labelled = LabelledPartitions(stored, None, summaries, keras=True)
    labelled = labelled.packed_by(lambda ids: np.hstack([ids + len(X), ids]))
    fetch = labelled.fetch
    labelled.fetch = lambda i: fetched.append(i) or fetch(i)
    rows = ClusterRows(X, labelled)
    targets = np.arange(len(X), dtype=np.float32)[:, None].repeat(2, axis=1)
    batches = cluster_batches(
        rows,
        targets,
        np.ones(len(X), np.float32),
        np.arange(150),
        batch_size=64,
        seed=0,
    )
    assert batches.n_rows == 150 + len(X_unlabeled)
    for _ in range(2):
        seen, held = [], []
        for i in range(len(batches)):
            x, t, w = batches[i]
            assert len(x) == (64 if i < len(batches) - 1 else batches.n_rows % 64)
            held.append(len(batches._loaded))
            seen.append(t[:, 0])
        batches.on_epoch_end()
        seen = np.sort(np.concatenate(seen))
        # Every training row once per epoch, each partition fetched once.
        np.testing.assert_array_equal(seen, np.r_[0:150, len(X) : len(X) + 1000])
        assert max(held) <= 2
    assert sorted(fetched) == sorted(list(range(n_parts)) * 2)


def test_local_scheduler_does_the_same_work(table, fresh_teacher_cache):
    import dask

    X, y, X_unlabeled, (X_test, _), teacher = table
    params = dict(teacher=teacher, student=_tree())
    memory = DistilledClassifier(**params).fit(X, y, X_unlabeled=X_unlabeled)
    fresh_teacher_cache.clear()
    teacher.labelled_.clear()
    with dask.config.set(scheduler="threads"):
        dask_fit = DistilledClassifier(**params).fit(
            X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=300)
        )
    # No client: the teacher labelled X and the four partitions here.
    assert sorted(teacher.labelled_) == [100, 200, 300, 300, 300]
    np.testing.assert_array_equal(
        dask_fit.predict_proba(X_test), memory.predict_proba(X_test)
    )


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda X: X.drop(columns="rate"), ValueError, r"missing \['rate'\]"),
        (
            lambda X: X.astype({"amount": "float32"}),
            ValueError,
            r"'amount': X has float64, X_unlabeled float32",
        ),
        (lambda X: X.to_dask_array(lengths=True), TypeError, "dask.dataframe"),
    ],
    ids=["columns", "dtypes", "array-for-frame"],
)
def test_bad_frames_fail_before_the_teacher_runs(client, frames, make, error, match):
    X, y, X_unlabeled, encode, teacher = frames
    teacher.labelled_.clear()
    collection = make(dd.from_pandas(X_unlabeled, npartitions=2))
    estimator = DistilledClassifier(teacher=teacher, student=_tree())
    with pytest.raises(error, match=match):
        estimator.fit(X, y, X_unlabeled=collection)
    assert teacher.labelled_ == []
    assert _nothing_left(client)


def test_bad_arrays_and_options_fail_before_the_teacher_runs(client, table):
    X, y, X_unlabeled, _, teacher = table
    teacher.labelled_.clear()
    collection = da.from_array(X_unlabeled, chunks=250)
    estimator = DistilledClassifier(teacher=teacher, student=_tree())
    unknown = collection[collection[:, 0] > 0]
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        estimator.fit(X, y, X_unlabeled=unknown)
    with pytest.raises(ValueError, match=r"shape of X's rows, \(6,\)"):
        estimator.fit(X, y, X_unlabeled=collection[:, :4])
    with pytest.raises(TypeError, match=r"X must be in memory.*X.compute\(\)"):
        estimator.fit(da.from_array(X, chunks=50), y, X_unlabeled=collection)
    with pytest.raises(ValueError, match="augment='munge' needs every"):
        clone(estimator).set_params(augment="munge").fit(X, y, X_unlabeled=collection)
    keras = DistilledClassifier(teacher=teacher, preprocessor=StandardScaler())
    with pytest.raises(ValueError, match="preprocessor=StandardScaler.*Keras"):
        keras.fit(X, y, X_unlabeled=collection)
    assert teacher.labelled_ == []
    assert _nothing_left(client)


def test_unpicklable_teacher_fails_before_it_runs(client, table):
    X, y, X_unlabeled, _, _ = table
    teacher = Locked(LogisticRegression()).fit(X, y)
    estimator = DistilledClassifier(teacher=teacher, student=_tree())
    with pytest.raises(TypeError, match="Locked cannot be pickled.*compute"):
        estimator.fit(X, y, X_unlabeled=da.from_array(X_unlabeled, chunks=250))
    assert teacher.labelled_ == []
    assert _nothing_left(client)


def test_failing_partition_releases_the_cluster(client, table):
    X, y, X_unlabeled, _, teacher = table
    broken = X_unlabeled.copy()
    broken[700, 2] = np.nan
    estimator = DistilledClassifier(teacher=teacher, student=_tree())
    with pytest.raises(ValueError, match="X_unlabeled contains NaN"):
        estimator.fit(X, y, X_unlabeled=da.from_array(broken, chunks=250))
    assert _nothing_left(client)


@pytest.mark.parametrize("kind", ["array", "frame"])
def test_gathering_too_much_says_what_to_do(
    client, table, frames, monkeypatch, fresh_teacher_cache, kind
):
    monkeypatch.setattr(cluster_pass, "GATHER_FRACTION", 1e-9)
    if kind == "array":
        X, y, X_unlabeled, _, teacher = table
        collection, student = da.from_array(X_unlabeled, chunks=250), _tree()
    else:
        X, y, X_unlabeled, encode, teacher = frames
        collection = dd.from_pandas(X_unlabeled, npartitions=2)
        student = make_pipeline(encode, _tree())
    teacher.labelled_.clear()
    estimator = DistilledClassifier(teacher=teacher, student=student)
    with pytest.raises(ValueError, match="Use a Keras student"):
        estimator.fit(X, y, X_unlabeled=collection)
    # An array's size is known before the teacher runs; a frame's once the
    # workers have labelled it, before anything is gathered.
    assert teacher.labelled_ == ([] if kind == "array" else [len(X)])
    assert _nothing_left(client)
