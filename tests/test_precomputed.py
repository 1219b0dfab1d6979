"""PrecomputedTeacher: a teacher known only by its outputs on given rows."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier, PrecomputedTeacher, get_teacher_cache

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def outputs(small_data):
    """A teacher fitted on labels that contradict y on classes 0 and 1, and its
    probabilities on every row plus 60 transfer rows."""
    X, y = small_data
    teacher = LogisticRegression().fit(X, np.array([1, 0, 2])[y])
    X_unlabeled = X[:60] + 0.25
    rows = np.concatenate([X, X_unlabeled])
    return teacher, X_unlabeled, rows, teacher.predict_proba(rows)


def _student(teacher, **params):
    return DistilledClassifier(
        teacher=teacher,
        student=DecisionTreeClassifier(max_depth=5, random_state=0),
        temperature=1.0,
        alpha=0.1,
        **params,
    )


def test_it_teaches_as_the_teacher_that_ran(small_data, outputs):
    X, y = small_data
    teacher, X_unlabeled, rows, proba = outputs
    # Given in another order: rows are found by their content.
    order = np.random.default_rng(0).permutation(len(rows))
    precomputed = PrecomputedTeacher(rows[order], proba[order], classes=[0, 1, 2])
    ran = _student(teacher).fit(X, y, X_unlabeled=X_unlabeled)
    looked_up = _student(precomputed).fit(X, y, X_unlabeled=X_unlabeled)
    np.testing.assert_array_equal(looked_up.predict_proba(X), ran.predict_proba(X))
    # The student follows the teacher where it contradicts y.
    assert np.mean(looked_up.predict(X) == teacher.predict(X)) > 0.9


def test_logits_are_read_as_logits(small_data, outputs):
    X, y = small_data
    teacher, _, rows, proba = outputs
    logits = np.log(proba) + 5.0  # any per-row offset
    as_logits = _student(PrecomputedTeacher(rows, logits)).fit(X, y)
    as_proba = _student(PrecomputedTeacher(rows, proba, output="probabilities"))
    np.testing.assert_allclose(
        as_logits.predict_proba(X), as_proba.fit(X, y).predict_proba(X), atol=1e-6
    )


def test_missing_rows_are_counted(small_data, outputs):
    X, y = small_data
    _, _, rows, proba = outputs
    precomputed = PrecomputedTeacher(rows[5:], proba[5:])
    with pytest.raises(ValueError, match="no outputs for 5 of the 240 rows"):
        _student(precomputed).fit(X, y)
    with pytest.raises(ValueError, match="augment and teacher_cv need a teacher"):
        _student(PrecomputedTeacher(rows, proba), augment="munge").fit(X, y)


def test_cross_validation_folds_are_subsets(small_data, outputs):
    X, y = small_data
    teacher, _, rows, proba = outputs
    search = GridSearchCV(
        _student(PrecomputedTeacher(rows, proba)),
        {"student__max_depth": [1, 5]},
        cv=3,
        error_score="raise",  # a fold's missing row would raise here
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    deep = search.best_estimator_.set_params(student__max_depth=5).fit(X, y)
    assert np.mean(deep.predict(X) == teacher.predict(X)) > 0.9


def test_pickle_memory_and_the_cache(
    small_data, outputs, tmp_path, fresh_teacher_cache
):
    X, y = small_data
    _, X_unlabeled, rows, proba = outputs
    teacher = pickle.loads(pickle.dumps(PrecomputedTeacher(rows, proba)))
    clf = _student(teacher, memory=tmp_path).fit(X, y, X_unlabeled=X_unlabeled)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    assert again.teacher_ is not teacher and clone(clf).teacher is teacher
    clone(clf).set_params(alpha=0.5).fit(X, y, X_unlabeled=X_unlabeled)
    assert get_teacher_cache().hits >= 1
    assert any(tmp_path.rglob("output.pkl"))


def test_a_keras_student_learns_from_it_too(small_data, outputs, tiny_student):
    X, y = small_data
    teacher, _, rows, proba = outputs
    clf = DistilledClassifier(
        teacher=PrecomputedTeacher(rows, proba),
        student=tiny_student,
        temperature=1.0,
        alpha=0.0,
        epochs=20,
        learning_rate=0.01,
        random_state=0,
    ).fit(X, y)
    assert np.mean(clf.predict(X) == teacher.predict(X)) > 0.85


@pytest.mark.parametrize(
    "params, message",
    [
        ({"outputs": np.ones((3, 3))}, r"one row per row of X \(300\)"),
        ({"classes": ["a", "b"]}, "classes has 2 labels but outputs has 3"),
        ({"output": "scores"}, "output must be one of"),
    ],
)
def test_bad_outputs_are_named(small_data, outputs, params, message):
    X, y = small_data
    _, _, rows, proba = outputs
    teacher = PrecomputedTeacher(**{"X": rows, "outputs": proba, **params})
    with pytest.raises(ValueError, match=message):
        _student(teacher).fit(X, y)


def test_non_finite_outputs_are_refused(small_data, outputs):
    X, y = small_data
    _, _, rows, proba = outputs
    broken = proba.copy()
    broken[:4, 0] = np.nan
    with pytest.raises(ValueError, match="PrecomputedTeacher's outputs .* 4 of 240"):
        _student(PrecomputedTeacher(rows, broken)).fit(X, y)
