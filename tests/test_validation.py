"""Parameters are checked at the start of fit, before any teacher work."""

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistilledClassifier

pytestmark = pytest.mark.backends


class CountingTeacher(ClassifierMixin, BaseEstimator):
    """A classifier that counts, across clones, its fit and predict_proba calls."""

    calls = {"fit": 0, "predict_proba": 0}

    def fit(self, X, y, sample_weight=None):
        type(self).calls["fit"] += 1
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        type(self).calls["predict_proba"] += 1
        return self.model_.predict_proba(X)


@pytest.fixture
def counting():
    CountingTeacher.calls.update(fit=0, predict_proba=0)
    return CountingTeacher


INVALID = {
    "student": (3, "student must be None, an unfitted scikit-learn"),
    "preprocessor": ("onehot", "preprocessor must be None or an unfitted"),
    "temperature": (0.0, "'temperature' parameter of DistilledClassifier"),
    "alpha": (1.5, "'alpha' parameter of DistilledClassifier"),
    "scale_soft_loss": ("yes", "'scale_soft_loss' parameter"),
    "augment": ("mixup", "augment='mixup' is not known"),
    "teacher_cv": ("three", "'teacher_cv' parameter"),
    "epochs": (0, "'epochs' parameter of DistilledClassifier"),
    "batch_size": ("big", "'batch_size' parameter of DistilledClassifier"),
    "optimizer": ("adamant", "optimizer='adamant' is not a Keras optimizer"),
    "learning_rate": (0.0, "'learning_rate' parameter of DistilledClassifier"),
    "validation_fraction": (1.0, "'validation_fraction' parameter"),
    "n_iter_no_change": (0, "'n_iter_no_change' parameter of DistilledClassifier"),
    "tol": (-1.0, "'tol' parameter of DistilledClassifier"),
    "callbacks": (["early"], "callbacks must be None or a list of keras"),
    "inference_batch_size": (0, "'inference_batch_size' parameter"),
    "teacher_cache": ("yes", "'teacher_cache' parameter of DistilledClassifier"),
    "memory": (3, "'memory' should be None, a string"),
    "random_state": ("seed", "'random_state' parameter of DistilledClassifier"),
    "verbose": (3, "'verbose' parameter of DistilledClassifier"),
}


@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("name", sorted(INVALID))
def test_no_teacher_work_before_a_bad_parameter_is_reported(
    small_data, counting, name, fitted
):
    X, y = small_data
    teacher = counting().fit(X, y) if fitted else counting()
    counting.calls.update(fit=0, predict_proba=0)
    value, message = INVALID[name]
    params = {"teacher": teacher, "epochs": 1, "teacher_cache": False}
    clf = DistilledClassifier(**{**params, name: value})
    with pytest.raises((ValueError, TypeError), match=message):
        clf.fit(X, y)
    assert counting.calls == {"fit": 0, "predict_proba": 0}


def test_every_parameter_has_an_invalid_case():
    # A parameter added later gets a case here, or this fails.
    checked = set(INVALID) | {"teacher"}
    assert checked == set(DistilledClassifier().get_params(deep=False))


def test_a_fitted_teacher_with_teacher_cv_is_refused_before_it_runs(
    small_data, counting
):
    X, y = small_data
    teacher = counting().fit(X, y)
    counting.calls.update(fit=0, predict_proba=0)
    with pytest.raises(ValueError, match="teacher_cv needs an unfitted teacher"):
        DistilledClassifier(teacher=teacher, teacher_cv=3).fit(X, y)
    assert counting.calls == {"fit": 0, "predict_proba": 0}


def test_a_bad_ensemble_member_is_refused_before_the_others_run(small_data, counting):
    X, y = small_data
    good = counting().fit(X, y)
    counting.calls.update(fit=0, predict_proba=0)
    with pytest.raises(TypeError, match="teacher must be a scikit-learn classifier"):
        DistilledClassifier(teacher=[good, "forest"]).fit(X, y)
    assert counting.calls == {"fit": 0, "predict_proba": 0}


@pytest.mark.parametrize(
    "params, error, message",
    [
        (
            {"temperature": 0},
            ValueError,
            r"'temperature' parameter of DistilledClassifier must be a float in "
            r"the range \(0(\.0)?, inf\)\. Got 0 instead",
        ),
        ({"temperature": "hot"}, TypeError, r"'temperature' .* Got 'hot' instead"),
        ({"alpha": -0.1}, ValueError, r"'alpha' .* range \[0(\.0)?, 1(\.0)?\]"),
        ({"epochs": 2.5}, TypeError, r"'epochs' .* an int in the range \[1, inf\)"),
        ({"validation_fraction": 1.0}, ValueError, r"range \[0(\.0)?, 1(\.0)?\)"),
        ({"verbose": 3}, ValueError, r"'verbose' .* range \[0, 2\]. Got 3"),
        ({"scale_soft_loss": "yes"}, TypeError, r"must be an instance of 'bool'"),
        ({"optimizer": 3}, TypeError, "optimizer must be a Keras optimizer name or"),
        (
            {"callbacks": "early"},
            TypeError,
            "callbacks must be None or a list of keras.callbacks.Callback; got str",
        ),
        ({"teacher": 3}, TypeError, "teacher must be a scikit-learn classifier"),
        ({"teacher": None}, ValueError, "teacher is required unless alpha=1"),
    ],
)
def test_messages_name_the_parameter_the_value_and_what_is_allowed(
    small_data, params, error, message
):
    X, y = small_data
    clf = DistilledClassifier(**{"teacher": LogisticRegression(), **params})
    with pytest.raises(error, match=message):
        clf.fit(X, y)


def test_scikit_learn_private_validation_api_is_the_one_tested():
    # _parameter_constraints and _fit_context are private to scikit-learn;
    # pyproject.toml pins the range whose messages these tests were written
    # against. A release outside it fails here first.
    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    assert (1, 6) <= (major, minor) < (1, 10)
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


def test_valid_parameters_of_every_kind_pass(small_data, tmp_path):
    import keras

    X, y = small_data
    clf = DistilledClassifier(
        teacher=LogisticRegression(),
        temperature=np.float32(2.0),
        alpha=np.int64(0),
        scale_soft_loss=np.bool_(False),
        augment="munge",
        teacher_cv=2,
        epochs=np.int32(1),
        optimizer=keras.optimizers.SGD(),
        learning_rate=None,
        callbacks=(keras.callbacks.TerminateOnNaN(),),
        memory=tmp_path,
        random_state=np.random.RandomState(0),
    )
    # Accepted: the fit runs through and predicts the labels.
    assert clf.fit(X, y) is clf
    assert set(clf.predict(X)) <= set(y) and len(clf.history_["loss"]) == 1
