"""The fitted student on its own: a plain model without the teacher.

:func:`export_student` returns, for a fitted estimator, a new model that
makes the estimator's predictions and needs neither the teacher nor
skdistill to load: a scikit-learn estimator or ``Pipeline`` for a
scikit-learn student, a ``keras.Model`` of standard layers for a Keras one.
Where no such model makes the same predictions, a ``ValueError`` names
:func:`skdistill.to_onnx`, whose graph covers every kind of student.
"""

import copy

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from ..utils._keras import import_keras
from ._keras_onnx import chain_layers


def _casts_to_float32(student):
    """Whether ``student`` casts its rows to float32 itself, as the estimator does."""
    # Imported here: sklearn.ensemble is slow to import, and import skdistill
    # stays fast.
    from sklearn.ensemble import BaseEnsemble
    from sklearn.tree import BaseDecisionTree

    if isinstance(student, BaseDecisionTree):
        return True
    base = getattr(student, "estimator", None)
    return isinstance(student, BaseEnsemble) and (
        base is None or isinstance(base, BaseDecisionTree)
    )


def float32_rows():
    """A stateless step that casts rows to float32, as the estimator does."""
    return FunctionTransformer(
        np.asarray, kw_args={"dtype": np.float32}, feature_names_out="one-to-one"
    ).fit(np.zeros((1, 1), np.float32))


def unseen_classes(estimator):
    """The estimator's classes that its scikit-learn classifier student lacks."""
    student = estimator.student_
    if not is_classifier(student):
        return []
    seen = set(np.asarray(student.classes_).tolist())
    return [c for c in estimator.classes_.tolist() if c not in seen]


def export_student(estimator):
    """The fitted student without the teacher; see ``BaseDistiller.export_student``."""
    check_is_fitted(estimator)
    if hasattr(estimator, "student_model_"):
        return _keras_export(estimator)
    if len(estimator.input_shape_) > 1:
        raise ValueError(
            f"{type(estimator).__name__} was fitted on samples of shape "
            f"{estimator.input_shape_}, which its scikit-learn student reads "
            "flattened; export_student() exports students of 2-D rows. "
            "Flatten X before fit, or use skdistill.to_onnx(estimator, X)."
        )
    return _sklearn_export(estimator)


def _sklearn_export(estimator):
    student = copy.deepcopy(estimator.student_)
    if estimator._task == "classification":
        student = _as_classifier(estimator, student)
    steps = []
    frame_input = getattr(estimator, "_frame_input", False)
    if not frame_input and not _casts_to_float32(student):
        steps.append(("float32", float32_rows()))
    if estimator.preprocessor_ is not None:
        steps.append(("preprocessor", copy.deepcopy(estimator.preprocessor_)))
    if not steps:
        return student
    return Pipeline([*steps, ("student", student)])


def _as_classifier(estimator, student):
    """A classifier with the estimator's ``classes_``, or a ValueError."""
    if not is_classifier(student):
        return _fold_logit_regressor(estimator, student)
    missing = unseen_classes(estimator)
    if missing:
        raise ValueError(
            f"The student {type(student).__name__} never saw the classes "
            f"{missing} (no training row carried them), so its predict_proba "
            f"has {len(student.classes_)} columns where the estimator's has "
            f"{len(estimator.classes_)}; a plain export would give other "
            "columns. skdistill.to_onnx(estimator, X) gives a graph with the "
            "estimator's columns (zero for those classes); or fit with rows "
            "(labeled or X_unlabeled) that the teacher gives every class."
        )
    return student


def _fold_logit_regressor(estimator, student):
    """A linear logit student as the ``LogisticRegression`` it amounts to.

    ``predict_proba`` of a multinomial logistic regression is the softmax of
    ``X @ coef_.T + intercept_``, which is what the estimator applies to a
    linear regressor's predicted logits; with two classes scikit-learn keeps
    one row of coefficients, the difference of the two.
    """
    coef = getattr(student, "coef_", None)
    intercept = getattr(student, "intercept_", None)
    if coef is None or intercept is None or isinstance(student, Pipeline):
        raise ValueError(
            f"The student {type(student).__name__} is a regressor that learned "
            "the teacher's logits, and the estimator applies a softmax to its "
            "predictions; no plain scikit-learn model does that. Use "
            "skdistill.to_onnx(estimator, X), whose graph includes the softmax, "
            "or a classifier student (e.g. DecisionTreeClassifier)."
        )
    coef = np.atleast_2d(np.asarray(coef, np.float64))
    intercept = np.broadcast_to(np.asarray(intercept, np.float64), coef.shape[:1])
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression()
    classifier.classes_ = np.asarray(estimator.classes_).copy()
    if len(classifier.classes_) == 2:
        coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    classifier.coef_ = np.array(coef)
    classifier.intercept_ = np.array(intercept)
    classifier.n_iter_ = np.zeros(1, dtype=np.int32)
    classifier.n_features_in_ = student.n_features_in_
    if hasattr(student, "feature_names_in_"):
        classifier.feature_names_in_ = student.feature_names_in_.copy()
    return classifier


def _keras_export(estimator):
    if estimator.preprocessor_ is not None:
        raise ValueError(
            f"The Keras student reads the rows after the scikit-learn "
            f"preprocessor {type(estimator.preprocessor_).__name__}, and no "
            "Keras model holds that transformer. skdistill.to_onnx(estimator, X) "
            "gives one ONNX graph with both (rows in, predictions out)."
        )
    keras = import_keras()
    source = estimator.student_model_
    student = keras.models.clone_model(source)
    student.set_weights(source.get_weights())
    inputs = keras.Input(shape=source.input_shape[1:], name="X")
    outputs = _apply_flat(keras, student, inputs)
    if estimator._task == "classification":
        outputs = keras.layers.Softmax(name="probabilities")(outputs)
    else:
        outputs = keras.layers.Rescaling(
            scale=np.asarray(estimator.target_scale_, np.float32).tolist(),
            offset=np.asarray(estimator.target_mean_, np.float32).tolist(),
            name="variable",
        )(outputs)
    return keras.Model(inputs, outputs, name=f"{source.name}_export")


def _apply_flat(keras, model, inputs):
    """``model`` applied to ``inputs``, its layers in line where it is a chain.

    A chain's layers join the new model directly rather than as one nested
    model, which would add a level to the saved file and its size.
    """
    try:
        layers = chain_layers(model)
    except TypeError:
        return model(inputs)
    outputs = inputs
    for layer in layers:
        if not isinstance(layer, keras.layers.InputLayer):
            outputs = layer(outputs)
    return outputs
