"""The fitted student shipped on its own: a plain model, or an ONNX graph.

Nothing here imports Keras, skl2onnx or ONNX until it is asked for them.
"""
