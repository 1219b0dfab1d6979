import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

from skdistill import MLPStudent


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
    return MLPStudent(hidden_units=(16,))
