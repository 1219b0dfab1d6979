"""The fitted student as one ONNX graph, checked against the estimator.

:func:`to_onnx` follows skl2onnx's ``to_onnx(model, X)``: sample rows fix the
graph's inputs, and the graph is run on them in ONNX Runtime before it is
returned. It is built in three parts:

* inputs: one tensor ``X`` for an array, one tensor per column for a data
  frame, cast to float32 where the estimator casts its rows;
* the student: the ``preprocessor_`` and a scikit-learn student converted by
  skl2onnx, a Keras student by :mod:`skdistill.export._keras_onnx`;
* outputs, named as skl2onnx names them: ``label`` and ``probabilities`` (an
  array, never a map) for a classifier, ``variable`` for a regressor, with
  what the estimator adds to the student's own outputs (the softmax over
  logits, the columns of classes the student never saw, the target scaling).
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..utils._frames import is_frame
from ._keras_onnx import GraphBuilder, add_keras_model

#: What a user without the extra is told to install.
ONNX_MISSING = (
    "skdistill.to_onnx needs skl2onnx, onnx and onnxruntime, which skdistill's "
    "core install leaves out. Install them with pip install 'skdistill[onnx]'. "
    "export_student() needs none of them."
)
#: The largest difference the check on ``X`` accepts: probabilities, or
#: predictions relative to the targets' scale.
TOLERANCE = 1e-5
_DEFAULT_OPSET = 17
#: The graph's outputs, named as skl2onnx names them.
_OUTPUT_NAMES = ("label", "probabilities", "variable")


def _import_onnx():
    try:
        import onnx
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{ONNX_MISSING} ({error})") from error
    return onnx


def to_onnx(estimator, X, *, target_opset=None):
    """The fitted student of ``estimator`` as an ONNX graph, without the teacher.

    The graph takes the rows the estimator takes and returns its predictions:
    ``label`` and ``probabilities`` for a :class:`DistilledClassifier`,
    ``variable`` for a :class:`DistilledRegressor`. It holds the fitted
    ``preprocessor_`` and the student, of any kind: a scikit-learn estimator
    or ``Pipeline`` (converted by skl2onnx), or a Keras network (its layers
    read one by one), with the softmax or the target scaling that the
    estimator applies. Before returning, the graph is run in ONNX Runtime on
    ``X`` and compared with the estimator.

    Parameters
    ----------
    estimator : DistilledClassifier or DistilledRegressor
        A fitted estimator.
    X : ndarray or DataFrame
        Sample rows, as ``predict`` takes them. An array gives one graph
        input ``"X"`` of its dtype (float64 rows are cast to float32 in the
        graph, as the estimator casts them; float32 rows go in as they are).
        A data frame gives one input per column, named after it, of shape
        ``(n, 1)``: numeric columns (float, integer, boolean) as float32, and
        category, string or object columns as strings (without missing
        values).
    target_opset : int, default=None
        The ONNX opset of the graph; None lets skl2onnx choose one that
        ONNX Runtime runs.

    Returns
    -------
    model : onnx.ModelProto
        Save it with ``onnx.save(model, path)`` and run it with
        ``onnxruntime.InferenceSession(path)``.

    Raises
    ------
    ImportError
        Without skl2onnx, onnx and onnxruntime (``skdistill[onnx]``).
    TypeError
        A student or step that cannot be converted faithfully:
        ``HistGradientBoosting`` with native categorical features (one-hot
        encode them in a ``Pipeline`` instead), a step skl2onnx does not
        know, or a Keras layer this converter does not read; the message
        names the alternative, such as :meth:`export_student`.
    ValueError
        The graph's predictions on ``X`` differ from the estimator's by more
        than 1e-5 (probabilities, or predictions relative to the targets'
        spread) or in any label.

    See Also
    --------
    DistilledClassifier.export_student : The student as a plain fitted model.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier, to_onnx
    >>> X, y = load_digits(return_X_y=True)
    >>> teacher = RandomForestClassifier(random_state=0).fit(X, y)
    >>> clf = DistilledClassifier(
    ...     teacher=teacher, student=DecisionTreeClassifier(max_depth=8),
    ...     temperature=1.0, random_state=0,
    ... ).fit(X, y)
    >>> model = to_onnx(clf, X[:100])
    >>> [output.name for output in model.graph.output]
    ['label', 'probabilities']
    """
    onnx = _import_onnx()
    check_is_fitted(estimator)
    if not hasattr(estimator, "student_model_"):
        _check_convertible(estimator.student_)
        if estimator.preprocessor_ is not None:
            _check_convertible(estimator.preprocessor_)
    graph = _StudentGraph(estimator, X, target_opset)
    model = graph.build()
    onnx.checker.check_model(model)
    check_graph(estimator, model, X)
    return model


def _steps(estimator):
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            yield from _steps(step)
    else:
        yield estimator
        for _, step, _ in getattr(estimator, "transformers_", []):
            if hasattr(step, "get_params"):
                yield from _steps(step)


def _check_convertible(model):
    """Raise a TypeError for what skl2onnx would convert wrongly or not at all."""
    for step in _steps(model):
        categorical = getattr(step, "is_categorical_", None)
        if categorical is not None and np.any(categorical):
            raise TypeError(
                f"{type(step).__name__} treats some features as categorical "
                "(categorical_features), which skl2onnx cannot convert "
                "faithfully. One-hot encode those columns in a Pipeline "
                "(OneHotEncoder(handle_unknown='ignore') in a "
                "ColumnTransformer) before the student, or ship the student "
                "with export_student()."
            )


class _StudentGraph:
    """The parts of the graph for one estimator and its sample rows."""

    def __init__(self, estimator, X, target_opset):
        self.estimator = estimator
        self.X = X
        self.frame = is_frame(X)
        self.classifier = estimator._task == "classification"
        self.keras = hasattr(estimator, "student_model_")
        self.opset = target_opset
        self.builder = GraphBuilder()

    def input_types(self, float_only=False):
        """skl2onnx's initial types for the rows: ``[(name, type), ...]``."""
        from skl2onnx.common.data_types import (
            DoubleTensorType,
            FloatTensorType,
            StringTensorType,
        )

        if not self.frame:
            shape = [None, *self.estimator.input_shape_]
            if float_only:
                # What a scikit-learn step reads: float32 rows, flattened.
                shape = [None, int(np.prod(self.estimator.input_shape_))]
            as_double = np.asarray(self.X).dtype != np.float32 and not float_only
            return [("X", (DoubleTensorType if as_double else FloatTensorType)(shape))]
        types = []
        for name, dtype in self.X.dtypes.items():
            if dtype.kind in "fiub":
                # Numbers as float32, whatever their dtype: scikit-learn's
                # imputers and scalers turn them into floats, and skl2onnx
                # joins their outputs only when the types agree.
                kind = FloatTensorType
            else:
                kind = StringTensorType
            types.append((str(name), kind([None, 1])))
        return types

    def build(self):
        if self.keras and self.estimator.preprocessor_ is None:
            model, features = self._empty_model(), self._float_features()
        elif self.keras:
            model = self._convert(self.estimator.preprocessor_)
            features = self.builder.op(
                "Cast", [model.graph.output[0].name], to=_float_type()
            )
        else:
            student = self.estimator.student_
            if self.estimator.preprocessor_ is not None:
                student = Pipeline(
                    [("preprocessor", self.estimator.preprocessor_), ("s", student)]
                )
            model = self._convert(student)
            features = None
        self._add_outputs(model, features)
        return model

    def _convert(self, model):
        """``model`` converted by skl2onnx, its inputs as the estimator reads them."""
        from skl2onnx import convert_sklearn

        options = {"zipmap": False} if is_classifier(model) else None
        types = self.input_types(float_only=True)
        try:
            onnx_model = convert_sklearn(
                model,
                initial_types=types,
                options=None if options is None else {id(model): options},
                target_opset=self.opset,
            )
        except Exception as error:
            raise TypeError(
                f"skl2onnx cannot convert {type(model).__name__} ({error}). "
                "Ship the student with export_student() (pickle or skops), or "
                "use steps skl2onnx converts."
            ) from error
        if not self.frame:
            self._adapt_input(onnx_model)
        # The graph's final outputs take these names: skl2onnx's own tensors
        # of those names become the student's.
        for name in _OUTPUT_NAMES:
            _rename(onnx_model, name)
        return onnx_model

    def _adapt_input(self, model):
        """Take the rows as ``X`` holds them: float64 rows are cast to float32
        and images flattened for a scikit-learn student, as the estimator does."""
        from onnx import TensorProto, helper

        double = np.asarray(self.X).dtype != np.float32
        images = len(self.estimator.input_shape_) > 1
        if not (double or images):
            return
        graph = model.graph
        inner = graph.input[0].name
        renamed = "skdistill_X_student"
        for node in graph.node:
            node.input[:] = [renamed if i == inner else i for i in node.input]
        nodes, x = [], "X"
        if double:
            nodes.append(
                helper.make_node("Cast", [x], ["skdistill_X_float32"], to=_float_type())
            )
            x = "skdistill_X_float32"
        if images:
            nodes.append(helper.make_node("Flatten", [x], ["skdistill_X_flat"], axis=1))
            x = "skdistill_X_flat"
        nodes.append(helper.make_node("Identity", [x], [renamed]))
        elem = TensorProto.DOUBLE if double else TensorProto.FLOAT
        shape = [None, *self.estimator.input_shape_]
        del graph.input[0]
        graph.input.insert(0, helper.make_tensor_value_info("X", elem, shape))
        for index, node in enumerate(nodes):
            graph.node.insert(index, node)

    def _empty_model(self):
        from onnx import helper

        opset = self.opset or _DEFAULT_OPSET
        graph = helper.make_graph([], "skdistill_student", [], [])
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", opset)],
            producer_name="skdistill",
        )
        for name, kind in self.input_types():
            model.graph.input.append(_value_info(name, kind))
        return model

    def _float_features(self):
        """The rows as one float32 tensor, as a Keras student reads them."""
        names = [name for name, _ in self.input_types()]
        casts = [self.builder.op("Cast", [name], to=_float_type()) for name in names]
        if len(casts) == 1:
            return casts[0]
        return self.builder.op("Concat", casts, axis=1)

    def _add_outputs(self, model, features):
        """Append the nodes that make the estimator's outputs from the student's."""
        if self.keras:
            produced = add_keras_model(
                self.builder, features, self.estimator.student_model_
            )
            final = self._keras_tail(produced)
        elif not self.classifier:
            final = {"variable": _student_tensor("variable")}
        elif not is_classifier(self.estimator.student_):
            final = self._logits_tail(_student_tensor("variable"))
        else:
            # Labels from the probabilities, first maximum first, as
            # scikit-learn's predict: ONNX's tree classifiers break ties
            # between equal leaf probabilities otherwise.
            probabilities = _student_tensor("probabilities")
            if len(_seen(self.estimator)) < len(self.estimator.classes_):
                probabilities = self._placed(probabilities)
            final = self._labels_from(probabilities)
            final["probabilities"] = probabilities
        self._finish(model, final)

    def _keras_tail(self, produced):
        if self.classifier:
            return self._logits_tail(produced)
        scaled = self.builder.op(
            "Mul",
            [
                produced,
                self.builder.constant(self.estimator.target_scale_.astype(np.float32)),
            ],
        )
        return {
            "variable": self.builder.op(
                "Add",
                [
                    scaled,
                    self.builder.constant(
                        self.estimator.target_mean_.astype(np.float32)
                    ),
                ],
            )
        }

    def _labels_from(self, scores):
        """``{"label": ...}``: the class of each row's first largest score."""
        builder = self.builder
        index = builder.op("ArgMax", [scores], axis=1, keepdims=0)
        classes = builder.constant(_class_tensor(self.estimator.classes_), "classes")
        return {"label": builder.op("Gather", [classes, index], axis=0)}

    def _logits_tail(self, logits):
        return {
            **self._labels_from(logits),
            "probabilities": self.builder.op("Softmax", [logits], axis=1),
        }

    def _placed(self, probabilities):
        """The student's probability columns placed among the estimator's classes."""
        seen = _seen(self.estimator)
        placement = np.zeros((len(seen), len(self.estimator.classes_)), np.float32)
        placement[
            np.arange(len(seen)), np.searchsorted(self.estimator.classes_, seen)
        ] = 1
        return self.builder.op(
            "MatMul", [probabilities, self.builder.constant(placement, "placement")]
        )

    def _finish(self, model, final):
        """Name the final tensors as skl2onnx would and make them the outputs."""
        from onnx import TensorProto, helper

        builder = self.builder
        del model.graph.output[:]
        for name, tensor in final.items():
            builder.op("Identity", [tensor], output=name)
            if name == "label":
                elem = _label_type(self.estimator.classes_)
                shape = [None]
            else:
                elem, shape = TensorProto.FLOAT, [None, None]
            model.graph.output.append(helper.make_tensor_value_info(name, elem, shape))
        model.graph.node.extend(builder.nodes)
        model.graph.initializer.extend(builder.initializers)


def _seen(estimator):
    return np.asarray(estimator.student_.classes_)


def _student_tensor(name):
    """What :func:`_rename` calls skl2onnx's tensor ``name``."""
    return f"skdistill_student_{name}"


def _rename(model, output):
    """Rename the graph's tensor ``output`` (in its nodes and outputs) so that
    a final output can take its name."""
    new = _student_tensor(output)
    for node in model.graph.node:
        node.output[:] = [new if o == output else o for o in node.output]
        node.input[:] = [new if i == output else i for i in node.input]
    for graph_output in model.graph.output:
        if graph_output.name == output:
            graph_output.name = new


def _float_type():
    from onnx import TensorProto

    return TensorProto.FLOAT


def _value_info(name, kind):
    from onnx import helper

    return helper.make_tensor_value_info(
        name, kind.to_onnx_type().tensor_type.elem_type, kind.shape
    )


def _class_tensor(classes):
    classes = np.asarray(classes)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes.astype(np.float32)
    return np.array([str(c) for c in classes], dtype=object)


def _label_type(classes):
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.asarray(_class_tensor(classes)).dtype)


def onnx_feed(model, X):
    """ONNX Runtime's feed for ``X``: ``{input name: array}``, as the graph types it.

    An array goes whole to the one input; a data frame one column at a time,
    each of shape ``(n, 1)`` and of its input's type (float32 or str).
    """
    from onnx import TensorProto

    inputs = list(model.graph.input)
    if not is_frame(X):
        elem = inputs[0].type.tensor_type.elem_type
        dtype = np.float64 if elem == TensorProto.DOUBLE else np.float32
        return {inputs[0].name: np.asarray(X, dtype=dtype)}
    kinds = {
        TensorProto.FLOAT: np.float32,
        TensorProto.DOUBLE: np.float64,
        TensorProto.INT64: np.int64,
    }
    feed = {}
    for graph_input in inputs:
        column = X[graph_input.name]
        dtype = kinds.get(graph_input.type.tensor_type.elem_type)
        if dtype is None:
            feed[graph_input.name] = column.astype(str).to_numpy(object).reshape(-1, 1)
        else:
            feed[graph_input.name] = column.to_numpy(dtype).reshape(-1, 1)
    return feed


def check_graph(estimator, model, X):
    """Raise a ValueError unless ``model`` predicts as ``estimator`` on ``X``."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    feed = onnx_feed(model, X)
    if estimator._task == "classification":
        label, proba = session.run(["label", "probabilities"], feed)
        expected = estimator.predict_proba(X)
        difference = np.abs(proba - expected).max(axis=1)
        labels = np.asarray(estimator.predict(X))
        wrong = np.asarray(label).ravel().astype(labels.dtype) != labels
        what = "probabilities"
    else:
        (variable,) = session.run(["variable"], feed)
        expected = np.asarray(estimator.predict(X), np.float64).reshape(
            len(variable), -1
        )
        scale = np.maximum(np.abs(expected).max(axis=0), 1e-12)
        difference = (np.abs(variable - expected) / scale).max(axis=1)
        wrong = np.zeros(len(expected), bool)
        what = "predictions, relative to the largest |prediction| per target,"
    bad = (difference > TOLERANCE) | wrong
    if bad.any():
        raise ValueError(
            f"The ONNX graph disagrees with {type(estimator).__name__} on "
            f"{int(bad.sum())} of {len(bad)} rows of X: {what} differ by up to "
            f"{difference.max():.3g} (tolerance {TOLERANCE:g}) and "
            f"{int(wrong.sum())} labels differ. The graph is not returned; ship "
            "the student with export_student() instead."
        )
