"""The command's console: its job progress bar, Keras's per-epoch bar and
TensorFlow's start-up lines."""

import io
import os
import re
import subprocess
import sys
import time

import numpy as np

from skdistill import DistilledClassifier, MLPStudent
from skdistill.cli._console import Console
from skdistill.utils._keras import (
    _is_startup_noise,
    _startup_lines_filtered,
    import_keras,
)

# Lines TensorFlow 2.21 writes to the standard error at start-up, on a machine
# without a GPU.
STARTUP = [
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR",
    "I0000 00:00:1795913292.117849    5493 port.cc:153] oneDNN custom "
    "operations are on. You may see slightly different numerical results.",
    "I0000 00:00:1795913292.118344    5493 cudart_stub.cc:31] Could not find "
    "cuda drivers on your machine, GPU will not be used.",
    "I0000 00:00:1795913319.081034   10460 cpu_feature_guard.cc:227] This "
    "TensorFlow binary is optimized to use available CPU instructions.",
    "To enable the following instructions: AVX2 FMA, in other operations, "
    "rebuild TensorFlow with the appropriate compiler flags.",
    "E0000 00:00:1795913295.863200    5493 cuda_platform.cc:52] failed call to "
    "cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
]
REAL_ERROR = "E0000 00:00:1795913295.863200    5493 kernel.cc:7] a real error"


def test_startup_lines_are_noise_at_the_default_level():
    assert all(_is_startup_noise(line, 2) for line in STARTUP)
    assert not _is_startup_noise(REAL_ERROR, 2)
    assert not _is_startup_noise("Traceback (most recent call last):", 2)
    # A warning is kept at level 1, a real error dropped only at level 3.
    warning = "W0000 00:00:1795913295.863200    5493 x.cc:1] a warning"
    assert not _is_startup_noise(warning, 1) and _is_startup_noise(warning, 2)
    assert _is_startup_noise(REAL_ERROR, 3)


def test_only_startup_noise_is_dropped_from_the_standard_error(capfd):
    with _startup_lines_filtered(2):
        os.write(2, "\n".join([*STARTUP, REAL_ERROR, "plain text", ""]).encode())
    os.write(2, STARTUP[1].encode() + b"\n")  # after the window: kept
    err = capfd.readouterr().err
    assert err.splitlines() == [REAL_ERROR, "plain text", STARTUP[1]]


def test_first_import_is_quiet_and_keeps_the_users_log_level():
    # A fresh process: the start-up lines come at TensorFlow's first import.
    code = (
        "import os, sys\n"
        "from skdistill.utils._keras import import_keras\n"
        "keras = import_keras()\n"
        "keras.ops.convert_to_numpy(keras.ops.ones(2) + 1)\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])\n"
        "print('after the import', file=sys.stderr)\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="1")
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert done.stdout == "1\n", "the user's level is left as it was"
    assert done.stderr == "after the import\n"


def _counts(text):
    return [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", text)]


def test_keras_bar_counts_up_to_the_true_number_of_steps(capsys):
    keras = import_keras()

    class Slow(keras.callbacks.Callback):
        # Keras's bar skips updates less than 0.05 s apart: show every one.
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.06)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1100, 4)).astype(np.float32)
    y = rng.integers(0, 3, 1100)
    # 1,100 rows in batches of 8: 138 steps, too many to run as one call, so
    # run 16 at a time (16 + ... + 16 + 10).
    DistilledClassifier(
        student=MLPStudent(hidden_units=(8,)),
        alpha=1.0,
        epochs=1,
        batch_size=8,
        verbose=1,
        callbacks=[Slow()],
        random_state=0,
    ).fit(X, y)
    counts = _counts(capsys.readouterr().out)
    expected = [(done, 138) for done in (*range(16, 138, 16), 138)]
    assert counts[: len(expected)] == expected, counts
    assert counts[-1] == (138, 138)
    assert max(done for done, _ in counts) == 138


def test_console_off_a_terminal_prints_lines():
    stream = io.StringIO()
    console = Console(stream)
    assert not console.live
    console.log("[1/2] first")
    console.start(4)
    for _ in range(2):
        console.advance()
    console.log("[2/2] second")
    console.advance()
    console.advance()
    console.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[1/2] first" and lines[2] == "[2/2] second"
    assert re.match(r" +\[#{10}\.{10}\] 2/4 epochs, \d+ s, about \d+ s left$", lines[1])
    assert re.match(r" +\[#{20}\] 4/4 epochs, \d+ s$", lines[3])
    assert len(lines) == 4
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_console_on_a_terminal_redraws_in_place():
    stream = io.StringIO()
    console = Console(stream, live=True)
    console.start(2)
    console.log("stage")
    console.advance()
    console.advance()
    console.finish()
    text = stream.getvalue()
    assert "\r" in text and "\x1b" not in text
    # What stays on screen: the stage line, then the final bar.
    screen = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    assert screen[0] == "stage" and "2/2 epochs" in screen[1]


def test_console_without_a_bar_prints_stages_only():
    stream = io.StringIO()
    console = Console(stream, bar=False)
    console.start(2)
    console.log("stage")
    console.advance()
    console.finish()
    assert stream.getvalue() == "stage\n"
