"""Training under Keras's distribution API: JAX with two virtual CPU devices."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax", reason="JAX is not installed (pip install skdistill[jax])")

# JAX by construction (a subprocess): part of the main run, not the JAX subset.
pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json
    import keras
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from skdistill import DistilledClassifier, MLPStudent

    X, y = load_digits(return_X_y=True)
    X, y = X[:1001], y[:1001]  # an odd number of rows
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    params = dict(teacher=teacher, student=MLPStudent(hidden_units=(32,)),
                  epochs=5, learning_rate=0.01, batch_size=32,
                  validation_fraction=0.1, random_state=0)
    single = DistilledClassifier(**params).fit(X, y)
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices))
    parallel = DistilledClassifier(**params).fit(X, y)
    kernel = parallel.student_model_.trainable_variables[0].value
    try:
        DistilledClassifier(**{**params, "batch_size": 33}).fit(X, y)
        odd_batch = None
    except ValueError as exc:
        odd_batch = str(exc)
    print(json.dumps({
        "devices": devices,
        "kernel_devices": len(kernel.sharding.device_set),
        "single_accuracy": single.score(X, y),
        "parallel_accuracy": parallel.score(X, y),
        "epochs": len(parallel.history_["val_loss"]),
        "odd_batch": odd_batch,
    }))
    """
)


def test_data_parallel_on_two_virtual_devices():
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["devices"]) == 2
    # The student's weights are replicated on both devices.
    assert result["kernel_devices"] == 2
    assert result["epochs"] == 5
    # The same training, split across devices (a row or two sit out so that
    # each batch splits evenly): the student learns as well.
    assert result["parallel_accuracy"] > 0.8
    assert abs(result["parallel_accuracy"] - result["single_accuracy"]) < 0.05
    assert "batch_size=33" in result["odd_batch"]
    assert "multiple of 2" in result["odd_batch"]
