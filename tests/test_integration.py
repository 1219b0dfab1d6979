"""DistilledClassifier inside scikit-learn: clone, pickle, Pipeline, search, CV."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier, MLPStudent

pytestmark = pytest.mark.backends

FAST = dict(
    epochs=4, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


def test_clone_shares_a_fitted_teacher_and_copies_the_rest(small_data, teacher):
    X, y = small_data
    student = MLPStudent(hidden_units=(8,))
    clf = DistilledClassifier(teacher=teacher, student=student, temperature=3.0)
    cloned = clone(clf)
    assert cloned.teacher is teacher
    assert hasattr(cloned.teacher, "coef_"), "the fitted teacher must stay fitted"
    assert (
        cloned.student is not student
        and cloned.student.get_params() == student.get_params()
    )
    assert cloned.temperature == 3.0


def test_clone_shares_a_keras_teacher(small_data, make_keras_teacher):
    X, y = small_data
    model = make_keras_teacher(X, y, epochs=5, units=16)
    assert clone(DistilledClassifier(teacher=model)).teacher is model


def test_clone_copies_an_unfitted_teacher():
    teacher = LogisticRegression(C=0.5)
    cloned = clone(DistilledClassifier(teacher=teacher)).teacher
    assert cloned is not teacher and cloned.C == 0.5


def test_clone_of_fitted_estimator_is_unfitted(small_data, teacher, tiny_student):
    X, y = small_data
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, epochs=1).fit(X, y)
    cloned = clone(clf)
    assert not hasattr(cloned, "student_model_")
    assert cloned.teacher is teacher


def test_pipeline_with_preprocessing(small_data):
    X, y = small_data
    pipe = make_pipeline(
        StandardScaler(), DistilledClassifier(teacher=LogisticRegression(), **FAST)
    )
    pipe.fit(X, y, distilledclassifier__X_unlabeled=X[:30])
    assert pipe.score(X, y) > 0.85
    assert pipe.predict_proba(X).shape == (len(X), 3)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_temperature_and_alpha(
    small_data, teacher, tiny_student, n_jobs
):
    X, y = small_data
    search = GridSearchCV(
        DistilledClassifier(teacher=teacher, student=tiny_student, **FAST),
        {"temperature": [1.0, 4.0], "alpha": [0.1, 1.0]},
        cv=2,
        n_jobs=n_jobs,
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8
    # The fitted teacher is shared with the refit estimator, never refit.
    assert search.best_estimator_.teacher is teacher
    assert search.best_estimator_.teacher_ is teacher


def test_grid_search_over_builder_hyperparameters(small_data, teacher):
    X, y = small_data
    search = GridSearchCV(
        DistilledClassifier(teacher=teacher, student=MLPStudent(), **FAST),
        {"student__hidden_units": [(4,), (16,)]},
        cv=2,
    )
    search.fit(X, y)
    widths = {p["student__hidden_units"] for p in search.cv_results_["params"]}
    assert widths == {(4,), (16,)}
    units = search.best_estimator_.student_model_.layers[-2].units
    assert (units,) == search.best_params_["student__hidden_units"]


def test_cross_val_score_with_unfitted_teacher(small_data, tiny_student):
    X, y = small_data
    clf = DistilledClassifier(teacher=LogisticRegression(), student=tiny_student)
    clf.set_params(epochs=15, learning_rate=0.01, batch_size=32, random_state=0)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_pickle_round_trip(small_data, teacher, tiny_student):
    X, y = small_data
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, epochs=2).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)


def test_pickle_with_keras_teacher(small_data, tiny_student, make_keras_teacher):
    import keras

    X, y = small_data
    clf = DistilledClassifier(
        teacher=make_keras_teacher(X, y, epochs=5, units=16),
        student=tiny_student,
        epochs=2,
    )
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored.teacher(X)),
        keras.ops.convert_to_numpy(clf.teacher(X)),
        rtol=1e-6,
    )


def test_pickle_predicts_identically_in_a_new_process(tmp_path, small_data, teacher):
    X, y = small_data
    clf = DistilledClassifier(teacher=teacher, epochs=2, random_state=0).fit(X, y)
    model_path, data_path = tmp_path / "clf.pkl", tmp_path / "X.npy"
    model_path.write_bytes(pickle.dumps(clf))
    np.save(data_path, X)
    script = (
        "import pickle, sys, numpy as np\n"
        f"clf = pickle.loads(open({str(model_path)!r}, 'rb').read())\n"
        f"np.save(sys.argv[1], clf.predict_proba(np.load({str(data_path)!r})))\n"
    )
    out = tmp_path / "proba.npy"
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(out), clf.predict_proba(X))
