"""Ready teacher/student builder pairs for the main job and examples."""

from ._builders import ConvNet, MLPStudent


def model_presets():
    """The teacher and student builders each preset names.

    Returns
    -------
    presets : dict of str to (StudentBuilder, StudentBuilder)
        ``"notebook-cnn"``: the original Keras notebook's pair, a
        ``Conv2D(256) -> Conv2D(512)`` teacher and a ``Conv2D(16) -> Conv2D(32)``
        student, with no nonlinearity after the second convolution.
        ``"strong-cnn"``: the same student; the teacher adds a LeakyReLU after
        its second convolution and dropout 0.5 before its output layer, so it
        generalises better than the student (the notebook's teacher does not).
        ``"mlp"``: for tabular data, Hinton et al.'s (2015) 1200-1200 teacher
        with dropout, and a 32-unit student.
    """
    return {
        "notebook-cnn": (ConvNet(filters=(256, 512)), ConvNet(filters=(16, 32))),
        "strong-cnn": (
            ConvNet(filters=(256, 512), activate_last_conv=True, dropout=0.5),
            ConvNet(filters=(16, 32)),
        ),
        "mlp": (
            MLPStudent(hidden_units=(1200, 1200), dropout=0.3, standardize=True),
            MLPStudent(hidden_units=(32,), standardize=True),
        ),
    }
