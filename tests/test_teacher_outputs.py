"""A teacher's outputs are checked before a student learns from them."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledClassifier, EnsembleTeacher, KerasTeacher

pytestmark = pytest.mark.backends


class BrokenTeacher(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose outputs ``spoil`` damages on the first rows."""

    def __init__(self, spoil="nan", n_bad=3, method="predict_proba"):
        self.spoil = spoil
        self.n_bad = n_bad
        self.method = method

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def _damaged(self, out):
        out = np.array(out, dtype=np.float64)
        bad = slice(0, self.n_bad)
        if self.spoil == "nan":
            out[bad, 0] = np.nan
        elif self.spoil == "inf":
            out[bad, 1] = np.inf
        elif self.spoil == "unnormalised":
            out[bad] *= 2.0
        elif self.spoil == "negative":
            out[bad, 0] -= 2.0
            out[bad, 1] += 2.0
        elif self.spoil == "extra column":
            out = np.column_stack([out, np.zeros(len(out))])
        return out

    def __getattr__(self, name):
        # Only the method named by ``method`` exists.
        if name in ("predict_proba", "decision_function") and name == self.method:
            return lambda X: self._damaged(getattr(self.model_, name)(X))
        raise AttributeError(name)


@pytest.mark.parametrize(
    "spoil, message",
    [
        ("nan", r"BrokenTeacher's predict_proba returned non-finite values \(NaN"),
        ("inf", "non-finite values .* in 3 of 240 rows"),
        ("unnormalised", "3 of 240 rows that are not probability distributions"),
        ("negative", "3 of 240 rows that are not probability distributions"),
        ("extra column", r"shape \(240, 4\) for 240 rows and 3 classes"),
    ],
)
def test_bad_probabilities_are_refused(small_data, spoil, message):
    X, y = small_data
    teacher = BrokenTeacher(spoil=spoil).fit(X, y)
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(teacher=teacher, epochs=1).fit(X, y)


def test_the_count_of_bad_rows_is_given(small_data):
    X, y = small_data
    teacher = BrokenTeacher(spoil="nan", n_bad=17).fit(X, y)
    with pytest.raises(ValueError, match="in 17 of 240 rows"):
        DistilledClassifier(teacher=teacher, epochs=1, teacher_cache=False).fit(X, y)


@pytest.mark.parametrize(
    "spoil, message",
    [
        ("nan", "decision_function returned non-finite values"),
        ("extra column", r"decision_function returned an array of shape \(240, 4\)"),
    ],
)
def test_bad_decision_functions_are_refused(small_data, spoil, message):
    X, y = small_data
    teacher = BrokenTeacher(spoil=spoil, method="decision_function").fit(X, y)
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(teacher=teacher, epochs=1).fit(X, y)


def test_scores_that_are_not_probabilities_are_fine_as_decision_function(small_data):
    # Unnormalised scores are what a decision function gives.
    X, y = small_data
    teacher = BrokenTeacher(spoil="unnormalised", method="decision_function")
    clf = DistilledClassifier(
        teacher=teacher.fit(X, y), epochs=10, learning_rate=0.01, random_state=0
    )
    assert clf.fit(X, y).score(X, y) > 0.8


def test_an_ensemble_names_its_broken_member(small_data):
    X, y = small_data
    good = LogisticRegression().fit(X, y)
    broken = BrokenTeacher(spoil="nan", n_bad=5).fit(X, y)
    for combine in ("probabilities", "logits"):
        teacher = EnsembleTeacher([good, broken], combine=combine)
        with pytest.raises(ValueError, match="BrokenTeacher's .* in 5 of 240 rows"):
            DistilledClassifier(teacher=teacher, epochs=1).fit(X, y)


def _keras_model(n_features, n_classes, activation=None):
    import keras

    return keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(n_classes, activation=activation),
        ]
    )


def test_a_keras_teacher_with_nan_weights_is_refused(small_data):
    X, y = small_data
    model = _keras_model(X.shape[1], 3)
    kernel, bias = model.get_weights()
    kernel[0, 0] = np.nan
    model.set_weights([kernel, bias])
    with pytest.raises(ValueError, match=r"output returned non-finite .* 240 of 240"):
        DistilledClassifier(teacher=model, epochs=1).fit(X, y)


def test_keras_logits_declared_as_probabilities_are_refused(small_data):
    X, y = small_data
    teacher = KerasTeacher(_keras_model(X.shape[1], 3), output="probabilities")
    with pytest.raises(ValueError, match="not probability distributions"):
        DistilledClassifier(teacher=teacher, epochs=1).fit(X, y)
