"""scikit-learn's own API checks, run on both estimators."""

import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import DistilledClassifier, DistilledRegressor, MLPStudent

# Each entry names a check that cannot pass and why.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch gradient descent: repeating a row twice changes the number "
        "of steps per epoch and which rows share a batch, so a weight of 2 is "
        "equivalent to a repeated row only in expectation, not exactly (Keras's "
        "SKLearnClassifier and scikit-learn's MLPClassifier share this)."
    ),
}


# The regressor's predictions are float32 values scaled back to y's units, and
# the teacher fitted inside fit sees X as float32, as every student does.
FLOAT32_TEACHER = (
    "The teacher fitted inside fit (Ridge) solves on X as float32, the "
    "estimator's working precision, where weighted and repeated rows agree to "
    "a float32 ulp or two (about 3e-7 here), not to the check's rtol=1e-7."
)
KERAS_REGRESSOR_FAILED_CHECKS = {
    **EXPECTED_FAILED_CHECKS,
    "check_methods_sample_order_invariance": (
        "The Keras student computes in float32: a row's prediction can differ "
        "in the last float32 bit with the rows batched around it (the order "
        "of BLAS's sums), beyond the check's rtol=1e-7. Seen now and then."
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, DistilledRegressor):
        if isinstance(estimator.student, DecisionTreeRegressor):
            return {"check_sample_weight_equivalence_on_dense_data": FLOAT32_TEACHER}
        return KERAS_REGRESSOR_FAILED_CHECKS
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
        DistilledRegressor(
            teacher=Ridge(),
            student=MLPStudent(hidden_units=(16,), standardize=True),
            epochs=10,
            batch_size=32,
            learning_rate=0.01,
            random_state=0,
        ),
        DistilledRegressor(
            teacher=Ridge(),
            student=DecisionTreeRegressor(max_depth=4),
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
