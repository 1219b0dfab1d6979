"""Compiled training models reused across fits: exact, isolated, bounded."""

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledClassifier, MLPStudent
from skdistill.training._trainer import TRAINERS

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="compiled trainers are reused on the TensorFlow backend only",
)


@pytest.fixture(autouse=True)
def _fresh_trainers():
    TRAINERS.clear()
    saved = TRAINERS.max_trainers
    yield
    TRAINERS.max_trainers = saved
    TRAINERS.clear()


def _fit(X, y, teacher, **params):
    defaults = dict(
        teacher=teacher, student=MLPStudent(hidden_units=(8,)), epochs=2, random_state=0
    )
    return DistilledClassifier(**{**defaults, **params}).fit(X, y)


def test_reused_trainer_gives_the_same_model(small_data):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    first = _fit(X, y, teacher, temperature=2.0, alpha=0.3)
    first_proba = first.predict_proba(X)
    reused = _fit(X, y, teacher, temperature=8.0, alpha=0.7)
    assert TRAINERS.reused == 1
    TRAINERS.max_trainers = 0
    TRAINERS.clear()
    fresh = _fit(X, y, teacher, temperature=8.0, alpha=0.7)
    assert TRAINERS.reused == 0
    np.testing.assert_array_equal(reused.predict_proba(X), fresh.predict_proba(X))
    # Later fits never touch an earlier estimator's student.
    np.testing.assert_array_equal(first.predict_proba(X), first_proba)
    assert reused.student_model_ is not first.student_model_


@pytest.mark.parametrize(
    "change",
    [
        {"student": MLPStudent(hidden_units=(9,))},
        {"batch_size": 16},
        {"learning_rate": 0.01},
        {"alpha": 1.0},
        {"validation_fraction": 0.2},
    ],
)
def test_a_different_structure_is_not_reused(small_data, change):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    _fit(X, y, teacher)
    _fit(X, y, teacher, **change)
    assert TRAINERS.reused == 0


def test_students_standardised_on_other_rows_do_not_share_a_graph(small_data):
    # MLPStudent's Normalization layer holds the rows' mean as a constant.
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    _fit(X, y, teacher, student=MLPStudent(hidden_units=(8,), standardize=True))
    _fit(X + 1.0, y, teacher, student=MLPStudent(hidden_units=(8,), standardize=True))
    assert TRAINERS.reused == 0


def test_the_cache_is_bounded(small_data):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    TRAINERS.max_trainers = 2
    for units in (4, 5, 6):
        _fit(X, y, teacher, student=MLPStudent(hidden_units=(units,)))
    assert len(TRAINERS) == 2
    _fit(X, y, teacher, student=MLPStudent(hidden_units=(4,)))
    assert TRAINERS.reused == 0, "the oldest was dropped"


def _builder_with_a_new_layer_class(factor):
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * factor

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                Scale(),
                keras.layers.Dense(meta["n_classes_"]),
            ]
        )

    return build


def test_a_redefined_layer_class_is_not_reused(small_data):
    # Same name, same config, other code: as when a notebook cell is re-run.
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    _fit(X, y, teacher, student=_builder_with_a_new_layer_class(1.0))
    _fit(X, y, teacher, student=_builder_with_a_new_layer_class(100.0))
    assert TRAINERS.reused == 0
    same = _builder_with_a_new_layer_class(1.0)
    _fit(X, y, teacher, student=same)
    _fit(X, y, teacher, student=same)
    assert TRAINERS.reused == 1
