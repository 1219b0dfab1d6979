"""The main job's command line, data loading and reports, on small data."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import accuracy_score, log_loss

from skdistill._cli import main
from skdistill._datasets import MNIST_PATH_VARIABLE, load_digits_split, load_mnist

QUICK = [
    "--n-train",
    "150",
    "--teacher-epochs",
    "1",
    "--distill-epochs",
    "1",
    "--verbose",
    "0",
]


@pytest.fixture
def fake_mnist(tmp_path):
    """A file in Keras's mnist.npz layout with a few random images."""
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        y_train=np.arange(60, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_test=np.arange(20, dtype=np.uint8) % 10,
    )
    return path


def test_load_mnist_from_a_path(fake_mnist):
    X_train, X_test, y_train, y_test = load_mnist(fake_mnist)
    assert X_train.shape == (60, 28, 28, 1) and X_train.dtype == np.float32
    assert X_test.shape == (20, 28, 28, 1)
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    np.testing.assert_array_equal(y_train[:3], [0, 1, 2])


def test_load_mnist_from_the_environment(fake_mnist, monkeypatch):
    monkeypatch.setenv(MNIST_PATH_VARIABLE, str(fake_mnist))
    assert load_mnist()[0].shape == (60, 28, 28, 1)


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No MNIST file at"):
        load_mnist(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match=r"lacks \['y_train', 'x_test', 'y_test'\]"):
        load_mnist(bad)


COMPARE = ["compare", *QUICK, "--epochs", "1", "--latency-repeats", "1"]
# The models compare saves, by their row in the report.
SAVED = {
    "teacher": "teacher.keras",
    "scratch": "student_scratch.keras",
    "distilled": "student_distilled.keras",
}


def test_compare_writes_reports(tmp_path, capsys):
    out = tmp_path / "compare"
    assert main([*COMPARE, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["models"]) == {"teacher", "scratch", "distilled"}
    # Each row is what its saved model does on the test split.
    _, X_test, y_train, y_test = load_digits_split(random_state=0)
    classes = np.unique(y_train[: report["n_train"]])
    predictions = {}
    for name, path in SAVED.items():
        row = report["models"][name]
        model = keras.models.load_model(out / path)
        logits = keras.ops.convert_to_numpy(model(X_test))
        predictions[name] = classes[np.argmax(logits, axis=1)]
        proba = softmax(logits.astype(np.float64), axis=1)
        assert row["accuracy"] == accuracy_score(y_test, predictions[name])
        assert row["log_loss"] == pytest.approx(
            log_loss(y_test, proba, labels=classes), rel=1e-5
        )
        assert row["agreement"] == np.mean(predictions[name] == predictions["teacher"])
        assert row["parameters"] == model.count_params()
        assert row["size_bytes"] == (out / path).stat().st_size
        assert row["latency_ms_per_1000"] > 0
    teacher, student = report["models"]["teacher"], report["models"]["distilled"]
    assert report["summary"]["compression"] == pytest.approx(
        teacher["parameters"] / student["parameters"]
    )
    assert len(report["histories"]["distilled"]["val_accuracy"]) == 1
    markdown = (out / "report.md").read_text()
    assert "| distilled student |" in markdown and "fewer parameters" in markdown
    assert (out / "learning_curves.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "[1/4] training the teacher" in printed and "[4/4]" in printed

    # The saved teacher can be reused, and is then not retrained.
    again = tmp_path / "again"
    args = [*COMPARE, "--out", str(again)]
    assert main([*args, "--teacher", str(out / "teacher.keras")]) == 0
    reused = json.loads((again / "report.json").read_text())
    assert reused["models"]["teacher"]["train_seconds"] is None
    assert reused["models"]["teacher"]["accuracy"] == teacher["accuracy"]


def test_report_says_when_the_teacher_is_no_better():
    from skdistill._report import compare_summary

    row = dict(parameters=10, latency_ms_per_1000=1.0)
    models = {
        "teacher": dict(row, accuracy=0.97),
        "scratch": dict(row, accuracy=0.98),
        "distilled": dict(row, accuracy=0.975),
    }
    notes = " ".join(compare_summary(models)["notes"])
    assert "does not beat the student trained from scratch" in notes
    models["teacher"]["accuracy"] = 0.99
    assert "does not beat" not in " ".join(compare_summary(models)["notes"])


def test_compare_on_an_mnist_file(tmp_path, fake_mnist):
    out = tmp_path / "mnist"
    # The mlp preset keeps this fast; the MNIST path and defaults are the same.
    args = ["--dataset", "mnist", "--data", str(fake_mnist), "--models", "mlp"]
    args += ["--out", str(out)]
    assert main([*COMPARE, *args]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["dataset"] == "mnist" and report["n_test"] == 20
    assert report["settings"]["temperature"] == 10.0, "the notebook's default"


def test_sweep_runs_the_teacher_once(tmp_path, fresh_teacher_cache):
    out = tmp_path / "sweep"
    args = ["sweep", *QUICK, "--temperatures", "1", "4", "--alphas", "0.1", "1.0"]
    assert main([*args, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert len(report["grid"]) == 3, "two temperatures, plus alpha=1 once"
    assert report["teacher_passes"] == 1
    assert "| 0.1 |" in (out / "report.md").read_text()
    assert (out / "sweep.png").stat().st_size > 10_000


def test_missing_data_file_is_a_clear_error(tmp_path, capsys):
    args = ["compare", "--dataset", "mnist", "--data", str(tmp_path / "none.npz")]
    assert main(args) == 2
    assert "No MNIST file at" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad", [["--alpha", "2"], ["--temperature", "0"], ["--epochs", "0"]]
)
def test_bad_options_are_rejected(bad, capsys):
    with pytest.raises(SystemExit):
        main(["compare", *bad])
    assert "must be" in capsys.readouterr().err


def test_python_m_skdistill_help():
    done = subprocess.run(
        [sys.executable, "-m", "skdistill", "compare", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "--temperature" in done.stdout and "--teacher" in done.stdout
