"""A Keras student's forward pass as ONNX nodes, read from its layers.

Keras's own ``Model.export(format="onnx")`` goes through tf2onnx, which runs
on the TensorFlow backend only and turns the constants of a ``Normalization``
layer (``MLPStudent(standardize=True)``) into extra graph inputs. The students
this library builds are chains of a few standard layers, so each layer's
weights are read here (on any backend) and written as the ONNX operators that
compute the same thing; a layer not listed in :data:`_CONVERTERS` is refused
with a ``TypeError``, never approximated. Tensors stay channels-last, as in
Keras: convolutions and pools are wrapped in transposes.
"""

import numpy as np

from ..utils._keras import import_keras

#: Layers that are the identity at inference.
_IDENTITY_LAYERS = {
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
}
_TO_CHANNELS_FIRST = [0, 3, 1, 2]
_TO_CHANNELS_LAST = [0, 2, 3, 1]


class GraphBuilder:
    """Nodes and constants of an ONNX graph, named uniquely as they are added.

    Parameters
    ----------
    prefix : str
        Prefix of every name this builder makes, so that its nodes can join
        a graph made elsewhere (skl2onnx's) without clashes.
    """

    def __init__(self, prefix="skdistill"):
        from onnx import helper

        self._helper = helper
        self.prefix = prefix
        self.nodes = []
        self.initializers = []
        self._count = 0

    def name(self, hint):
        self._count += 1
        return f"{self.prefix}_{hint}_{self._count}"

    def constant(self, value, hint="const"):
        """A named initializer holding ``value``; returns its name."""
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type, inputs, output=None, **attributes):
        """Add one node; returns the name of its output."""
        output = output or self.name(op_type.lower())
        self.nodes.append(
            self._helper.make_node(
                op_type, list(inputs), [output], name=self.name(op_type), **attributes
            )
        )
        return output


def _activation_name(activation):
    keras = import_keras()
    name = keras.activations.serialize(activation)
    return name if isinstance(name, str) else getattr(activation, "__name__", name)


def _activation(builder, x, name, layer):
    """Apply the activation ``name``; a TypeError for one not listed here."""
    simple = {
        "relu": "Relu",
        "sigmoid": "Sigmoid",
        "tanh": "Tanh",
        "selu": "Selu",
        "softplus": "Softplus",
        "exponential": "Exp",
    }
    if name in ("linear", None):
        return x
    if name in simple:
        return builder.op(simple[name], [x])
    if name == "softmax":
        return builder.op("Softmax", [x], axis=-1)
    if name == "elu":
        return builder.op("Elu", [x], alpha=1.0)
    if name == "leaky_relu":
        return builder.op("LeakyRelu", [x], alpha=0.2)
    if name in ("silu", "swish"):
        return builder.op("Mul", [x, builder.op("Sigmoid", [x])])
    if name == "relu6":
        return builder.op(
            "Clip",
            [x, builder.constant(np.float32(0.0)), builder.constant(np.float32(6.0))],
        )
    raise TypeError(
        f"Layer {layer.name!r} uses the activation {name!r}, which to_onnx does "
        "not convert. Use export_student() to get the Keras model, or an "
        "activation among linear, relu, sigmoid, tanh, softmax, elu, selu, "
        "softplus, swish, relu6, leaky_relu."
    )


def _weights(layer):
    keras = import_keras()
    return [
        np.asarray(keras.ops.convert_to_numpy(w), np.float32) for w in layer.weights
    ]


def _dense(builder, x, layer):
    kernel, *bias = _weights(layer)
    x = builder.op("MatMul", [x, builder.constant(kernel, "kernel")])
    if layer.use_bias:
        x = builder.op("Add", [x, builder.constant(bias[0], "bias")])
    return _activation(builder, x, _activation_name(layer.activation), layer)


def _normalization(builder, x, layer):
    keras = import_keras()
    if layer.invert:
        raise TypeError(
            f"Layer {layer.name!r} is an inverting Normalization, which to_onnx "
            "does not convert; use export_student()."
        )
    mean = np.asarray(keras.ops.convert_to_numpy(layer.mean), np.float32)
    variance = np.asarray(keras.ops.convert_to_numpy(layer.variance), np.float32)
    # Keras divides by max(sqrt(variance), epsilon).
    scale = np.maximum(np.sqrt(variance), np.float32(keras.backend.epsilon()))
    x = builder.op("Sub", [x, builder.constant(mean, "mean")])
    return builder.op("Div", [x, builder.constant(scale.astype(np.float32), "std")])


def _rescaling(builder, x, layer):
    scale = np.asarray(layer.scale, np.float32)
    offset = np.asarray(layer.offset, np.float32)
    x = builder.op("Mul", [x, builder.constant(scale, "scale")])
    return builder.op("Add", [x, builder.constant(offset, "offset")])


def _batch_normalization(builder, x, layer):
    weights = {w.path.split("/")[-1]: w for w in layer.weights}
    keras = import_keras()

    def value(key, default):
        if key not in weights:
            return default
        return np.asarray(keras.ops.convert_to_numpy(weights[key]), np.float32)

    mean = value("moving_mean", None)
    variance = value("moving_variance", None)
    gamma = value("gamma", np.ones_like(mean))
    beta = value("beta", np.zeros_like(mean))
    if layer.axis not in (-1, len(layer.input.shape) - 1):
        raise TypeError(
            f"Layer {layer.name!r} normalizes axis {layer.axis}; to_onnx converts "
            "BatchNormalization over the last axis only. Use export_student()."
        )
    inverse = (gamma / np.sqrt(variance + np.float32(layer.epsilon))).astype(np.float32)
    x = builder.op("Mul", [x, builder.constant(inverse, "bn_scale")])
    return builder.op(
        "Add", [x, builder.constant((beta - mean * inverse).astype(np.float32))]
    )


def _reshape(builder, x, layer):
    shape = np.array([0, *layer.target_shape], np.int64)
    return builder.op("Reshape", [x, builder.constant(shape, "shape")])


def _flatten(builder, x, layer):
    return builder.op("Flatten", [x], axis=1)


def _padding(layer):
    if layer.padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    return {"pads": [0, 0, 0, 0]}


def _channels_last(layer):
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise TypeError(
            f"Layer {layer.name!r} reads channels first; to_onnx converts "
            "channels-last 2-D layers only. Use export_student()."
        )


def _conv2d(builder, x, layer):
    _channels_last(layer)
    if layer.groups != 1:
        raise TypeError(
            f"Layer {layer.name!r} is a grouped convolution, which to_onnx does "
            "not convert; use export_student()."
        )
    kernel, *bias = _weights(layer)
    inputs = [
        builder.op("Transpose", [x], perm=_TO_CHANNELS_FIRST),
        builder.constant(kernel.transpose(3, 2, 0, 1), "conv_kernel"),
    ]
    if layer.use_bias:
        inputs.append(builder.constant(bias[0], "conv_bias"))
    x = builder.op(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        **_padding(layer),
    )
    x = builder.op("Transpose", [x], perm=_TO_CHANNELS_LAST)
    return _activation(builder, x, _activation_name(layer.activation), layer)


def _pooling2d(builder, x, layer):
    _channels_last(layer)
    op_type = "MaxPool" if type(layer).__name__ == "MaxPooling2D" else "AveragePool"
    x = builder.op("Transpose", [x], perm=_TO_CHANNELS_FIRST)
    x = builder.op(
        op_type,
        [x],
        kernel_shape=list(layer.pool_size),
        strides=list(layer.strides),
        **_padding(layer),
    )
    return builder.op("Transpose", [x], perm=_TO_CHANNELS_LAST)


def _activation_layer(builder, x, layer):
    return _activation(builder, x, _activation_name(layer.activation), layer)


def _relu_layer(builder, x, layer):
    if layer.max_value is not None or layer.threshold != 0:
        raise TypeError(
            f"Layer {layer.name!r} is a ReLU with max_value or threshold, which "
            "to_onnx does not convert; use export_student()."
        )
    if layer.negative_slope:
        return builder.op("LeakyRelu", [x], alpha=float(layer.negative_slope))
    return builder.op("Relu", [x])


def _leaky_relu_layer(builder, x, layer):
    return builder.op("LeakyRelu", [x], alpha=float(layer.negative_slope))


def _softmax_layer(builder, x, layer):
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    return builder.op("Softmax", [x], axis=axis)


_CONVERTERS = {
    "Dense": _dense,
    "Normalization": _normalization,
    "Rescaling": _rescaling,
    "BatchNormalization": _batch_normalization,
    "Reshape": _reshape,
    "Flatten": _flatten,
    "Conv2D": _conv2d,
    "MaxPooling2D": _pooling2d,
    "AveragePooling2D": _pooling2d,
    "Activation": _activation_layer,
    "ReLU": _relu_layer,
    "LeakyReLU": _leaky_relu_layer,
    "Softmax": _softmax_layer,
}


def chain_layers(model):
    """The model's layers in order, nested models opened, or a TypeError.

    Only a chain (each layer reading the previous one's output) converts.
    """
    keras = import_keras()
    layers = []
    previous = None
    for layer in model.layers:
        if not isinstance(model, keras.Sequential) and previous is not None:
            if layer.input is not previous.output:
                raise TypeError(
                    f"Layer {layer.name!r} of {model.name!r} does not read the "
                    "previous layer's output: to_onnx converts chains of layers "
                    "only. Use export_student() to get the Keras model."
                )
        previous = layer
        if isinstance(layer, keras.Model):
            layers.extend(chain_layers(layer))
        else:
            layers.append(layer)
    return layers


def add_keras_model(builder, x, model):
    """Add ``model``'s forward pass on the float32 tensor ``x``; returns its output.

    Raises
    ------
    TypeError
        A layer that is not converted, or a model that is not a chain.
    """
    for layer in chain_layers(model):
        kind = type(layer).__name__
        if kind in _IDENTITY_LAYERS:
            continue
        if kind not in _CONVERTERS:
            raise TypeError(
                f"to_onnx does not convert Keras layers of type {kind} "
                f"(layer {layer.name!r}). Use export_student() to get the "
                "Keras model, or build the student from "
                f"{', '.join(sorted(_CONVERTERS))}, Dropout."
            )
        x = _CONVERTERS[kind](builder, x, layer)
    return x
