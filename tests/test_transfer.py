"""Transfer sets: X_unlabeled through meta-estimators, synthetic rows, out-of-fold."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    ShuffleSplit,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import (
    DistilledClassifier,
    ImageAugment,
    Munge,
    get_teacher_cache,
)
from skdistill.teachers._adapters import as_teacher
from skdistill.teachers._out_of_fold import out_of_fold_outputs

FAST = dict(epochs=1, random_state=0)


pytestmark = pytest.mark.usefixtures("fresh_teacher_cache")


# --- X_unlabeled through Pipeline and GridSearchCV ---------------------------


def test_pipeline_routes_x_unlabeled_to_the_last_step(small_data, tiny_student):
    X, y = small_data
    X_unlabeled = X[:100] + 0.5
    teacher = LogisticRegression().fit(X, y)
    pipe = make_pipeline(
        StandardScaler(), DistilledClassifier(teacher=teacher, student=tiny_student)
    )
    pipe.set_params(distilledclassifier__epochs=2, distilledclassifier__random_state=0)
    # Preprocessing steps do not see fit parameters: the rows are passed in the
    # space the last step works in, as the docs say.
    scaler = StandardScaler().fit(X)
    pipe.fit(X, y, distilledclassifier__X_unlabeled=scaler.transform(X_unlabeled))
    direct = DistilledClassifier(
        teacher=teacher, student=tiny_student, epochs=2, random_state=0
    ).fit(scaler.transform(X), y, X_unlabeled=scaler.transform(X_unlabeled))
    np.testing.assert_array_equal(
        pipe.predict_proba(X), direct.predict_proba(scaler.transform(X))
    )
    assert get_teacher_cache().rows_computed == len(X) + len(X_unlabeled)


def test_grid_search_passes_x_unlabeled_to_every_fit(small_data, tiny_student):
    X, y = small_data
    X_unlabeled = X[:90] + 0.25  # a length other than len(X): passed whole
    teacher = LogisticRegression().fit(X, y)
    search = GridSearchCV(
        DistilledClassifier(teacher=teacher, student=tiny_student, **FAST),
        {"alpha": [0.1, 0.5]},
        cv=3,
    ).fit(X, y, X_unlabeled=X_unlabeled)
    cache = get_teacher_cache()
    # Every fit (6 candidates x folds, and the refit) distilled on the
    # unlabeled rows: the teacher saw each labeled and each unlabeled row once.
    assert cache.rows_computed == len(X) + len(X_unlabeled)
    assert cache.hits + cache.misses == 2 * 3 + 1
    assert search.best_estimator_.teacher_ is teacher


# --- Munge -------------------------------------------------------------------


def test_munge_makes_rows_between_neighbours():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 0.1, (20, 3)), rng.normal(10, 0.1, (20, 3))])
    new = Munge(size=3.0).generate(X, random_state=0)
    assert new.shape == (120, 3) and new.dtype == X.dtype
    # Rows start from a training row and move towards its nearest neighbour,
    # which lies in the same cluster: no row lands between the clusters.
    assert np.all((np.abs(new) < 2) | (np.abs(new - 10) < 2))
    changed = np.mean(~np.isin(new, X))
    assert 0.35 < changed < 0.65, "p=0.5: about half the features move"


def test_munge_parameters_shape_the_rows():
    X = np.arange(40.0).reshape(20, 2)
    unchanged = Munge(p=0.0).generate(X, random_state=0)
    assert all(any(np.array_equal(row, x) for x in X) for row in unchanged)
    # p=1 and a huge s: every feature takes the neighbour's value, no noise.
    neighbours = Munge(p=1.0, s=1e12).generate(X, random_state=0)
    np.testing.assert_allclose(neighbours, np.round(neighbours), atol=1e-6)
    assert all(any(np.array_equal(row, x) for x in X) for row in np.round(neighbours))
    categorical = Munge(p=1.0, categorical_features=[1]).generate(X, random_state=0)
    assert np.all(np.isin(categorical[:, 1], X[:, 1])), "swapped, not perturbed"
    assert not np.all(np.isin(categorical[:, 0], X[:, 0]))


def test_munge_is_seeded():
    X = np.random.RandomState(0).normal(size=(30, 4))
    first = Munge().generate(X, random_state=1)
    np.testing.assert_array_equal(first, Munge().generate(X, random_state=1))
    assert not np.array_equal(first, Munge().generate(X, random_state=2))


@pytest.mark.parametrize(
    "params, X, message",
    [
        ({"p": 1.5}, np.zeros((4, 2)), "p == 1.5, must be <= 1"),
        ({"s": 0}, np.zeros((4, 2)), "s == 0, must be > 0"),
        ({"size": -1}, np.zeros((4, 2)), "size == -1, must be > 0"),
        ({}, np.zeros((4, 2, 2)), "needs 2-D X"),
        ({}, np.zeros((1, 2)), "at least 2 rows"),
        ({"categorical_features": [5]}, np.zeros((4, 2)), "feature indices"),
        ({"categorical_features": [True]}, np.zeros((4, 2)), "needs 2 entries"),
    ],
)
def test_munge_rejects_bad_input(params, X, message):
    with pytest.raises(ValueError, match=message):
        Munge(**params).generate(X, random_state=0)


# --- ImageAugment ------------------------------------------------------------


def test_image_augment_moves_pixels_and_is_seeded():
    images = np.zeros((6, 12, 12, 1), np.float32)
    images[:, 4:8, 4:8] = 1.0
    augment = ImageAugment(size=2.0, shift=0.25, rotation=0.1)
    new = augment.generate(images, random_state=0)
    assert new.shape == (12, 12, 12, 1) and new.dtype == np.float32
    assert not np.allclose(new, images[0]), "the square moved or turned"
    np.testing.assert_array_equal(new, augment.generate(images, random_state=0))
    still = ImageAugment(shift=0.0, rotation=0.0).generate(images[..., 0], 0)
    np.testing.assert_array_equal(still, images[..., 0], err_msg="3-D images kept 3-D")


def test_image_augment_rejects_tables():
    with pytest.raises(ValueError, match="For tables use augment=Munge"):
        ImageAugment().generate(np.zeros((4, 5)), random_state=0)


# --- augment= in DistilledClassifier -----------------------------------------


def test_augment_adds_teacher_labelled_rows(small_data, tiny_student):
    X, y = small_data
    teacher = LogisticRegression().fit(X, y)
    clf = DistilledClassifier(
        teacher=teacher, student=tiny_student, augment=Munge(size=1.5), **FAST
    ).fit(X, y)
    assert get_teacher_cache().rows_computed == len(X) + round(1.5 * len(X))
    again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    assert get_teacher_cache().rows_computed == len(X) + round(1.5 * len(X)), (
        "the same random_state makes the same rows, found in the cache"
    )
    assert clf.get_params()["augment__size"] == 1.5


def test_augment_is_ignored_from_scratch(small_data, tiny_student):
    X, y = small_data
    DistilledClassifier(student=tiny_student, alpha=1.0, augment="munge", **FAST).fit(
        X, y
    )
    assert get_teacher_cache().rows_computed == 0


@pytest.mark.parametrize(
    "augment, error, message",
    [
        ("mixup", ValueError, "'munge' \\(tables\\), 'image'"),
        (42, TypeError, "generate\\(X, random_state\\)"),
    ],
)
def test_augment_rejects_unknown_values(small_data, augment, error, message):
    X, y = small_data
    with pytest.raises(error, match=message):
        DistilledClassifier(teacher=LogisticRegression(), augment=augment).fit(X, y)


# --- teacher_cv --------------------------------------------------------------


def test_out_of_fold_logits_match_cross_val_predict(small_data):
    X, y = small_data
    cv = StratifiedKFold(4)
    classes, oof = out_of_fold_outputs(
        as_teacher(LogisticRegression(), "classification"), X, y, np.ones(len(X)), cv
    )
    expected = cross_val_predict(
        LogisticRegression(), X, y, cv=cv, method="predict_proba"
    )
    np.testing.assert_array_equal(classes, np.unique(y))
    np.testing.assert_allclose(oof, np.log(expected), rtol=1e-5, atol=1e-5)


def test_teacher_cv_trains_on_held_out_predictions(small_data, tiny_student):
    X, y = small_data
    # A fully grown tree is certain of every training row: its targets on them
    # are the labels again. Out of fold, it errs and hesitates.
    tree = DecisionTreeClassifier(random_state=0)
    clf = DistilledClassifier(
        teacher=tree, teacher_cv=3, student=tiny_student, **FAST
    ).fit(X, y, X_unlabeled=X[:10] + 0.1)
    in_sample = clone(tree).fit(X, y)
    np.testing.assert_array_equal(clf.teacher_.predict(X), in_sample.predict(X))
    cache = get_teacher_cache()
    oof_key = next(b.key for b in cache._blocks.values() if b.key[0] == "out-of-fold")

    def not_computed(rows):
        raise AssertionError("the out-of-fold targets were not stored")

    _, targets = cache.outputs(oof_key, X, not_computed)
    oof_pred = cross_val_predict(clone(tree), X, y, cv=StratifiedKFold(3))
    np.testing.assert_array_equal(np.argmax(targets, axis=1), oof_pred)
    # The targets disagree with y where the folds' trees erred; in-sample
    # targets never would.
    assert np.mean(oof_pred != y) > 0.02
    # A second fit with another temperature refits no fold teacher.
    n_blocks = len(cache)
    clone(clf).set_params(temperature=2.0).fit(X, y, X_unlabeled=X[:10] + 0.1)
    assert len(cache) == n_blocks and cache.hits >= 2


def test_teacher_cv_rejects_a_fitted_teacher(small_data):
    X, y = small_data
    fitted = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="teacher_cv needs an unfitted teacher"):
        DistilledClassifier(teacher=fitted, teacher_cv=3).fit(X, y)


def test_teacher_cv_needs_a_partition(small_data):
    X, y = small_data
    clf = DistilledClassifier(
        teacher=LogisticRegression(), teacher_cv=ShuffleSplit(3, random_state=0)
    )
    with pytest.raises(ValueError, match="cover every row exactly once"):
        clf.fit(X, y)
