"""DistilledRegressor: a scikit-learn regressor trained by knowledge distillation.

The shared contract and ``fit`` live in :mod:`skdistill._base`; this module
holds the regressor's contract, its choice of task
(:class:`~skdistill.distill._targets.RegressionTask`: the checks of ``y``, the
teacher's predictions read, the blended targets and loss) and ``predict``.
"""

import numpy as np
from sklearn.base import RegressorMixin

from ._base import BaseDistiller
from .distill._targets import RegressionTask


class DistilledRegressor(RegressorMixin, BaseDistiller):
    r"""A small regressor trained to imitate a teacher (knowledge distillation).

    On labeled rows the student is trained on

    .. math::

        L = \alpha \, \mathrm{MSE}(y, \hat y_s)
            + (1 - \alpha) \, \mathrm{MSE}(\hat y_t, \hat y_s)

    with :math:`\hat y_s` and :math:`\hat y_t` the student's and the teacher's
    predictions; transfer rows (``X_unlabeled``, in memory or a Dask
    collection labelled where it lives) and synthetic rows
    (``augment``) have no label and carry the teacher's term alone.
    ``alpha=1`` is the student trained from scratch on the labels; ``alpha=0``
    learns the teacher's predictions only. The teacher's outputs are computed
    once per ``fit``.

    A Keras student is trained on this loss with its targets standardised
    (each target column centred on the labels' mean and divided by their
    standard deviation), and ``predict`` undoes the scaling, so targets on
    any scale (prices in dollars, say) train as well as scaled ones. A
    scikit-learn regressor student fits the blended target that squared error
    calls for: ``alpha * y + (1 - alpha) * teacher`` on labeled rows, the
    teacher's prediction with weight ``1 - alpha`` on transfer rows.

    Parameters
    ----------
    teacher : object, default=None
        Required unless ``alpha=1``. One of: a scikit-learn regressor, fitted
        or not (a Pipeline or a ``FrozenEstimator`` included; an unfitted one
        is cloned and fitted in ``fit``); a trained ``keras.Model`` whose
        outputs are predictions (one per target), plain or in a
        :class:`KerasTeacher`; a list of these or an :class:`EnsembleTeacher`,
        whose predictions are averaged (with ``weights``); a
        :class:`PrecomputedTeacher` holding predictions made elsewhere; or a
        :class:`ScatteredTeacher`. Fitted teachers are shared, not copied,
        by ``clone``. A classifier is refused with a ``TypeError``.
    student : estimator, callable, keras.Model or None, default=None
        The student, fresh at each ``fit``: an unfitted scikit-learn regressor
        (cloned, fitted on the blended targets, searchable as
        ``student__max_depth`` and so on; one whose ``fit`` takes no
        ``sample_weight`` is refused when the rows' weights differ), a Keras
        builder that returns a model with ``meta["n_outputs"]`` linear
        outputs (see :class:`StudentBuilder`), a ``keras.Model`` template, or
        ``None`` for ``MLPStudent()``. The training settings below
        (``epochs`` to ``inference_batch_size``) apply to Keras students only.
    preprocessor : transformer or None, default=None
        A scikit-learn transformer between the rows and the student only,
        such as a ``ColumnTransformer`` that one-hot encodes a data frame's
        categorical columns for a Keras student. It is cloned and fitted on
        the student's training rows (labeled, transfer and synthetic) and
        applied in ``predict``; the teacher never sees it and reads the rows
        as given. The Keras student's input width is the transformer's output
        width. Searchable as ``preprocessor__<param>``; it serves
        scikit-learn students too. See the user guide on tables.
    alpha : float, default=0.1
        Weight of the term against the labels, in [0, 1]; ``1 - alpha``
        weighs the term against the teacher. With ``alpha=1`` the teacher is
        never run (nor fitted).
    augment : {None, "munge"} or TransferAugmenter, default=None
        Synthetic transfer rows made from the training rows at each ``fit``
        and labelled by the teacher: ``"munge"`` is ``Munge()`` (Bucilă et
        al. 2006), made for tables. Ignored when ``alpha=1``.
    teacher_cv : int, cross-validation generator, iterable or None, default=None
        For an unfitted teacher only: the labeled rows' teacher predictions
        come from teachers fitted on the other folds, as in
        ``cross_val_predict``. An int is the number of ``KFold`` folds. The
        teacher fitted on all rows becomes ``teacher_`` and labels the other
        rows. Ignored when ``alpha=1``.
    epochs : int, default=200
        The most passes over the training rows; training stops earlier once
        the loss stops improving (see ``n_iter_no_change``).
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_rows)``.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        The optimizer, by name or as an instance (copied from its config).
    learning_rate : float or None, default=0.001
        Learning rate; ``None`` keeps the optimizer's own.
    validation_fraction : float, default=0.0
        Fraction of the labeled rows held out to report ``val_*`` figures in
        ``history_``, in [0, 1). Above 0, early stopping watches the held-out
        loss and the best epoch's weights are kept.
    n_iter_no_change : int or None, default=10
        Stop once the loss has not improved by at least ``tol`` for this many
        epochs in a row, as ``MLPRegressor`` does; ``None`` trains all
        ``epochs``. An ``EarlyStopping`` in ``callbacks`` replaces this rule.
    tol : float, default=1e-4
        The least decrease of the loss that counts as an improvement.
    callbacks : list of keras.callbacks.Callback, default=None
        Keras callbacks for the student's training; each ``fit`` uses deep
        copies.
    inference_batch_size : int, default=4096
        Rows per forward pass of a Keras student in ``predict``.
    teacher_cache : bool, default=True
        Reuse the teacher's predictions (and an unfitted teacher's fit)
        across fits on the same rows, through the process-wide cache (see
        :func:`skdistill.get_teacher_cache`). The predictions on a Dask
        ``X_unlabeled`` are not cached: they stay beside their rows on the
        cluster for one fit.
    memory : str, path, joblib.Memory or None, default=None
        Also store them on disk through ``joblib.Memory`` (those on a Dask
        ``X_unlabeled`` excepted).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and
        synthetic rows.
    verbose : int, default=0
        0 is silent, 1 shows Keras's progress bar, 2 one line per epoch.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` had string column names.
    input_shape_ : tuple
        Shape of one sample, ``X.shape[1:]``.
    preprocessor_ : transformer or None
        The fitted clone of ``preprocessor``; None without one.
    n_outputs_ : int
        Number of targets.
    target_mean_ : ndarray of shape (`n_outputs_`,)
        Mean of each target column over the labeled rows.
    target_scale_ : ndarray of shape (`n_outputs_`,)
        Standard deviation of each target column over the labeled rows (1
        for a constant column). A Keras student learns
        ``(y - target_mean_) / target_scale_``; ``predict`` scales its
        outputs back.
    teacher_ : object or None
        The fitted teacher; ``None`` when trained from scratch without one,
        and with ``alpha=1``, which neither fits nor runs an unfitted teacher.
    student_ : estimator or keras.Model
        The fitted student, of either kind.
    student_model_ : keras.Model
        The trained Keras student (the same object as ``student_``); it
        predicts standardised targets, which ``predict`` scales back with
        ``target_mean_`` and ``target_scale_``. Absent for a scikit-learn
        student.
    n_iter_ : int
        Epochs the Keras student was trained for. Keras students only.
    history_ : dict of str to list of float
        Per-epoch ``loss``, ``hard_loss`` (squared error against the labels)
        and ``soft_loss`` (against the teacher), in standardised units, and
        ``val_``-prefixed versions with ``validation_fraction > 0``. Keras
        students only.

    See Also
    --------
    DistilledClassifier : The same for classification.
    MLPStudent : The default student.
    sklearn.neural_network.MLPRegressor : A network trained on the labels alone.

    Notes
    -----
    ``score`` is the
    coefficient of determination R², as for every scikit-learn regressor.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill import DistilledRegressor
    >>> X, y = make_friedman1(n_samples=600, random_state=0)
    >>> teacher = HistGradientBoostingRegressor(random_state=0).fit(X, y)
    >>> reg = DistilledRegressor(
    ...     teacher=teacher,
    ...     student=DecisionTreeRegressor(max_depth=6),
    ...     alpha=0.0,
    ... )
    >>> reg.fit(X[:100], y[:100], X_unlabeled=X[100:]).score(X, y) > 0.7
    True
    """

    _task = "regression"
    _y_validation = {"multi_output": True, "y_numeric": True}

    def __init__(
        self,
        *,
        teacher=None,
        student=None,
        preprocessor=None,
        alpha=0.1,
        augment=None,
        teacher_cv=None,
        epochs=200,
        batch_size="auto",
        optimizer="adam",
        learning_rate=0.001,
        validation_fraction=0.0,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        inference_batch_size=4096,
        teacher_cache=True,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            teacher=teacher,
            student=student,
            preprocessor=preprocessor,
            alpha=alpha,
            augment=augment,
            teacher_cv=teacher_cv,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            callbacks=callbacks,
            inference_batch_size=inference_batch_size,
            teacher_cache=teacher_cache,
            memory=memory,
            random_state=random_state,
            verbose=verbose,
        )

    def _make_task(self):
        return RegressionTask(alpha=self.alpha)

    def _set_task_attributes(self, task):
        self.n_outputs_ = task.n_outputs
        self._y_ndim = task.ndim
        self.target_mean_, self.target_scale_ = task.mean, task.scale

    def predict(self, X):
        """Predict the targets of each sample with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples of the shape seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, of the shape ``y`` had in ``fit``.
        """
        X, source = self._validated_X(X)
        if hasattr(self, "student_model_"):
            scaled = self._keras_outputs(X, source).astype(np.float64)
            predictions = scaled * self.target_scale_ + self.target_mean_
        else:
            predictions = np.asarray(self.student_.predict(X), dtype=np.float64)
        n_samples = predictions.shape[0]
        if self._y_ndim == 1:
            return predictions.reshape(n_samples)
        return predictions.reshape(n_samples, -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
