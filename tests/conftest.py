import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skdistill import MLPStudent, get_teacher_cache


@pytest.fixture(autouse=True)
def _seed():
    # Tests that draw random numbers get the same ones on every run.
    np.random.seed(0)


@pytest.fixture(scope="session")
def digits():
    """load_digits split into a training three-quarters and a held-out quarter."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="session")
def small_data():
    """A small, easy three-class table."""
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        class_sep=2.0,
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.fixture
def tiny_student():
    """A student that trains in a fraction of a second."""
    return MLPStudent(hidden_units=(16,), standardize=True)


@pytest.fixture(scope="module")
def teacher(small_data):
    """A LogisticRegression fitted on ``small_data``, shared by a module's tests."""
    X, y = small_data
    return LogisticRegression().fit(X, y)


@pytest.fixture
def fresh_teacher_cache():
    """The process-wide teacher-output cache, empty before and after the test."""
    get_teacher_cache().clear()
    yield get_teacher_cache()
    get_teacher_cache().clear()


@pytest.fixture
def make_keras_teacher():
    """A factory of small trained Keras teachers: ``make(X, y, ...)``."""

    def make(X, y, n_classes=None, *, softmax_output=False, epochs=30, units=32):
        import keras

        if n_classes is None:
            n_classes = len(np.unique(y))
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((X.shape[1],)),
                keras.layers.Dense(units, activation="relu"),
                keras.layers.Dense(
                    n_classes, activation="softmax" if softmax_output else None
                ),
            ]
        )
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax_output),
        )
        model.fit(X, y, epochs=epochs, verbose=0)
        return model

    return make


@pytest.fixture(scope="module")
def client():
    """A ``distributed.Client`` of a ``LocalCluster`` on loopback: two worker
    processes of one thread each, for one test module."""
    distributed = pytest.importorskip(
        "distributed",
        reason="dask.distributed is not installed (pip install skdistill[tests])",
    )
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
