"""Metadata routing: requests survive clone, GridSearchCV and cross_validate."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier, MLPStudent

pytestmark = pytest.mark.backends

FAST = dict(
    epochs=15, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


@pytest.fixture(autouse=True)
def _routing():
    with config_context(enable_metadata_routing=True):
        yield


def _requests(estimator):
    return estimator.get_metadata_routing().fit.requests


def test_clone_keeps_every_fit_request(small_data):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    clf = DistilledClassifier(teacher=teacher).set_fit_request(
        sample_weight=True, X_unlabeled="transfer_rows"
    )
    copy = clone(clf)
    assert _requests(copy) == {"sample_weight": True, "X_unlabeled": "transfer_rows"}
    assert copy.teacher is teacher, "a fitted teacher is shared, not copied"
    # The copy's requests are its own.
    copy.set_fit_request(sample_weight=False)
    assert _requests(clf)["sample_weight"] is True


def _class_share(clf, X, label):
    return np.mean(clf.predict(X) == label)


def _weighted_student():
    # From scratch (alpha=1), so only the weighted labels teach: a class with
    # zero weight is never learned. Weighted training, unweighted scoring.
    clf = DistilledClassifier(student=MLPStudent(hidden_units=(16,)), alpha=1.0, **FAST)
    return clf.set_fit_request(sample_weight=True).set_score_request(
        sample_weight=False
    )


def test_grid_search_over_a_pipeline_routes_sample_weight(small_data):
    # The search clones the pipeline, which clones the student's estimator:
    # the requests must survive both.
    X, y = small_data
    weights = np.where(y == 0, 0.0, 1.0)
    scaler = StandardScaler().set_fit_request(sample_weight=False)
    pipe = make_pipeline(scaler, _weighted_student())
    grid = {"distilledclassifier__batch_size": [32]}
    # A scorer that asks for no weights: Pipeline.score would be handed them
    # and refuse.
    scorer = make_scorer(accuracy_score).set_score_request(sample_weight=False)
    search = GridSearchCV(pipe, grid, cv=2, scoring=scorer)
    search.fit(X, y, sample_weight=weights)
    assert _class_share(search.best_estimator_, X, 0) < 0.05
    # The folds' fits were weighted too: class 0 is a third of the rows and
    # nearly all of them are missed, so the held-out folds score below 0.7.
    unweighted = GridSearchCV(clone(pipe), grid, cv=2, scoring=scorer).fit(X, y)
    assert search.best_score_ < 0.7 < unweighted.best_score_
    assert _class_share(unweighted.best_estimator_, X, 0) > 0.25


def test_an_unrequested_sample_weight_is_an_error_not_ignored(small_data):
    X, y = small_data
    clf = DistilledClassifier(alpha=1.0, epochs=1)
    search = GridSearchCV(clf, {"batch_size": [32]}, cv=2)
    with pytest.raises(ValueError, match="sample_weight"):
        search.fit(X, y, sample_weight=np.ones(len(y)))


class RowCountingTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher that records how many rows it is asked to label."""

    seen = []

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        type(self).seen.append(len(X))
        return self.model_.predict_proba(X)


def test_grid_search_routes_x_unlabeled_to_every_fit(small_data):
    X, y = small_data
    teacher = RowCountingTeacher().fit(X, y)
    RowCountingTeacher.seen = []
    X_unlabeled = X[:57] + 0.5  # another length than X: never split by fold
    clf = DistilledClassifier(
        teacher=teacher,
        student=MLPStudent(hidden_units=(8,)),
        epochs=1,
        teacher_cache=False,
    ).set_fit_request(X_unlabeled=True)
    search = GridSearchCV(clf, {"alpha": [0.5]}, cv=2)
    cross_validate(search, X, y, cv=2, params={"X_unlabeled": X_unlabeled})
    # Two outer folds of 120 rows, each searched on two inner folds of 60 rows
    # and refitted on its 120: each fit's teacher pass covers its labeled rows
    # and the 57 transfer rows.
    assert sorted(RowCountingTeacher.seen) == [60 + 57] * 4 + [120 + 57] * 2


def test_cross_validate_of_a_search_routes_sample_weight(small_data):
    # cross_validate clones the search, and with it the estimator.
    X, y = small_data
    weights = np.where(y == 0, 0.0, 1.0)
    search = GridSearchCV(_weighted_student(), {"batch_size": [32]}, cv=2)
    result = cross_validate(
        search, X, y, cv=2, params={"sample_weight": weights}, return_estimator=True
    )
    for fold in result["estimator"]:
        assert _class_share(fold.best_estimator_, X, 0) < 0.05
