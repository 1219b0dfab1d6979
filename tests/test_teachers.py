"""Every kind of teacher DistilledClassifier accepts, and how its classes align."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from skdistill import DistilledClassifier, EnsembleTeacher, KerasTeacher
from skdistill.teachers._adapters import teacher_logits


def _numpy(tensor):
    """A backend tensor as a NumPy array (PyTorch's need detaching)."""
    import keras

    return keras.ops.convert_to_numpy(tensor)


FAST = dict(
    epochs=8, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


def _swapped(y):
    """``y`` with classes 0 and 1 exchanged.

    A teacher fitted on these labels contradicts ``y`` on the rows of classes 0
    and 1, about two thirds of ``small_data``: a student that follows the
    teacher and one that follows ``y`` (e.g. because the teacher's outputs were
    lost) then predict differently there.
    """
    return np.array([1, 0, 2])[y]


def _assert_follows_teacher(clf, teacher_pred, X, y):
    """The student predicts what the teacher does, where the teacher is not y."""
    student = clf.predict(X)
    contradicted = teacher_pred != y
    assert contradicted.mean() > 0.5, "the teacher must contradict y on many rows"
    assert np.mean(student == teacher_pred) > 0.85
    follows_teacher = np.mean(student[contradicted] == teacher_pred[contradicted])
    follows_y = np.mean(student[contradicted] == y[contradicted])
    assert follows_teacher > 0.8 and follows_y < 0.15, (follows_teacher, follows_y)


def test_fitted_sklearn_teacher_is_used_as_is(small_data, tiny_student):
    X, y = small_data
    teacher = LogisticRegression().fit(X, _swapped(y))
    coef = teacher.coef_.copy()
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST).fit(X, y)
    assert clf.teacher_ is teacher
    np.testing.assert_array_equal(teacher.coef_, coef)
    _assert_follows_teacher(clf, teacher.predict(X), X, y)


def test_fitted_pipeline_teacher(small_data, tiny_student):
    X, y = small_data
    teacher = make_pipeline(StandardScaler(), GaussianNB()).fit(X, _swapped(y))
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST).fit(X, y)
    assert clf.teacher_ is teacher
    _assert_follows_teacher(clf, teacher.predict(X), X, y)


def test_decision_function_only_teacher(small_data, tiny_student):
    X, y = small_data
    teacher = LinearSVC().fit(X, _swapped(y))
    assert not hasattr(teacher, "predict_proba")
    # Multiclass: the decision function's scores are the logits, unchanged.
    classes, logits = teacher_logits(teacher, X)
    np.testing.assert_array_equal(logits, teacher.decision_function(X))
    np.testing.assert_array_equal(classes, teacher.classes_)
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST).fit(X, y)
    _assert_follows_teacher(clf, teacher.predict(X), X, y)


def test_binary_decision_function_gives_logistic_soft_targets():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    teacher = LinearSVC().fit(X, y)
    classes, logits = teacher_logits(teacher, X)
    d = teacher.decision_function(X)
    p1 = np.exp(logits[:, 1]) / np.exp(logits).sum(axis=1)
    np.testing.assert_allclose(p1, 1 / (1 + np.exp(-d)))
    np.testing.assert_array_equal(classes, [0, 1])


def test_unfitted_teacher_is_cloned_and_fitted(small_data, tiny_student):
    X, y = small_data
    teacher = LogisticRegression()
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST).fit(X, y)
    assert not hasattr(teacher, "coef_"), (
        "the user's teacher must not be fitted in place"
    )
    assert clf.teacher_ is not teacher
    check_is_fitted(clf.teacher_)


def test_unfitted_teacher_gets_sample_weight(small_data, tiny_student):
    X, y = small_data
    weights = np.where(y == 0, 5.0, 1.0)
    clf = DistilledClassifier(
        teacher=LogisticRegression(), student=tiny_student, **FAST
    )
    clf.fit(X, y, sample_weight=weights)
    reference = LogisticRegression().fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(clf.teacher_.coef_, reference.coef_, rtol=1e-4)


class _MajorityVoter(ClassifierMixin, BaseEstimator):
    """A classifier with predict only: no probabilities, no decision function."""

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_teacher_without_probabilities_is_a_type_error(small_data):
    X, y = small_data
    teacher = _MajorityVoter().fit(X, y)
    with pytest.raises(TypeError, match="neither predict_proba nor decision_function"):
        DistilledClassifier(teacher=teacher).fit(X, y)


@pytest.mark.parametrize("bad", [object(), "logistic", 3])
def test_teacher_of_unknown_kind_is_a_type_error(small_data, bad):
    X, y = small_data
    with pytest.raises(TypeError, match="teacher must be"):
        DistilledClassifier(teacher=bad).fit(X, y)


def test_missing_teacher_names_the_parameter(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="teacher is required unless alpha=1"):
        DistilledClassifier().fit(X, y)


def test_training_from_scratch_needs_no_teacher(small_data, tiny_student):
    X, y = small_data
    clf = DistilledClassifier(alpha=1.0, student=tiny_student, **FAST).fit(X, y)
    assert clf.teacher_ is None
    assert "soft_loss" not in clf.history_
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("softmax_output", [False, True])
def test_keras_teacher_logits_or_probabilities_auto(
    small_data, tiny_student, make_keras_teacher, softmax_output
):
    X, y = small_data
    model = make_keras_teacher(X, _swapped(y), 3, softmax_output=softmax_output)
    _, logits = teacher_logits(model, X)
    raw = _numpy(model(X))
    if softmax_output:
        np.testing.assert_allclose(logits, np.log(np.clip(raw, 1e-12, None)), rtol=1e-5)
    else:
        np.testing.assert_allclose(logits, raw, rtol=1e-5)
    clf = DistilledClassifier(teacher=model, student=tiny_student, **FAST).fit(X, y)
    assert clf.teacher_ is model
    _assert_follows_teacher(clf, np.argmax(_numpy(model(X)), axis=1), X, y)


def test_keras_teacher_output_override(small_data, make_keras_teacher):
    X, y = small_data
    model = make_keras_teacher(X, y, 3, softmax_output=True, epochs=2)
    raw = _numpy(model(X))
    _, as_logits = teacher_logits(KerasTeacher(model, output="logits"), X)
    _, as_probabilities = teacher_logits(KerasTeacher(model, output="probabilities"), X)
    np.testing.assert_allclose(as_logits, raw, rtol=1e-5)
    np.testing.assert_allclose(
        as_probabilities, np.log(np.clip(raw, 1e-12, None)), rtol=1e-5
    )
    with pytest.raises(ValueError, match="output must be one of"):
        teacher_logits(KerasTeacher(model, output="proba"), X)
    # Logits declared as probabilities are refused, not logged.
    logits_model = make_keras_teacher(X, y, 3, epochs=2)
    with pytest.raises(ValueError, match="not probability distributions"):
        teacher_logits(KerasTeacher(logits_model, output="probabilities"), X)


def test_keras_teacher_classes_align_by_label(
    small_data, tiny_student, make_keras_teacher
):
    X, y = small_data
    labels = np.array(["a", "b", "c"])
    model = make_keras_teacher(X, _swapped(y), 3)
    # The model's output j predicts label ["c", "a", "b"][j]: a permutation.
    output_labels = ["c", "a", "b"]
    y_str = np.array(output_labels)[y]
    clf = DistilledClassifier(
        teacher=KerasTeacher(model, classes=output_labels), student=tiny_student, **FAST
    ).fit(X, y_str)
    np.testing.assert_array_equal(clf.classes_, labels)
    teacher_pred = np.array(output_labels)[np.argmax(_numpy(model(X)), axis=1)]
    _assert_follows_teacher(clf, teacher_pred, X, y_str)


def test_keras_teacher_with_string_labels_needs_classes(small_data, make_keras_teacher):
    X, y = small_data
    model = make_keras_teacher(X, y, 3, epochs=1)
    with pytest.raises(ValueError, match="KerasTeacher\\(model, classes="):
        DistilledClassifier(teacher=model).fit(X, np.array(["a", "b", "c"])[y])


def test_keras_teacher_classes_length_checked(small_data, make_keras_teacher):
    X, y = small_data
    model = make_keras_teacher(X, y, 3, epochs=1)
    with pytest.raises(ValueError, match="2 labels but the model has 3 outputs"):
        DistilledClassifier(teacher=KerasTeacher(model, classes=[0, 1])).fit(X, y)


def test_labels_the_teacher_cannot_produce(small_data):
    X, y = small_data
    teacher = LogisticRegression().fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match=r"labels the teacher cannot produce: \[2\]"):
        DistilledClassifier(teacher=teacher).fit(X, y)


def test_teacher_with_more_classes_than_y(small_data, tiny_student):
    # A fold that lacks a class still gets a student for all of the teacher's.
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    keep = y != 2
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST)
    clf.fit(X[keep], y[keep])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_string_labels_with_sklearn_teacher(small_data, tiny_student):
    X, y = small_data
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)
    y_str = names[y]
    # An unfitted teacher is fitted on the string labels themselves.
    clf = DistilledClassifier(teacher=GaussianNB(), student=tiny_student, epochs=1)
    clf.fit(X, y_str)
    reference = GaussianNB().fit(X, y_str)
    np.testing.assert_array_equal(clf.teacher_.classes_, reference.classes_)
    np.testing.assert_array_equal(clf.teacher_.theta_, reference.theta_)
    np.testing.assert_array_equal(clf.classes_, names)
    # A fitted teacher's string classes are matched to the student's by label.
    teacher = GaussianNB().fit(X, names[_swapped(y)])
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST)
    clf.fit(X, y_str)
    np.testing.assert_array_equal(clf.classes_, names)
    _assert_follows_teacher(clf, teacher.predict(X), X, y_str)


def test_scikeras_teacher(small_data, tiny_student):
    import keras
    import scikeras.wrappers

    X, y = small_data

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )

    teacher = scikeras.wrappers.KerasClassifier(
        build,
        loss="sparse_categorical_crossentropy",
        epochs=20,
        verbose=0,
        random_state=0,
    ).fit(X, _swapped(y))
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, **FAST).fit(X, y)
    assert clf.teacher_ is teacher
    _assert_follows_teacher(clf, teacher.predict(X), X, y)
    # A clone keeps the fitted scikeras teacher rather than unfitting it.
    assert clone(clf).teacher is teacher


def test_ensemble_of_a_list_averages_probabilities(small_data):
    X, y = small_data
    members = [LogisticRegression().fit(X, y), GaussianNB().fit(X, y)]
    classes, logits = teacher_logits(members, X)
    expected = (members[0].predict_proba(X) + members[1].predict_proba(X)) / 2
    np.testing.assert_allclose(np.exp(logits), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(classes, [0, 1, 2])


def test_ensemble_weights_and_logit_combination(small_data):
    X, y = small_data
    members = [LogisticRegression().fit(X, y), GaussianNB().fit(X, y)]
    p = [np.clip(m.predict_proba(X), 1e-12, None) for m in members]
    _, weighted = teacher_logits(EnsembleTeacher(members, weights=[3, 1]), X)
    np.testing.assert_allclose(
        np.exp(weighted), 0.75 * p[0] + 0.25 * p[1], rtol=1e-6, atol=1e-9
    )
    _, geometric = teacher_logits(EnsembleTeacher(members, combine="logits"), X)
    expected = 0.5 * np.log(p[0]) + 0.5 * np.log(p[1])
    np.testing.assert_allclose(geometric, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0], "one entry per teacher"),
        ([1.0, -1.0], "non-negative"),
        ([0, 0], "not all"),
    ],
)
def test_ensemble_weights_validated(small_data, weights, message):
    X, y = small_data
    members = [LogisticRegression().fit(X, y), GaussianNB().fit(X, y)]
    with pytest.raises(ValueError, match=message):
        teacher_logits(EnsembleTeacher(members, weights=weights), X)


def test_ensemble_members_must_share_classes(small_data):
    X, y = small_data
    members = [LogisticRegression().fit(X, y), GaussianNB().fit(X[y < 2], y[y < 2])]
    with pytest.raises(ValueError, match="same classes"):
        teacher_logits(members, X)


def test_ensemble_with_unfitted_member_fits_only_that_member(small_data, tiny_student):
    X, y = small_data
    fitted = LogisticRegression().fit(X, y)
    unfitted = GaussianNB()
    clf = DistilledClassifier(teacher=[fitted, unfitted], student=tiny_student, **FAST)
    clf.fit(X, y)
    assert clf.teacher_.teachers[0] is fitted
    check_is_fitted(clf.teacher_.teachers[1])
    assert not hasattr(unfitted, "classes_")
    cloned = clone(clf)
    assert cloned.teacher[0] is fitted and cloned.teacher[1] is not unfitted
