"""The engine's presets: teachers, students and alternatives, by task.

A preset is a name the command line takes. Teachers: ``svc`` (an RBF SVC
with libsvm's probabilities), ``hgb`` (HistGradientBoosting reading
category columns natively; ``boosting`` is the same), ``rf`` (a 300-tree
forest on the category codes), and the Keras pairs of
:func:`~skdistill.students._presets.model_presets` (their teacher, trained
for ``teacher_epochs``). Students: trees of depth 4 and 8, a small
HistGradientBoosting, a linear model, a Keras ``mlp`` of ``units`` hidden
units, and the Keras pairs' students. Alternatives: what the owner would fit
on the labels alone, with scikit-learn's defaults.
"""

from ._data import CLASSIFICATION

TEACHER_PRESETS = ("hgb", "rf", "svc")
TEACHER_ALIASES = {"boosting": "hgb"}
#: Student presets for a table, in the order the report lists them.
TABLE_STUDENTS = ("tree4", "tree8", "hgb-small", "linear", "mlp")

ALTERNATIVE_LABELS = {
    CLASSIFICATION: {
        "baseline": "baseline: class frequencies (DummyClassifier)",
        "hgb": "HistGradientBoostingClassifier()",
        "svc": "SVC()",
        "linear": "LogisticRegression() (scaled)",
        "mlp": "MLPClassifier() (scaled)",
    },
    "regression": {
        "baseline": "baseline: mean of the labels (DummyRegressor)",
        "hgb": "HistGradientBoostingRegressor()",
        "linear": "Ridge() (scaled)",
        "mlp": "MLPRegressor() (scaled)",
    },
}


def _keras_pair(name):
    """The (teacher, student) builders of a Keras preset pair, or None."""
    from ...students._presets import model_presets

    return model_presets().get(name)


def _encoder(frame, *, scaled):
    """What a model other than boosting reads a table or images through.

    For a frame: category columns one-hot (unseen ones as zeros), numbers
    imputed and, for ``scaled``, standardised; dense, since a Keras student
    reads arrays. For arrays: standardised for ``scaled``, else nothing.
    """
    from sklearn.preprocessing import StandardScaler

    if not frame:
        return StandardScaler() if scaled else None
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    numbers = make_pipeline(SimpleImputer(), StandardScaler()) if scaled else None
    return make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            make_column_selector(dtype_include="category"),
        ),
        # A tree splits on missing values itself; other models need them filled.
        remainder="passthrough" if numbers is None else numbers,
        verbose_feature_names_out=False,
    )


def _kinds(task):
    """scikit-learn's estimators of ``task``, by their preset names."""
    from sklearn import ensemble, linear_model, neural_network, svm, tree

    if task == CLASSIFICATION:
        return {
            "tree": tree.DecisionTreeClassifier,
            "hgb": ensemble.HistGradientBoostingClassifier,
            "rf": ensemble.RandomForestClassifier,
            "linear": linear_model.LogisticRegression,
            "mlp": neural_network.MLPClassifier,
            "svc": svm.SVC,
        }
    return {
        "tree": tree.DecisionTreeRegressor,
        "hgb": ensemble.HistGradientBoostingRegressor,
        "rf": ensemble.RandomForestRegressor,
        "linear": linear_model.Ridge,
        "mlp": neural_network.MLPRegressor,
    }


def _ordinal_encoder():
    """Category columns as integer codes, for a forest (unseen ones as -1)."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import OrdinalEncoder

    return make_column_transformer(
        (
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
            make_column_selector(dtype_include="category"),
        ),
        remainder="passthrough",
    )


def is_keras_teacher(name):
    """Whether the teacher preset ``name`` is a Keras model trained by epochs."""
    return _keras_pair(name) is not None


def is_keras_student(name):
    """Whether the student preset ``name`` is a Keras model."""
    return name == "mlp" or is_keras_teacher(name)


def make_teacher(name, task, seed, *, frame):
    """An unfitted scikit-learn teacher preset (see the module's docstring).

    Keras teachers are built by :func:`distiller` from :func:`teacher_builder`.
    """
    from sklearn.pipeline import make_pipeline

    name = TEACHER_ALIASES.get(name, name)
    kinds = _kinds(task)
    if name == "hgb":
        return kinds["hgb"](categorical_features="from_dtype", random_state=seed)
    if name == "rf":
        forest = kinds["rf"](n_estimators=300, min_samples_leaf=2, random_state=seed)
        return make_pipeline(_ordinal_encoder(), forest) if frame else forest
    if name == "svc" and task == CLASSIFICATION and not frame:
        # libsvm's pairwise-coupled probabilities, kept although scikit-learn
        # 1.9 deprecates probability=True: CalibratedClassifierCV's
        # one-vs-rest sigmoids teach the student less (the main job's page
        # gives figures).
        return kinds["svc"](kernel="rbf", probability=True, random_state=seed)
    where = "a table" if frame else "images"
    raise ValueError(f"--teacher-model {name} is not a teacher for {where}")


def teacher_builder(name):
    """The Keras teacher builder of the preset pair ``name``."""
    return _keras_pair(name)[0]


def make_student(name, task, *, seed, units, frame):
    """An unfitted student preset and the preprocessor it reads through.

    Returns
    -------
    student : estimator or StudentBuilder
    preprocessor : transformer or None
    """
    kinds = _kinds(task)
    if name.startswith("tree") and name[len("tree") :].isdigit():
        depth = int(name[len("tree") :])
        return kinds["tree"](max_depth=depth, random_state=seed), _encoder(
            frame, scaled=False
        )
    if name == "hgb-small":
        # Few, small trees: a fraction of the default's 100 iterations.
        student = kinds["hgb"](
            max_iter=30,
            max_leaf_nodes=15,
            categorical_features="from_dtype",
            random_state=seed,
        )
        return student, None
    if name == "linear":
        extra = {"max_iter": 1000} if task == CLASSIFICATION else {}
        return kinds["linear"](**extra), _encoder(frame, scaled=True)
    if name == "mlp":
        from ...students._builders import MLPStudent

        if frame:
            return MLPStudent(hidden_units=(units,)), _encoder(frame, scaled=True)
        return MLPStudent(hidden_units=(units,), standardize=True), None
    pair = _keras_pair(name)
    if pair is not None:
        return pair[1], None
    raise ValueError(f"unknown student {name!r}")


def is_keras(student):
    """Whether ``student`` is a Keras builder rather than an estimator."""
    return not hasattr(student, "fit")


def make_alternative(name, task, seed, *, frame):
    """scikit-learn's estimator ``name`` with its defaults, as the owner
    would fit it on the labels alone (scaled, and one-hot on a table, where
    it needs it)."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.pipeline import make_pipeline

    kinds = _kinds(task)
    if name == "baseline":
        if task == CLASSIFICATION:
            return DummyClassifier(strategy="prior")
        return DummyRegressor(strategy="mean")
    if name == "hgb":
        return kinds["hgb"](random_state=seed)
    if name == "svc":
        return kinds["svc"]()
    extra = {"max_iter": 1000} if name == "linear" and not frame else {}
    if name == "mlp":
        extra = {"random_state": seed}
    return make_pipeline(_encoder(frame, scaled=True), kinds[name](**extra))


def alternative_names(experiment, task):
    """The alternatives a run reports, in the report's order.

    ``"linear"`` is left out when the ``linear`` student is in the run: that
    student from scratch is the same model on the same labels.
    """
    return [
        name
        for name in ALTERNATIVE_LABELS[task]
        if name in experiment.alternatives
        and not (name == "linear" and "linear" in experiment.students)
    ]


def distiller(experiment, name, task, *, seed, way, frame, teacher=None, **params):
    """An unfitted ``DistilledClassifier`` or ``DistilledRegressor`` of the
    student preset ``name``, trained ``way`` with the experiment's settings.

    ``params`` (temperature, alpha, callbacks) override the experiment's.
    Without ``teacher`` the student learns from the labels it is given.
    """
    from ..._classification import DistilledClassifier
    from ..._regression import DistilledRegressor

    if way == "teacher":
        student, preprocessor = teacher_builder(name), None
    else:
        units = params.pop("units", experiment.units)
        student, preprocessor = make_student(
            name, task, seed=seed, units=units, frame=frame
        )
    settings = dict(
        teacher=teacher,
        student=student,
        preprocessor=preprocessor,
        alpha=1.0 if teacher is None else params.pop("alpha", experiment.alpha),
        random_state=seed,
    )
    temperature = params.pop("temperature", experiment.temperature)
    callbacks = params.pop("callbacks", None)
    if is_keras(student):
        epochs = (
            experiment.teacher_epochs
            if way == "teacher"
            else experiment.student_epochs(way)
        )
        settings.update(
            epochs=epochs,
            batch_size=experiment.batch_size,
            verbose=experiment.verbose,
            callbacks=callbacks,
        )
        if not experiment.early_stopping:
            settings["n_iter_no_change"] = None
        if experiment.validation_fraction:
            settings["validation_fraction"] = experiment.validation_fraction
    if task == CLASSIFICATION:
        return DistilledClassifier(temperature=temperature, **settings)
    return DistilledRegressor(**settings)
