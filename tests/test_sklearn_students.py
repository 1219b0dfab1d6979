"""scikit-learn estimators as students: soft-label expansion and logit matching."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeClassifier

import skdistill.students._sklearn as sklearn_students
from skdistill import DistilledClassifier, Munge, get_teacher_cache
from skdistill.students._sklearn import expand_soft_labels, soft_targets


@pytest.fixture(scope="module")
def few_labels():
    """Digits: 100 labeled rows, the rest of a training half unlabeled, a test half,
    and a forest teacher fitted on the whole training half."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    teacher = RandomForestClassifier(200, random_state=0).fit(X_train, y_train)
    return {
        "labeled": (X_train[:100], y_train[:100]),
        "unlabeled": X_train[100:],
        "test": (X_test, y_test),
        "teacher": teacher,
    }


def _tree(depth=6):
    return DecisionTreeClassifier(max_depth=depth, random_state=0)


# --- the targets --------------------------------------------------------------


def test_soft_targets_mix_labels_and_the_softened_teacher():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]))
    q = soft_targets(logits, np.array([1, 2]), alpha=0.25, temperature=2.0)
    softened = softmax(logits / 2.0, axis=1)
    np.testing.assert_allclose(q[0], 0.75 * softened[0] + [0, 0.25, 0])
    np.testing.assert_allclose(q[1], 0.75 * softened[1] + [0, 0, 0.25])
    # The unlabeled third row takes the soft part alone.
    np.testing.assert_allclose(q[2], softened[2])
    np.testing.assert_allclose(q.sum(axis=1), 1.0)


def test_expansion_weights_are_row_weight_times_target():
    q = np.array([[0.9, 0.0995, 0.0005], [0.5, 0.5, 0.0]])
    rows, classes, weights = expand_soft_labels(q, np.array([2.0, 1.0]))
    assert list(zip(rows, classes, strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    np.testing.assert_allclose(weights, [1.8, 0.199, 0.5, 0.5])


def test_a_low_temperature_is_pseudo_labelling(few_labels):
    # T -> 0 sharpens the teacher to its argmax: the tree is the one a user
    # fits on the teacher's hard labels. (A teacher with continuous outputs:
    # a forest's tied votes would split a row between two classes.)
    X, y = few_labels["labeled"]
    X_unlabeled = few_labels["unlabeled"]
    teacher = LogisticRegression(max_iter=2000).fit(
        X_unlabeled, few_labels["teacher"].predict(X_unlabeled)
    )
    clf = DistilledClassifier(
        teacher=teacher, student=_tree(), alpha=0.0, temperature=1e-3
    ).fit(X, y, X_unlabeled=X_unlabeled)
    rows = np.concatenate([X, X_unlabeled]).astype(np.float32)
    pseudo = _tree().fit(rows, teacher.predict(rows))
    X_test = few_labels["test"][0].astype(np.float32)
    np.testing.assert_array_equal(clf.predict(X_test), pseudo.predict(X_test))


def test_dropping_negligible_targets_changes_little(small_data, monkeypatch):
    # Tolerance: 0.01 in any probability of a log-loss student.
    X, y = small_data
    teacher = RandomForestClassifier(100, random_state=0).fit(X, y)
    params = dict(
        teacher=teacher,
        student=LogisticRegression(max_iter=2000),
        temperature=2.0,
        teacher_cache=False,
    )
    dropped = DistilledClassifier(**params).fit(X, y)
    monkeypatch.setattr(sklearn_students, "MIN_TARGET", 0.0)
    kept = DistilledClassifier(**params).fit(X, y)
    diff = np.abs(dropped.predict_proba(X) - kept.predict_proba(X))
    assert diff.max() < 0.01
    # ...while the expansion is smaller than one row per class.
    q = soft_targets(
        np.log(teacher.predict_proba(X) + 1e-12), y, alpha=0.1, temperature=2.0
    )
    assert np.count_nonzero(q >= 1e-3) < 0.9 * q.size


# --- classifiers --------------------------------------------------------------


def test_transfer_rows_carry_the_teacher_to_a_tree(few_labels):
    X, y = few_labels["labeled"]
    X_test, y_test = few_labels["test"]
    teacher = few_labels["teacher"]
    labels_only = DistilledClassifier(student=_tree(), alpha=1.0).fit(X, y)
    distilled = DistilledClassifier(
        teacher=teacher, student=_tree(), temperature=1.0, alpha=0.1
    ).fit(X, y, X_unlabeled=few_labels["unlabeled"])
    assert labels_only.score(X_test, y_test) < 0.65
    assert distilled.score(X_test, y_test) > labels_only.score(X_test, y_test) + 0.1
    agreement = np.mean(distilled.predict(X_test) == teacher.predict(X_test))
    assert agreement > 0.75
    # The fitted student is the documented attribute; Keras-only ones are absent.
    assert isinstance(distilled.student_, DecisionTreeClassifier)
    assert distilled.student_ is not distilled.student
    assert not hasattr(distilled, "student_model_")
    assert not hasattr(distilled, "history_")


@pytest.mark.parametrize(
    "student",
    [
        LogisticRegression(),
        SGDClassifier(loss="log_loss", random_state=0),
        _tree(),
    ],
    ids=["logistic", "sgd", "tree"],
)
def test_predict_methods_come_from_the_fitted_student(small_data, student):
    # (On unscaled features, as digits' 0-16 pixels, lbfgs needs many more
    # iterations for soft targets than for hard ones: scale them first.)
    X, y = small_data
    X_test = X + 0.1
    teacher = RandomForestClassifier(50, random_state=0).fit(X, y)
    clf = DistilledClassifier(teacher=teacher, student=student)
    clf.fit(X[:120], y[:120], X_unlabeled=X[120:])
    proba = clf.predict_proba(X_test)
    # The estimator passes rows as float32, as in fit.
    rows = X_test.astype(np.float32)
    np.testing.assert_allclose(proba, clf.student_.predict_proba(rows))
    np.testing.assert_array_equal(clf.predict(X_test), clf.student_.predict(rows))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(clf.predict_log_proba(X_test), np.log(proba))


def test_a_class_no_row_carries_gets_zero_probability():
    # Three classes; the teacher never gives class 2 a target above the
    # threshold and alpha=0, so the tree never sees it.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 1, 2, 0])
    teacher = LogisticRegression().fit(X[:2], y[:2])  # knows classes 0 and 1
    teacher.classes_ = np.array([0, 1, 2])
    teacher.coef_ = np.array([[-1.0], [1.0], [-50.0]])
    teacher.intercept_ = np.array([0.0, 0.0, -50.0])
    clf = DistilledClassifier(teacher=teacher, student=_tree(), alpha=0.0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    proba = clf.predict_proba(X)
    assert proba.shape == (4, 3) and np.all(proba[:, 2] == 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_classifier_without_sample_weight_is_refused(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(
        teacher=few_labels["teacher"], student=KNeighborsClassifier()
    )
    with pytest.raises(TypeError, match="takes no sample_weight") as error:
        clf.fit(X, y)
    for option in ("sample_weight", "a regressor", "Keras student builder"):
        assert option in str(error.value)


def test_sample_weight_reaches_the_student(few_labels):
    X, y = few_labels["labeled"]
    weights = np.where(y == 3, 0.0, 1.0)
    clf = DistilledClassifier(student=_tree(), alpha=1.0).fit(
        X, y, sample_weight=weights
    )
    assert not np.any(clf.predict(few_labels["test"][0]) == 3)


def test_munge_rows_are_added_and_weighted(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(
        teacher=few_labels["teacher"],
        student=_tree(depth=None),
        augment=Munge(size=3.0),
        random_state=0,
    ).fit(X, y)
    # Each row's targets weigh 1 (less the dropped, below 0.1% per class):
    # the tree's root holds the weight of 100 labeled and 300 synthetic rows.
    root_weight = clf.student_.tree_.weighted_n_node_samples[0]
    assert 400 * (1 - 10 * 1e-3) <= root_weight <= 400 + 1e-6


def test_teacher_cv_with_a_scikit_learn_student(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(
        teacher=RandomForestClassifier(50, random_state=0),
        student=_tree(),
        teacher_cv=3,
    ).fit(X, y)
    assert clf.score(*few_labels["test"]) > 0.4


def test_a_student_without_random_state_gets_the_estimators(few_labels):
    X, y = few_labels["labeled"]
    student = DecisionTreeClassifier(max_depth=4, max_features=0.5)
    first = DistilledClassifier(student=student, alpha=1.0, random_state=3).fit(X, y)
    again = DistilledClassifier(student=student, alpha=1.0, random_state=3).fit(X, y)
    assert first.student_.random_state == 3 and student.random_state is None
    X_test = few_labels["test"][0]
    np.testing.assert_array_equal(first.predict(X_test), again.predict(X_test))


# --- regressors ---------------------------------------------------------------


def test_a_regressor_matches_the_teachers_logits(few_labels):
    X, y = few_labels["labeled"]
    teacher = few_labels["teacher"]
    # A 1-nearest-neighbour regressor reproduces its targets on its own rows.
    for temperature in (1.0, 2.0):
        clf = DistilledClassifier(
            teacher=teacher,
            student=KNeighborsRegressor(n_neighbors=1),
            alpha=0.0,
            temperature=temperature,
        ).fit(X, y)
        expected = softmax(
            np.log(np.maximum(teacher.predict_proba(X), 1e-12)) / temperature, axis=1
        )
        np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-5)


def test_alpha_mixes_the_labels_into_a_regressors_targets(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(
        teacher=few_labels["teacher"],
        student=KNeighborsRegressor(n_neighbors=1),
        alpha=0.5,
        temperature=1.0,
    ).fit(X, y)
    proba = clf.predict_proba(X)
    teacher_proba = few_labels["teacher"].predict_proba(X)
    q = 0.5 * teacher_proba + 0.5 * np.eye(10)[y]
    np.testing.assert_allclose(proba, q / q.sum(axis=1, keepdims=True), atol=1e-5)


def test_a_single_output_regressor_is_wrapped(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(teacher=few_labels["teacher"], student=SVR()).fit(
        X, y, X_unlabeled=few_labels["unlabeled"]
    )
    assert isinstance(clf.student_, MultiOutputRegressor)
    assert len(clf.student_.estimators_) == 10
    assert clf.score(*few_labels["test"]) > 0.7


# --- scikit-learn's tools -----------------------------------------------------


def test_grid_search_over_the_students_hyperparameters(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(teacher=few_labels["teacher"], student=_tree())
    search = GridSearchCV(
        clf, {"student__max_depth": [2, 8], "temperature": [0.5, 2.0]}, cv=3, n_jobs=2
    ).fit(X, y)
    assert search.best_params_["student__max_depth"] == 8
    assert search.best_estimator_.student_.max_depth == 8
    assert clf.student.max_depth == 6, "the user's student is never fitted"


def test_pipeline_pickle_and_the_teacher_cache(few_labels, fresh_teacher_cache):
    X, y = few_labels["labeled"]
    X_test = few_labels["test"][0]
    pipe = make_pipeline(
        StandardScaler(),
        DistilledClassifier(
            teacher=few_labels["teacher"], student=LogisticRegression(max_iter=2000)
        ),
    )
    # The teacher sees scaled rows here: it is fitted on scaled rows too.
    scaler = StandardScaler().fit(X)
    teacher = clone(few_labels["teacher"]).fit(scaler.transform(X), y)
    pipe.set_params(distilledclassifier__teacher=teacher).fit(X, y)
    copy = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(
        copy.predict_proba(X_test), pipe.predict_proba(X_test)
    )
    clone(pipe).set_params(distilledclassifier__temperature=2.0).fit(X, y)
    assert get_teacher_cache().hits >= 1


def test_memory_keeps_outputs_on_disk(few_labels, tmp_path, fresh_teacher_cache):
    X, y = few_labels["labeled"]
    DistilledClassifier(
        teacher=few_labels["teacher"], student=_tree(), memory=tmp_path
    ).fit(X, y)
    assert any(tmp_path.rglob("output.pkl"))


def test_memmap_rows_are_read_into_memory(few_labels, tmp_path):
    # A scikit-learn student fits on rows in memory: no block streaming.
    X, y = few_labels["labeled"]
    path = tmp_path / "X.npy"
    np.save(path, X.astype(np.float32))
    clf = DistilledClassifier(teacher=few_labels["teacher"], student=_tree())
    mapped = clf.fit(np.load(path, mmap_mode="r"), y).predict_proba(X)
    np.testing.assert_array_equal(mapped, clone(clf).fit(X, y).predict_proba(X))


def test_sklearn_teacher_and_student_import_neither_keras_nor_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        from sklearn.datasets import load_digits
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
        from skdistill import DistilledClassifier, Munge

        X, y = load_digits(return_X_y=True)
        teacher = RandomForestClassifier(50, random_state=0).fit(X, y)
        for student in (DecisionTreeClassifier(max_depth=4), DecisionTreeRegressor()):
            clf = DistilledClassifier(
                teacher=teacher, student=student, augment=Munge(size=0.5)
            ).fit(X[:300], y[:300], X_unlabeled=X[300:])
            clf.predict(X)
            clf.predict_proba(X)
            clf.score(X, y)
        unfitted = DistilledClassifier(
            teacher=RandomForestClassifier(20), student=DecisionTreeClassifier()
        )
        unfitted.fit(X, y).predict(X)
        heavy = ("keras", "tensorflow")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
        print(loaded)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_weights_a_regressor_cannot_take_are_refused(few_labels):
    X, y = few_labels["labeled"]
    clf = DistilledClassifier(
        teacher=few_labels["teacher"], student=KNeighborsRegressor(n_neighbors=1)
    )
    with pytest.raises(ValueError, match="takes no sample_weight, but"):
        clf.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
    # Uniform weights change nothing and are accepted.
    clf.fit(X, y, sample_weight=np.ones(len(y)))


def test_a_middle_class_no_row_carries_keeps_the_other_columns_in_place():
    # The teacher knows classes 0, 1 and 2; no labeled row is of class 1 and
    # alpha=1, so the tree sees classes 0 and 2 only. Its probabilities must
    # land in the columns of 0 and 2, not in the first two columns.
    X = np.array([[0.0], [1.0], [4.0], [5.0], [2.5]])
    y = np.array([0, 1, 2, 2, 0])
    teacher = LogisticRegression().fit(X, y)
    carried = y != 1
    clf = DistilledClassifier(teacher=teacher, student=_tree(), alpha=1.0).fit(
        X[carried], y[carried]
    )
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.student_.classes_, [0, 2])
    proba = clf.predict_proba(X[carried])
    np.testing.assert_array_equal(proba[:, 1], 0.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], y[carried])


class _RecordingRegressor(KNeighborsRegressor):
    """A regressor that keeps the targets and weights its fit was given."""

    def fit(self, X, y, sample_weight=None):
        type(self).seen = (np.array(y), sample_weight)
        return super().fit(X, y)


def test_a_regressor_students_log_targets_are_centred_per_row(few_labels):
    X, y = few_labels["labeled"]
    DistilledClassifier(
        teacher=few_labels["teacher"],
        student=_RecordingRegressor(n_neighbors=1),
        alpha=0.3,
        temperature=2.0,
    ).fit(X, y)
    targets, _ = _RecordingRegressor.seen
    assert targets.shape == (len(X), 10)
    np.testing.assert_allclose(targets.mean(axis=1), 0.0, atol=1e-9)
    # Centred logs of the soft targets: softmax gives the targets back.
    q = sklearn_students.soft_targets(
        np.log(np.maximum(few_labels["teacher"].predict_proba(X), 1e-12)),
        y,
        alpha=0.3,
        temperature=2.0,
    )
    np.testing.assert_allclose(softmax(targets, axis=1), q, atol=1e-5)


def test_row_weights_reach_a_regressor_student(few_labels):
    from sklearn.tree import DecisionTreeRegressor

    X, y = few_labels["labeled"]
    weights = np.where(y == 3, 0.0, 1.0)
    clf = DistilledClassifier(
        student=DecisionTreeRegressor(max_depth=8, random_state=0), alpha=1.0
    ).fit(X, y, sample_weight=weights)
    assert not np.any(clf.predict(few_labels["test"][0]) == 3)
