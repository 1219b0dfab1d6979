"""scikit-learn's own API checks, run on DistilledClassifier."""

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import DistilledClassifier, MLPStudent

# Each entry names a check that cannot pass and why.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch gradient descent: repeating a row twice changes the number "
        "of steps per epoch and which rows share a batch, so a weight of 2 is "
        "equivalent to a repeated row only in expectation, not exactly (Keras's "
        "SKLearnClassifier and scikit-learn's MLPClassifier share this)."
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator.student, DecisionTreeClassifier):
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "The tree fits weighted rows as repeated ones, but the teacher "
                "fitted inside fit (LogisticRegression, lbfgs) matches them "
                "only to its solver's tolerance, and the soft targets follow it."
            )
        }
    return EXPECTED_FAILED_CHECKS


@pytest.mark.slow
@parametrize_with_checks(
    [
        DistilledClassifier(
            teacher=LogisticRegression(),
            student=MLPStudent(hidden_units=(16,), standardize=True),
            epochs=10,
            batch_size=32,
            learning_rate=0.01,
            random_state=0,
        ),
        DistilledClassifier(
            teacher=LogisticRegression(),
            student=DecisionTreeClassifier(max_depth=4),
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
