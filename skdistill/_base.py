"""The distillation estimator written once: parameters, clone, validation, fit.

:class:`BaseDistiller` holds what :class:`~skdistill.DistilledClassifier` and
:class:`~skdistill.DistilledRegressor` share, as scikit-learn's
``BaseMultilayerPerceptron`` does for ``MLPClassifier`` and ``MLPRegressor``.
``fit`` reads as its steps: validate, transfer rows, teacher outputs, targets,
student fitted, fitted attributes set. Each step lives in the subpackage of
its concept (``distill``, ``teachers``, ``students``, ``training``); the
subclasses supply the task's hooks: the checks of ``y``, how the teacher's
outputs are read, the targets and loss, and ``predict``.
"""

import sys
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_y,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .distill._cluster_pass import rows_for_student
from .distill._rows import row_weights, training_rows
from .distill._teacher_pass import teacher_outputs, unused_teacher
from .distill._transfer import check_augment
from .export._student import export_student
from .students._fitters import KerasStudentFitter, student_fitter
from .students._inputs import (
    check_preprocessor,
    fit_student_inputs,
    input_shape,
    student_inputs,
)
from .teachers._adapters import check_teacher, clone_teacher
from .training._settings import TrainingSettings
from .utils._dask import (
    check_dask_options,
    check_dask_unlabeled,
    check_in_memory,
    is_dask_collection,
)
from .utils._frames import check_same_columns, is_frame
from .utils._keras import seed_from
from .utils._outofcore import is_memmap
from .utils._validation import (
    check_memory,
    check_sample_weight,
    check_streamable,
    check_unlabeled,
)


class BaseDistiller(BaseEstimator):
    """Base class of the distillation estimators; not for direct use.

    Subclasses set ``_task`` and supply the task's hooks: ``_make_task``
    returns the task object of :mod:`skdistill.distill._targets` (the checks
    of ``y``, how the teacher's outputs are read, the targets and loss),
    ``_set_task_attributes`` sets what it decided as fitted attributes, and
    the subclass's own predictions read them.
    """

    _task = None
    #: Extra arguments of ``validate_data`` for ``y``.
    _y_validation = {}

    _parameter_constraints = {
        # Objects of several kinds, checked in _components with messages
        # that list the kinds accepted.
        "teacher": "no_validation",
        "student": "no_validation",
        "preprocessor": "no_validation",
        "augment": "no_validation",
        "optimizer": "no_validation",
        "callbacks": "no_validation",
        "memory": "no_validation",
        "teacher_cv": [None, "cv_object"],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [None, Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [None, Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "inference_batch_size": [Interval(Integral, 1, None, closed="left")],
        "teacher_cache": ["boolean"],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
    }

    def __init__(
        self,
        *,
        teacher,
        student,
        preprocessor,
        alpha,
        augment,
        teacher_cv,
        epochs,
        batch_size,
        optimizer,
        learning_rate,
        validation_fraction,
        n_iter_no_change,
        tol,
        callbacks,
        inference_batch_size,
        teacher_cache,
        memory,
        random_state,
        verbose,
    ):
        self.teacher = teacher
        self.student = student
        self.preprocessor = preprocessor
        self.alpha = alpha
        self.augment = augment
        self.teacher_cv = teacher_cv
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.inference_batch_size = inference_batch_size
        self.teacher_cache = teacher_cache
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_clone__(self):
        # Like scikit-learn's clone, except that a fitted teacher (and a Keras
        # model used as a student template) is shared rather than copied:
        # cloning must not unfit a teacher trained elsewhere, and tuning
        # temperature or alpha must not copy a large model per candidate.
        params = self.get_params(deep=False)
        teacher, student = params.pop("teacher"), params.pop("student")
        params = {name: clone(value, safe=False) for name, value in params.items()}
        keras_module = sys.modules.get("keras")
        if keras_module is None or not isinstance(student, keras_module.Model):
            student = clone(student, safe=False)
        new = type(self)(teacher=clone_teacher(teacher), student=student, **params)
        # What scikit-learn's clone carries over besides the parameters: the
        # metadata requests (set_fit_request), its callbacks, set_output.
        if hasattr(self, "_metadata_request"):
            new._metadata_request = clone(self._metadata_request)
        if hasattr(self, "_skl_callbacks"):
            new._skl_callbacks = self._skl_callbacks
        if hasattr(self, "_sklearn_output_config"):
            new._sklearn_output_config = dict(self._sklearn_output_config)
        return new

    def _components(self):
        """The teacher's adapter and the student's fitter, each chosen once.

        Checks the parameters that take objects of several kinds; called at
        the start of ``fit``, after scikit-learn's ``_parameter_constraints``
        and before any teacher work.
        """
        teacher = check_teacher(
            self.teacher, alpha=self.alpha, teacher_cv=self.teacher_cv, task=self._task
        )
        fitter = student_fitter(self.student, self._task)
        check_preprocessor(self.preprocessor)
        check_augment(self.augment)
        check_memory(self.memory)
        fitter.check_settings(self.callbacks, self.optimizer, self.learning_rate)
        return teacher, fitter

    def _validate_fit_data(self, X, y, sample_weight, X_unlabeled, fitter, task):
        """Checked ``X``, ``y``, weights and transfer rows, and whether to stream."""
        check_in_memory(X)
        # A Dask X_unlabeled stays where it is: checked from what Dask knows.
        on_dask = is_dask_collection(X_unlabeled)
        collection, X_unlabeled = (
            (X_unlabeled, None) if on_dask else (None, X_unlabeled)
        )
        if is_frame(X):
            X, y, X_unlabeled = self._validate_frames(X, y, X_unlabeled)
            streamed = False
        else:
            # A memory-mapped X is streamed block by block to a Keras student,
            # never copied whole; a scikit-learn student fits on rows in memory.
            streamed = (
                (is_memmap(X) or is_memmap(X_unlabeled))
                and fitter.keras
                and not on_dask
            )
            X, y = validate_data(
                self,
                X,
                y,
                allow_nd=True,
                dtype="numeric" if streamed else np.float32,
                ensure_all_finite=not streamed,
                **self._y_validation,
            )
            X_unlabeled = check_unlabeled(X_unlabeled, X, streamed)
        y = task.check_y(y)
        sample_weight = check_sample_weight(sample_weight, len(X))
        if streamed:
            check_streamable(self)
        if on_dask:
            X_unlabeled = check_dask_unlabeled(collection, X, keras=fitter.keras)
            check_dask_options(self, fitter.keras)
        return X, y, sample_weight, X_unlabeled, streamed

    def _validate_frames(self, X, y, X_unlabeled):
        """A data frame ``X`` kept as it is: its rows go to the teacher as given.

        Only what scikit-learn records of any ``X`` is checked and set here
        (``n_features_in_``, ``feature_names_in_``); the values, whatever their
        dtypes, are for the teacher and the preprocessor to read.
        """
        validate_data(self, X, skip_check_array=True)
        if len(X) == 0 or X.shape[1] == 0:
            raise ValueError(
                f"X must have at least one row and one column; got a data frame "
                f"of shape {X.shape}."
            )
        y = _check_y(y, estimator=self, **self._y_validation)
        check_consistent_length(X, y)
        if X_unlabeled is not None:
            X_unlabeled = check_same_columns(X_unlabeled, X, "X_unlabeled")
        return X, y, X_unlabeled

    def _training_settings(self, seed):
        return TrainingSettings(
            epochs=self.epochs,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            callbacks=self.callbacks,
            verbose=self.verbose,
            seed=seed,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, X_unlabeled=None):
        """Fit the teacher if it is unfitted, then train a fresh student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training rows: a table, or n-D samples such as images
            ``(n_samples, 28, 28, 1)``. A pandas DataFrame is kept as it is,
            whatever its dtypes (category, string, object, missing values):
            the teacher, the ``preprocessor`` and a scikit-learn student read
            frames with its columns and dtypes. A ``numpy.memmap``
            (``np.load(path, mmap_mode="r")``) is streamed in blocks rather
            than copied; see "Scaling out" in the docs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels (classification) or targets (regression, one column or
            several).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each labeled row, applied to both loss terms
            (and passed to an unfitted teacher's ``fit`` where it accepts it).
        X_unlabeled : array-like or Dask collection, default=None
            Transfer rows with no label, of shape ``(n_unlabeled, ...)``: the
            teacher labels them and they carry only the teacher's term.
            Ignored when ``alpha=1``. When ``X`` is a DataFrame, a DataFrame
            with its columns. A ``dask.array.Array`` or a
            ``dask.dataframe.DataFrame`` (with ``X`` in memory) is labelled
            where its partitions live, by the teacher sent once to the
            workers of the ``distributed.Client`` (or by Dask's local
            scheduler without one); a Keras student then trains from a few
            partitions at a time, a scikit-learn student from the rows
            gathered once. See "Scaling out" in the docs.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        teacher, fitter = self._components()
        task = self._make_task()
        sources = (X, X_unlabeled)
        X, y, sample_weight, X_unlabeled, streamed = self._validate_fit_data(
            X, y, sample_weight, X_unlabeled, fitter, task
        )
        # Transfer rows, synthetic rows and out-of-fold targets serve only
        # the teacher's term.
        soft_term = self.alpha != 1
        seed = seed_from(self.random_state)
        with fitter.seeded(seed):
            rows = training_rows(
                X,
                X_unlabeled if soft_term else None,
                sources=sources if streamed else None,
                augment=self.augment if soft_term else None,
                seed=seed,
            )
            taught = teacher_outputs(
                teacher if soft_term else None,
                X,
                y,
                sample_weight,
                rows,
                teacher_cv=self.teacher_cv if soft_term else None,
                use_cache=self.teacher_cache,
                memory=check_memory(self.memory),
                verbose=self.verbose,
            )
            if not soft_term:
                taught = unused_teacher(teacher, taught)
            rows, taught = rows_for_student(rows, taught)
            outputs = task.read_teacher(taught, y, len(rows))
            targets = task.targets(
                fitter, y, row_weights(sample_weight, len(rows)), outputs, taught
            )
            preprocessor, student_rows = fit_student_inputs(
                self.preprocessor, rows, keras=fitter.keras
            )
            shape = tuple(X.shape[1:]) if streamed else input_shape(student_rows)
            student, history = fitter.fit(
                student_rows,
                targets,
                input_shape=shape,
                n_features_in=self.n_features_in_ if preprocessor is None else shape[0],
                settings=self._training_settings(seed),
            )
        self._set_task_attributes(task)
        # predict reads a frame's rows as given only where fit did.
        self._frame_input = is_frame(X)
        self.preprocessor_ = preprocessor
        self.teacher_ = taught.teacher
        self.input_shape_ = tuple(X.shape[1:])
        self.student_ = student
        if fitter.keras:
            self.student_model_ = student
            self.history_ = history
            self.n_iter_ = len(history["loss"])
            self._forward = KerasStudentFitter.forward_pass()
        return self

    def _validated_X(self, X):
        """``X`` checked against what ``fit`` saw, as the student reads it.

        Returns
        -------
        X : ndarray, sparse matrix or DataFrame
            The rows after the fitted ``preprocessor_``: float32 for a Keras
            student, 2-D for a scikit-learn one.
        source : numpy.memmap or None
            The map a Keras student reads a block at a time.
        """
        check_is_fitted(self)
        keras_student = hasattr(self, "student_model_")
        if getattr(self, "_frame_input", False):
            # Fitted on a frame: the rows go to the preprocessor or the
            # student as given, once scikit-learn's checks of the columns pass.
            if not is_frame(X):
                X = check_array(X, dtype=None, ensure_all_finite=False)
            validate_data(self, X, reset=False, skip_check_array=True)
            return student_inputs(self.preprocessor_, X, keras=keras_student), None
        source, streamed = X, is_memmap(X) and keras_student
        X = validate_data(
            self,
            X,
            reset=False,
            allow_nd=True,
            dtype="numeric" if streamed else np.float32,
            ensure_all_finite=not streamed,
        )
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{self.input_shape_}."
            )
        if streamed:
            return X, source
        return student_inputs(self.preprocessor_, X, keras=keras_student), None

    def _keras_outputs(self, X, source):
        """The Keras student's raw outputs (logits or scaled predictions)."""
        return KerasStudentFitter.outputs(
            self.student_model_,
            X,
            source=source,
            forward=getattr(self, "_forward", None),
            batch_size=self.inference_batch_size,
        )

    def export_student(self):
        """The fitted student on its own, without the teacher.

        A new fitted model that makes this estimator's predictions and loads
        where skdistill is not installed; the estimator is left unchanged.
        Pickle it, save it with skops, or (a Keras export) with
        ``model.save("student.keras")``. See the user guide's page "Shipping
        the student".

        Returns
        -------
        model : estimator, Pipeline or keras.Model
            For a scikit-learn student, a copy of the fitted student, or a
            ``Pipeline`` of the steps the estimator applies before it: a
            ``"float32"`` cast of the rows (where the student does not cast
            them itself) and the fitted ``"preprocessor"``, then
            ``"student"``. A classifier's ``classes_`` are the estimator's,
            and a linear regressor that learned a classifier's logits comes
            back as the ``LogisticRegression`` it amounts to. For a Keras
            student, a ``keras.Model`` of standard layers that outputs
            probabilities (a classifier) or predictions in the target's units
            (a regressor).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            Where no plain model makes the estimator's predictions: a Keras
            student behind a scikit-learn ``preprocessor``, a regressor other
            than a linear one as a classifier's student, or a classifier
            student that never saw some of the classes. The message names
            :func:`skdistill.to_onnx`, whose graph covers those.

        See Also
        --------
        skdistill.to_onnx : The student as an ONNX graph.
        """
        return export_student(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
