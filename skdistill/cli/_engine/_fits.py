"""The fits of one seed: the teacher, every student in every way, the
alternatives, and (on the first seed) the compression curve.

Every model is fitted by :meth:`Fits.fit` (timed, counted on the job's
progress bar: a Keras model by its epochs, any other by one step) and
measured by :func:`~._measure.measure`.
"""

import time
from dataclasses import dataclass

import numpy as np

from ...utils._frames import concat_rows
from ...utils._keras import import_keras
from .._shipping import ship
from ._data import CLASSIFICATION
from ._measure import measure, measure_teacher, pseudo_labels
from ._models import (
    alternative_names,
    distiller,
    is_keras,
    is_keras_student,
    is_keras_teacher,
    make_alternative,
    make_teacher,
)


def epoch_callback(function):
    """A Keras callback that calls ``function()`` at the end of every epoch.

    Copies of it (``fit`` copies its callbacks) call the same function.
    """
    keras = import_keras()

    class EachEpoch(keras.callbacks.Callback):
        async_safe = True

        def __init__(self, function):
            super().__init__()
            self.function = function

        def on_epoch_end(self, epoch, logs=None):
            self.function()

        def __deepcopy__(self, memo):
            return type(self)(self.function)

    return EachEpoch(function)


class Progress:
    """The job's progress bar, counted in steps: an epoch of a Keras model,
    or one fit of any other (``None`` draws nothing)."""

    def __init__(self, bar):
        self.bar = bar

    def start(self, total):
        if self.bar is not None:
            self.bar.start(total, unit="steps")

    def advance(self, n=1):
        if self.bar is not None:
            for _ in range(n):
                self.bar.advance()

    def callbacks(self):
        """Keras callbacks that advance the bar by one step per epoch."""
        if self.bar is None:
            return None
        return [epoch_callback(self.bar.advance)]


@dataclass(frozen=True)
class Fits:
    """What every seed of a run shares."""

    data: object
    experiment: object
    given_teacher: object
    unlabeled: object
    progress: Progress
    #: Files ``--export`` wrote, by student (its first seed's); None without.
    exported: dict | None = None

    @property
    def frame(self):
        return self.data.is_table

    def fit(self, model, X, y, **fit_params):
        """``model.fit(X, y, **fit_params)``, timed; the model and seconds."""
        student = getattr(model, "student", None)
        keras = student is not None and is_keras(student)
        if keras:
            model.set_params(callbacks=self.progress.callbacks())
        start = time.perf_counter()
        model.fit(X, y, **fit_params)
        seconds = time.perf_counter() - start
        if keras:
            # Early stopping leaves epochs unrun: the bar counts them done.
            self.progress.advance(model.epochs - len(model.history_["loss"]))
        else:
            self.progress.advance()
        return model, seconds

    def distiller(self, name, seed, way, teacher=None, **params):
        return distiller(
            self.experiment,
            name,
            self.data.task,
            seed=seed,
            way=way,
            frame=self.frame,
            teacher=teacher,
            **params,
        )

    def measure(self, rows, model, seconds):
        return measure(
            self.data, rows, model, seconds, repeats=self.experiment.latency_repeats
        )


def fit_teacher(fits, rows, seed):
    """The seed's teacher.

    Returns
    -------
    teacher : object
        What the students learn from: a given model, a fitted preset, or a
        trained Keras teacher's model (its logits).
    record : dict
        Its :func:`measure` record (``fit_seconds`` None when given).
    """
    experiment, task = fits.experiment, fits.data.task
    repeats = experiment.latency_repeats
    if fits.given_teacher is not None:
        teacher = fits.given_teacher
        return teacher, measure_teacher(fits.data, rows, teacher, None, repeats=repeats)
    if is_keras_teacher(experiment.teacher):
        clf, seconds = fits.fit(
            fits.distiller(experiment.teacher, seed, "teacher"),
            rows.X_teacher,
            rows.y_teacher,
        )
        path = experiment.save_teacher
        if path is not None and not path.exists():  # the first seed's
            path.parent.mkdir(parents=True, exist_ok=True)
            clf.student_model_.save(path)
        return clf.student_model_, fits.measure(rows, clf, seconds)
    teacher, seconds = _fit_quietly(
        fits,
        make_teacher(experiment.teacher, task, seed, frame=fits.frame),
        rows.X_teacher,
        rows.y_teacher,
    )
    return teacher, measure_teacher(fits.data, rows, teacher, seconds, repeats=repeats)


def _fit_quietly(fits, model, X, y):
    """:meth:`Fits.fit` without scikit-learn's FutureWarning on
    ``SVC(probability=True)`` (deprecated in 1.9; this package pins < 1.10)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*probability.*", category=FutureWarning
        )
        return fits.fit(model, X, y)


def _fit_pseudo(fits, name, seed, X, labels):
    """A student fitted on the teacher's ``labels``; a constant if they hold
    one class, as any student fitted on them would be."""
    from sklearn.dummy import DummyClassifier

    if fits.data.task == CLASSIFICATION and len(np.unique(labels)) < 2:
        return fits.fit(DummyClassifier(strategy="most_frequent"), X, labels)
    return fits.fit(fits.distiller(name, seed, "pseudo"), X, labels)


def distilled_key(name, experiment, temperature, alpha):
    """The report's key of a distilled student: ``name:distilled``, with its
    settings in a sweep."""
    if not experiment.grid:
        return f"{name}:distilled"
    return f"{name}:distilled(T={temperature:g},alpha={alpha:g})"


def fit_way(fits, rows, teacher, seed, name, way, **params):
    """The student ``name`` trained from scratch on the labeled rows, or
    distilled from ``teacher`` on them and the transfer rows (``params``:
    its temperature, alpha or units); the model and its seconds."""
    if way == "scratch":
        model = fits.distiller(name, seed, "scratch", **params)
        return fits.fit(model, rows.X_labeled, rows.y_labeled)
    model = fits.distiller(name, seed, "distilled", teacher=teacher, **params)
    return fits.fit(model, rows.X_labeled, rows.y_labeled, X_unlabeled=rows.X_transfer)


def _ship(fits, rows, key, name, model):
    """The distilled student's shipped record; the first seed's is exported."""
    export = fits.exported is not None and name not in fits.exported
    record, files = ship(
        model,
        rows.X_test,
        repeats=fits.experiment.latency_repeats,
        export=fits.experiment.export if export else None,
        name=name,
    )
    if export:
        fits.exported[name] = files
    return record


def student_records(fits, rows, teacher, seed):
    """Every student, trained every way: records by ``"name:way"``."""
    experiment, task = fits.experiment, fits.data.task
    records = {}
    labels = None
    if "pseudo" in experiment.ways:
        X_owner = concat_rows([rows.X_labeled, rows.X_transfer])
        labels = pseudo_labels(teacher, X_owner, task)
    for name in experiment.students:
        if "scratch" in experiment.ways:
            model, seconds = fit_way(fits, rows, teacher, seed, name, "scratch")
            records[f"{name}:scratch"] = fits.measure(rows, model, seconds)
        if labels is not None:
            model, seconds = _fit_pseudo(fits, name, seed, X_owner, labels)
            records[f"{name}:pseudo"] = fits.measure(rows, model, seconds)
        for temperature, alpha in experiment.distilled_settings():
            key = distilled_key(name, experiment, temperature, alpha)
            model, seconds = fit_way(
                fits,
                rows,
                teacher,
                seed,
                name,
                "distilled",
                temperature=temperature,
                alpha=alpha,
            )
            records[key] = fits.measure(rows, model, seconds)
            records[key]["settings"] = {"temperature": temperature, "alpha": alpha}
            if not experiment.grid:
                records[key]["shipped"] = _ship(fits, rows, key, name, model)
    return records


def alternative_records(fits, rows, seed):
    """scikit-learn's defaults fitted on the labeled rows: records by name."""
    records = {}
    task = fits.data.task
    for name in alternative_names(fits.experiment, task):
        model = make_alternative(name, task, seed, frame=fits.frame)
        model, seconds = fits.fit(model, rows.X_labeled, rows.y_labeled)
        records[f"sklearn:{name}"] = fits.measure(rows, model, seconds)
    return records


def compression_curve(fits, rows, teacher, seed, records, metric):
    """The ``mlp`` student from scratch and distilled at each of ``widths``
    hidden units, on one seed's rows: one point per width (units,
    parameters, and each way's ``metric``). The main width's point is that
    of the seed's own pair of students, in ``records``."""
    experiment = fits.experiment
    curve = []
    for width in sorted(experiment.widths):
        if width == experiment.units:
            pair = (records["mlp:scratch"], records["mlp:distilled"])
            scores = [record["scores"][metric] for record in pair]
            parameters = records["mlp:distilled"]["size"]["count"]
        else:
            models = [
                fit_way(fits, rows, teacher, seed, "mlp", way, units=width)
                for way in ("scratch", "distilled")
            ]
            scores = [fits.measure(rows, m, s)["scores"][metric] for m, s in models]
            parameters = int(models[1][0].student_model_.count_params())
        curve.append(
            {
                "units": int(width),
                "parameters": parameters,
                "scratch": scores[0],
                "distilled": scores[1],
            }
        )
    return curve


def n_steps(fits):
    """The job's size on the progress bar: every fit's steps, all seeds."""
    experiment = fits.experiment
    per_seed = len(alternative_names(experiment, fits.data.task))
    if fits.given_teacher is None:
        per_seed += (
            experiment.teacher_epochs if is_keras_teacher(experiment.teacher) else 1
        )
    students = 0
    for name in experiment.students:
        keras = is_keras_student(name)
        for way in ("scratch", "pseudo"):
            if way in experiment.ways:
                students += experiment.student_epochs(way) if keras else 1
        n_distilled = len(experiment.distilled_settings())
        epochs = experiment.student_epochs("distilled")
        students += n_distilled * (epochs if keras else 1)
    total = (per_seed + students) * len(experiment.seeds)
    n_curve = len([w for w in experiment.widths if w != experiment.units])
    pair = experiment.student_epochs("scratch") + experiment.student_epochs("distilled")
    return total + n_curve * pair
