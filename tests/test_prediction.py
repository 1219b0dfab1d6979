"""The predict methods: log-probabilities, and no state left on the student."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledClassifier, MLPStudent

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def fitted(small_data):
    X, y = small_data
    return DistilledClassifier(
        teacher=LogisticRegression().fit(X, y),
        student=MLPStudent(hidden_units=(16,)),
        temperature=1.0,
        epochs=10,
        learning_rate=0.01,
        random_state=0,
    ).fit(X, y)


def test_predict_log_proba_is_the_log_of_predict_proba(small_data, fitted):
    X, _ = small_data
    log_proba = fitted.predict_log_proba(X)
    proba = fitted.predict_proba(X)
    assert log_proba.shape == (len(X), 3)
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.exp(log_proba).sum(axis=1), 1.0, rtol=1e-9)


def test_predict_log_proba_stays_finite_where_the_log_of_proba_does_not():
    # Logits so far apart that exp underflows: log(predict_proba) is -inf.
    import keras

    X = np.array([[1.0], [-1.0]], np.float32)
    y = np.array([0, 1])

    def build(meta):
        inputs = keras.Input((1,))
        outputs = keras.layers.Dense(2, kernel_initializer="zeros")(inputs)
        return keras.Model(inputs, outputs)

    clf = DistilledClassifier(student=build, alpha=1.0, epochs=1).fit(X, y)
    clf.student_model_.set_weights([np.array([[2000.0, -2000.0]]), np.zeros(2)])
    with np.errstate(divide="ignore"):
        assert np.isneginf(np.log(clf.predict_proba(X))).any()
    log_proba = clf.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(log_proba[0], [0.0, -4000.0], rtol=1e-6)


def test_predicting_leaves_the_student_model_as_it_was(small_data, fitted):
    X, _ = small_data
    model = fitted.student_model_
    before = set(vars(model))
    first = fitted.predict_proba(X)
    # The later calls take the traced path on TensorFlow.
    for _ in range(3):
        np.testing.assert_allclose(fitted.predict_proba(X), first, rtol=1e-5)
    added = {name for name in set(vars(model)) - before if "skdistill" in name}
    assert not added, f"skdistill stored {added} on the user's model"
    assert not any("skdistill" in name for name in vars(model))


def test_the_prediction_count_is_the_estimators_own(small_data, fitted):
    X, _ = small_data
    calls = fitted._forward.calls
    fitted.predict(X)
    assert fitted._forward.calls == calls + 1
    # Estimators sharing nothing count separately.
    other = clone(fitted).fit(X, fitted.predict(X))
    assert other._forward.calls == 0


def test_many_fitted_students_predict_without_tensorflows_retracing_warning(
    small_data,
):
    # Each student traces its own forward pass on its second prediction;
    # TensorFlow counts those traces together and, after five, warns of
    # "excessive" retracing unless predict keeps that warning quiet.
    import logging

    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the traced forward pass is TensorFlow's")
    X, y = small_data
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        for seed in range(7):
            clf = DistilledClassifier(
                alpha=1.0, student=MLPStudent((4,)), epochs=1, random_state=seed
            ).fit(X, y)
            for rows in (X, X[:100], X[:37]):  # several shapes per student
                clf.predict(rows)
                clf.predict_proba(rows)
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "retracing" in r], records
