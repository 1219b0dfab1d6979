"""The teacher-output cache: reuse where safe, never stale, bounded."""

import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledClassifier, TeacherOutputCache, get_teacher_cache

FAST = dict(epochs=1, random_state=0, batch_size=32, n_iter_no_change=None)


class _CountingTeacher(LogisticRegression):
    """A LogisticRegression that counts its predict_proba and fit calls."""

    calls = {"predict_proba": 0, "fit": 0}

    def fit(self, X, y, sample_weight=None):
        type(self).calls["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        type(self).calls["predict_proba"] += 1
        return super().predict_proba(X)


@pytest.fixture(autouse=True)
def _fresh_counts(fresh_teacher_cache):
    # Every test starts with an empty teacher cache and counts from zero.
    _CountingTeacher.calls.update(predict_proba=0, fit=0)


def _fit(teacher, X, y, tiny_student, **params):
    params = {**FAST, **params}
    return DistilledClassifier(teacher=teacher, student=tiny_student, **params).fit(
        X, y
    )


def test_same_teacher_same_rows_runs_teacher_once(small_data, tiny_student):
    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    for temperature in (1.0, 2.0, 4.0):
        _fit(teacher, X, y, tiny_student, temperature=temperature)
    assert _CountingTeacher.calls["predict_proba"] == 1
    assert get_teacher_cache().hits == 2


def test_different_or_mutated_rows_are_recomputed(small_data, tiny_student):
    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    _fit(teacher, X, y, tiny_student)
    _fit(teacher, X[:200], y[:200], tiny_student)
    assert _CountingTeacher.calls["predict_proba"] == 1, "a subset: rows known"
    X_mutated = X.copy()
    X_mutated[0, 0] += 1.0
    mutated = _fit(teacher, X_mutated, y, tiny_student)
    assert _CountingTeacher.calls["predict_proba"] == 2
    assert get_teacher_cache().rows_computed == len(X) + 1, "only the changed row"
    X_other = X + 1.0
    _fit(teacher, X_other, y, tiny_student)
    assert get_teacher_cache().rows_computed == 2 * len(X) + 1
    assert mutated.teacher_ is teacher


def test_changed_teacher_is_recomputed(small_data, tiny_student):
    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    first = _fit(teacher, X, y, tiny_student)
    teacher.set_params(C=0.001).fit(X, y)  # refit in place: same object, new state
    second = _fit(teacher, X, y, tiny_student)
    assert _CountingTeacher.calls["predict_proba"] == 2
    assert first.teacher_ is second.teacher_


def test_keras_teacher_with_changed_weights_is_recomputed(small_data, tiny_student):
    import keras

    X, y = small_data
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    _fit(model, X, y, tiny_student)
    assert get_teacher_cache().misses == 1
    _fit(model, X, y, tiny_student)
    assert get_teacher_cache().hits == 1
    model.set_weights([w + 1.0 for w in model.get_weights()])
    _fit(model, X, y, tiny_student)
    assert get_teacher_cache().misses == 2


def test_unfitted_teacher_fitted_once_per_training_set(small_data, tiny_student):
    X, y = small_data
    for alpha in (0.1, 0.5):
        _fit(_CountingTeacher(), X, y, tiny_student, alpha=alpha)
    assert _CountingTeacher.calls["fit"] == 1
    _fit(_CountingTeacher(C=0.5), X, y, tiny_student)
    assert _CountingTeacher.calls["fit"] == 2, "different parameters: a new fit"


def test_cache_off(small_data, tiny_student):
    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    for _ in range(2):
        _fit(teacher, X, y, tiny_student, teacher_cache=False)
    assert _CountingTeacher.calls["predict_proba"] == 2
    assert len(get_teacher_cache()) == 0


def test_cached_and_uncached_fits_agree(small_data, tiny_student):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    cached = _fit(teacher, X, y, tiny_student, epochs=2)
    cached_again = _fit(teacher, X, y, tiny_student, epochs=2)
    uncached = _fit(teacher, X, y, tiny_student, epochs=2, teacher_cache=False)
    np.testing.assert_array_equal(cached.predict_proba(X), uncached.predict_proba(X))
    np.testing.assert_array_equal(
        cached_again.predict_proba(X), uncached.predict_proba(X)
    )


def _constant_logits(rows):
    return np.arange(10), np.zeros((len(rows), 10), np.float32)


def test_memory_is_bounded():
    # 10 rows of 10 float32 logits and a 16-byte hash each: 560 bytes a block.
    cache = TeacherOutputCache(max_bytes=1000, max_teachers=1)
    X = np.arange(10.0)[:, None]
    for i in range(5):
        cache.outputs(i, X, _constant_logits)
    assert len(cache) == 1 and cache.nbytes == 560
    cache.outputs("big", np.arange(100.0)[:, None], _constant_logits)
    assert len(cache) == 1 and cache.nbytes == 560, "a block over the bound is dropped"
    for i in range(3):
        cache.fitted_teacher(i, lambda: object())
    assert len(cache._teachers) == 1


def test_teacher_that_cannot_be_hashed_is_not_cached(small_data, tiny_student):
    # joblib.hash fails on a fitted GridSearchCV's masked cv_results_.
    from sklearn.model_selection import GridSearchCV

    X, y = small_data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    clf = _fit(search, X, y, tiny_student)
    assert clf.teacher_ is search
    assert len(get_teacher_cache()) == 0


def test_overlapping_rows_run_the_teacher_on_new_rows_only():
    seen = []

    def compute(rows):
        seen.append(rows.copy())
        return np.array([0, 1]), np.column_stack([rows[:, 0], -rows[:, 0]])

    cache = TeacherOutputCache()
    X = np.arange(12.0).reshape(6, 2)
    cache.outputs("t", X[:4], compute)
    classes, logits = cache.outputs("t", X[2:], compute)
    np.testing.assert_array_equal(seen[1], X[4:], err_msg="only the two new rows")
    np.testing.assert_array_equal(logits[:, 0], X[2:, 0])
    np.testing.assert_array_equal(logits[:, 1], -X[2:, 0])
    assert (cache.rows_reused, cache.rows_computed) == (2, 6)
    _, logits = cache.outputs("t", X[::-1], compute)
    assert len(seen) == 2 and cache.hits == 1, "every row known: no pass"
    np.testing.assert_array_equal(logits[:, 0], X[::-1, 0])
    cache.outputs("other teacher", X[:1], compute)
    assert len(seen) == 3, "rows are never shared across teachers"


def test_grid_search_folds_share_the_teacher_pass(small_data, tiny_student):
    from sklearn.model_selection import GridSearchCV

    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    search = GridSearchCV(
        DistilledClassifier(teacher=teacher, student=tiny_student, **FAST),
        {"temperature": [1.0, 4.0]},
        cv=3,
    ).fit(X, y)
    cache = get_teacher_cache()
    # Three folds train on two thirds each, and the refit on all rows: every
    # row goes through the teacher exactly once.
    assert cache.rows_computed == len(X)
    assert _CountingTeacher.calls["predict_proba"] == 2
    np.testing.assert_array_equal(
        search.best_estimator_.teacher_.predict_proba(X), teacher.predict_proba(X)
    )


def test_memory_keeps_outputs_for_other_processes(small_data, tiny_student, tmp_path):
    X, y = small_data
    teacher = _CountingTeacher().fit(X, y)
    first = _fit(teacher, X, y, tiny_student, memory=str(tmp_path))
    get_teacher_cache().clear()  # what a fresh process starts with
    second = _fit(teacher, X, y, tiny_student, memory=tmp_path)
    assert _CountingTeacher.calls["predict_proba"] == 1, "read back from disk"
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    _fit(teacher, X, y, tiny_student, memory=tmp_path, teacher_cache=False)
    assert _CountingTeacher.calls["predict_proba"] == 1
    teacher.set_params(C=0.01).fit(X, y)
    _fit(teacher, X, y, tiny_student, memory=tmp_path, teacher_cache=False)
    assert _CountingTeacher.calls["predict_proba"] == 2, "a changed teacher"


def test_memory_keeps_an_unfitted_teachers_fit(small_data, tiny_student, tmp_path):
    X, y = small_data
    _fit(_CountingTeacher(), X, y, tiny_student, memory=tmp_path)
    get_teacher_cache().clear()
    _fit(_CountingTeacher(), X, y, tiny_student, memory=tmp_path, alpha=0.5)
    assert _CountingTeacher.calls["fit"] == 1


class _LoggingTeacher(LogisticRegression):
    """A LogisticRegression that logs each of its runs, in whichever process,
    to the file ``log_``: the process id and the number of rows."""

    def predict_proba(self, X):
        with open(self.log_, "a") as f:
            f.write(f"{os.getpid()} {len(X)}\n")
        return super().predict_proba(X)


def _runs(log):
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()]


def test_memory_is_shared_by_parallel_workers(small_data, tiny_student, tmp_path):
    from sklearn.model_selection import GridSearchCV

    X, y = small_data
    log = tmp_path / "teacher.log"
    log.touch()
    teacher = _LoggingTeacher().fit(X, y)
    teacher.log_ = str(log)

    def search(n_jobs):
        return GridSearchCV(
            DistilledClassifier(
                teacher=teacher, student=tiny_student, memory=tmp_path, **FAST
            ),
            {"temperature": [1.0, 4.0]},
            cv=2,
            n_jobs=n_jobs,
        ).fit(X, y)

    # Two worker processes fit the four candidates and folds: the teacher runs
    # there on the training halves, and its outputs go to the disk. The refit
    # on every row runs it here.
    parallel = search(n_jobs=2)
    ran = _runs(log)
    assert [n for pid, n in ran if pid == os.getpid()] == [len(X)]
    in_workers = {(pid, n) for pid, n in ran if pid != os.getpid()}
    assert in_workers and {n for _, n in in_workers} == {len(X) // 2}, ran
    log.write_text("")
    # This process, its cache in memory emptied, finds every output the
    # workers and the refit wrote, and never runs the teacher.
    get_teacher_cache().clear()
    serial = search(n_jobs=1)
    assert _runs(log) == [], "the outputs of the workers were read back"
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_memory_must_be_joblib_memory_like(small_data):
    X, y = small_data
    clf = DistilledClassifier(teacher=LogisticRegression(), memory=42)
    with pytest.raises(ValueError, match="'memory' should be None, a string"):
        clf.fit(X, y)
