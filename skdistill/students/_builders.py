"""Student builders: callables that return a fresh, uncompiled ``keras.Model``.

A builder receives ``meta``, a dict describing the training data, and returns a
model with ``meta["n_outputs"]`` outputs: one logit per class for
``DistilledClassifier``, one prediction per target for ``DistilledRegressor``.
Builders written as classes with their hyperparameters as ``__init__``
arguments, like the ones here, are scikit-learn parameter objects:
``DistilledClassifier(student=MLPStudent())`` exposes ``student__hidden_units``
to ``set_params`` and ``GridSearchCV``.
"""

import inspect

import numpy as np
from sklearn.base import BaseEstimator

from ..utils._keras import import_keras


def output_width(meta):
    """The width of a student's last layer: ``meta["n_outputs"]``.

    A ``meta`` written by hand with only ``n_classes_``, as builders received
    before regression students existed, gives that instead.
    """
    return meta["n_outputs"] if "n_outputs" in meta else meta["n_classes_"]


class StudentBuilder(BaseEstimator):
    """Base class for student builders whose hyperparameters can be searched.

    Subclasses store their hyperparameters in ``__init__`` (scikit-learn's
    rule: no logic there) and implement ``build(meta)``.

    ``meta`` holds:

    - ``input_shape``: tuple, the shape of one sample, e.g. ``(64,)`` or
      ``(28, 28, 1)``;
    - ``n_features_in_``: int, ``input_shape[0]``, as scikit-learn counts it;
    - ``n_outputs``: int, the width of the model's last layer: the number of
      classes for a classifier, of targets for a regressor;
    - ``task``: ``"classification"`` or ``"regression"``;
    - ``n_classes_``: int, and ``classes_``: the labels, in output order
      (classification only);
    - ``feature_mean`` and ``feature_std``: arrays of shape ``input_shape``
      over the training rows (labeled and transfer rows); a constant feature
      has ``feature_std`` 0;
    - ``n_samples``: int, the number of training rows.
    """

    def build(self, meta):
        """Return a new, uncompiled ``keras.Model`` for the data ``meta`` describes."""
        raise NotImplementedError

    def __call__(self, meta):
        return self.build(meta)


def _image_shape(input_shape):
    # Images may arrive as (h, w, c), (h, w) or flattened square (h * w,).
    if len(input_shape) == 3:
        return tuple(input_shape)
    if len(input_shape) == 2:
        return (*input_shape, 1)
    side = int(round(np.sqrt(input_shape[0])))
    if len(input_shape) == 1 and side * side == input_shape[0]:
        return (side, side, 1)
    raise ValueError(
        f"ConvNet needs images: samples of shape (h, w), (h, w, c) or a flattened "
        f"square (h * w,); got samples of shape {tuple(input_shape)}."
    )


def _standardization(keras, meta, per_feature):
    """A ``Normalization`` layer from the training rows' statistics in ``meta``."""
    if per_feature:
        mean, std = np.ravel(meta["feature_mean"]), np.ravel(meta["feature_std"])
        # A constant feature is only centred.
        std = np.where(std < 1e-8, 1.0, std)
        return keras.layers.Normalization(mean=mean, variance=std**2)
    mean = float(np.mean(meta["feature_mean"]))
    # The overall variance: within-feature variance plus the spread of means.
    variance = float(
        np.mean(np.square(meta["feature_std"]))
        + np.var(np.asarray(meta["feature_mean"], dtype=np.float64))
    )
    return keras.layers.Normalization(mean=mean, variance=variance, axis=None)


class MLPStudent(StudentBuilder):
    """A multilayer perceptron student for tabular data (and flattened images).

    Parameters
    ----------
    hidden_units : tuple of int, default=(100,)
        Width of each hidden layer. The default is ``MLPClassifier``'s.
    activation : str, default="relu"
        Activation of the hidden layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    standardize : bool, default=False
        Start with a ``Normalization`` layer fitted on the training rows, as
        a ``StandardScaler`` would be. Flat rows are centred and scaled
        feature by feature. Multi-dimensional samples (images) use one mean
        and one standard deviation over all values: pixels share a scale, and
        a pixel that is rarely lit would otherwise be scaled up by a tiny
        standard deviation into huge inputs. Off by default, like
        ``MLPClassifier``, which sees raw features; whether scaling helps
        depends on the data (the user guide on training shows both cases).
        Turn it on for features of very different scales
        (amounts, counts, years) or put a ``StandardScaler`` before the
        estimator in a ``Pipeline``.

    See Also
    --------
    ConvNet : A small convolutional student or teacher for images.

    Examples
    --------
    >>> from skdistill import MLPStudent
    >>> MLPStudent(hidden_units=(32, 32))
    MLPStudent(hidden_units=(32, 32))
    """

    def __init__(
        self, hidden_units=(100,), activation="relu", dropout=0.0, standardize=False
    ):
        self.hidden_units = hidden_units
        self.activation = activation
        self.dropout = dropout
        self.standardize = standardize

    def build(self, meta):
        keras = import_keras()
        inputs = keras.Input(shape=meta["input_shape"])
        x = keras.layers.Flatten()(inputs) if len(meta["input_shape"]) > 1 else inputs
        if self.standardize:
            x = _standardization(
                keras, meta, per_feature=len(meta["input_shape"]) == 1
            )(x)
        for units in self.hidden_units:
            x = keras.layers.Dense(units, activation=self.activation)(x)
            if self.dropout:
                x = keras.layers.Dropout(self.dropout)(x)
        outputs = keras.layers.Dense(output_width(meta))(x)
        return keras.Model(inputs, outputs, name="mlp_student")


class ConvNet(StudentBuilder):
    """A small convolutional network, the shape of the original MNIST notebook's.

    ``Conv2D(filters[0], stride 2) -> LeakyReLU -> MaxPool(2, stride 1) ->
    Conv2D(filters[1], stride 2) -> Flatten -> Dense(n_classes)``, with
    options to make it a stronger teacher. Flattened square inputs (such as
    scikit-learn's 8x8 digits, 64 features) are reshaped to images.

    Parameters
    ----------
    filters : tuple of int, default=(16, 32)
        Filters of each convolution; the notebook's teacher used (256, 512).
    kernel_size : int, default=3
        Size of the square kernels.
    negative_slope : float, default=0.2
        Slope of the LeakyReLU after convolutions.
    activate_last_conv : bool, default=False
        Apply the LeakyReLU after the last convolution too; the notebook did not.
    dropout : float, default=0.0
        Dropout rate before the output layer.
    standardize : bool, default=True
        Centre and scale inputs with the training rows' overall mean and
        standard deviation (one number each, as pixels share a scale).

    See Also
    --------
    MLPStudent : A student for tabular data.

    Examples
    --------
    >>> from skdistill import ConvNet
    >>> ConvNet(filters=(256, 512))
    ConvNet(filters=(256, 512))
    """

    def __init__(
        self,
        filters=(16, 32),
        kernel_size=3,
        negative_slope=0.2,
        activate_last_conv=False,
        dropout=0.0,
        standardize=True,
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.negative_slope = negative_slope
        self.activate_last_conv = activate_last_conv
        self.dropout = dropout
        self.standardize = standardize

    def build(self, meta):
        keras = import_keras()
        layers = keras.layers
        input_shape = tuple(meta["input_shape"])
        image_shape = _image_shape(input_shape)
        inputs = keras.Input(shape=input_shape)
        x = (
            layers.Reshape(image_shape)(inputs)
            if image_shape != input_shape
            else inputs
        )
        if self.standardize:
            x = _standardization(keras, meta, per_feature=False)(x)
        n_conv = len(self.filters)
        for i, n_filters in enumerate(self.filters):
            x = layers.Conv2D(n_filters, self.kernel_size, strides=2, padding="same")(x)
            last = i == n_conv - 1
            if not last or self.activate_last_conv:
                x = layers.LeakyReLU(negative_slope=self.negative_slope)(x)
            if i == 0:
                x = layers.MaxPooling2D(pool_size=2, strides=1, padding="same")(x)
        x = layers.Flatten()(x)
        if self.dropout:
            x = layers.Dropout(self.dropout)(x)
        outputs = layers.Dense(output_width(meta))(x)
        return keras.Model(inputs, outputs, name="convnet")


def student_meta(
    rows, *, task, n_outputs, classes, input_shape, n_features_in, feature_stats=None
):
    """The ``meta`` dict a builder receives (see :class:`StudentBuilder`).

    Parameters
    ----------
    rows : ndarray, BlockReader or ClusterRows
        Every training row (labeled, unlabeled and synthetic).
    task : {"classification", "regression"}
        What the student predicts.
    n_outputs : int
        The width of its last layer.
    classes : ndarray of shape (n_classes,) or None
        The labels, in output order; None for regression.
    input_shape : tuple
        The shape of one row.
    n_features_in : int
        ``X.shape[1]``, as scikit-learn counts features.
    feature_stats : tuple (mean, std) or None, default=None
        The rows' per-feature mean and standard deviation where a pass over
        them took them already (memory-mapped rows); else computed here.

    Returns
    -------
    meta : dict
    """
    if feature_stats is None:
        feature_stats = (
            np.mean(rows, axis=0, dtype=np.float64).astype(np.float32),
            np.std(rows, axis=0, dtype=np.float64).astype(np.float32),
        )
    feature_mean, feature_std = feature_stats
    meta = {
        "input_shape": tuple(input_shape),
        "n_features_in_": n_features_in,
        "n_outputs": int(n_outputs),
        "task": task,
        "feature_mean": feature_mean,
        "feature_std": feature_std,
        "n_samples": len(rows),
    }
    if classes is not None:
        meta.update(n_classes_=len(classes), classes_=classes)
    return meta


def build_student(student, meta):
    """Build a fresh student model from ``student`` and check its output width.

    Parameters
    ----------
    student : None, callable or keras.Model
        ``None`` builds an :class:`MLPStudent`; a callable is called with
        ``meta=meta`` when its signature has a ``meta`` parameter, else with no
        argument; a ``keras.Model`` is a template whose architecture is cloned
        with fresh weights.
    meta : dict
        See :class:`StudentBuilder`.

    Returns
    -------
    model : keras.Model
        The new model.
    """
    keras = import_keras()
    if student is None:
        student = MLPStudent()
    if isinstance(student, keras.Model):
        model = keras.models.clone_model(student)
    elif isinstance(student, StudentBuilder):
        model = student.build(meta)
    else:
        try:
            wants_meta = "meta" in inspect.signature(student).parameters
        except (TypeError, ValueError):
            wants_meta = False
        model = student(meta=meta) if wants_meta else student()
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"The student builder must return a keras.Model; it returned "
            f"{type(model).__name__}."
        )
    probe = np.zeros((1, *meta["input_shape"]), dtype=np.float32)
    width = model(probe, training=False).shape[-1]
    if width != meta["n_outputs"]:
        if "classes_" in meta:
            what = f"{meta['n_outputs']} classes ({list(meta['classes_'])})"
            unit = "class"
        else:
            what = f"{meta['n_outputs']} targets"
            unit = "target"
        raise ValueError(
            f"The student model has {width} outputs but there are {what}; its "
            f"last layer needs one unit per {unit}, e.g. Dense(meta['n_outputs'])."
        )
    return model
