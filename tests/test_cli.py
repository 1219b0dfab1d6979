"""The main job's command line, data loading and reports, on small data."""

import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import accuracy_score, log_loss

import skdistill
from skdistill.cli._main import main
from skdistill.utils._datasets import (
    MNIST_PATH_VARIABLE,
    MNISTDownloadError,
    load_digits_split,
    load_mnist,
)

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


# The same-labels scenario (the notebook's, one seed), quick.
COMPARE = [
    "compare",
    "--scenario",
    "same-labels",
    *QUICK,
    "--epochs",
    "1",
    "--latency-repeats",
    "1",
]
# The default (transfer) scenario, quick: 3 seeds, two widths, few epochs.
TRANSFER = [
    "compare",
    "--seeds",
    "3",
    "--widths",
    "16",
    "8",
    "--epochs",
    "3",
    "--verbose",
    "0",
]
# The models compare saves, by their row in the report.
SAVED = {
    "teacher": "teacher.keras",
    "scratch": "student_scratch.keras",
    "distilled": "student_distilled.keras",
}


def _images(markdown, folder):
    """The images report.md shows: relative paths to files beside it."""
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    for link in links:
        assert not os.path.isabs(link) and (folder / link).is_file(), link
    return links


def _assert_rows(report, markdown):
    """The report says how many rows trained, validated and tested the models."""
    n_train = report["n_train"]
    assert report["n_validation"] == int(np.ceil(0.1 * n_train))
    assert report["n_fit"] == n_train - report["n_validation"]
    assert (
        f"{n_train} training rows: {report['n_fit']} trained on and "
        f"{report['n_validation']} held out for validation"
    ) in markdown
    assert f"{report['n_test']} test rows" in markdown


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
    assert _images(markdown, out) == ["learning_curves.png"]
    _assert_rows(report, markdown)
    printed = capsys.readouterr().out
    assert "[1/4] training the teacher" in printed and "[4/4]" in printed

    # The saved teacher can be reused, and is then not retrained.
    again = tmp_path / "again"
    args = [*COMPARE, "--out", str(again)]
    assert main([*args, "--teacher", str(out / "teacher.keras")]) == 0
    reused = json.loads((again / "report.json").read_text())
    assert reused["models"]["teacher"]["train_seconds"] is None
    assert reused["models"]["teacher"]["accuracy"] == teacher["accuracy"]


def test_default_scenario_report(tmp_path, capsys):
    from skdistill.cli._report import interval_sentence

    out = tmp_path / "default"
    assert main([*TRANSFER, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["scenario"] == "transfer" and report["dataset"] == "digits"
    rows = report["rows"]
    assert rows["n_labeled"] == 100
    parts = rows["n_teacher"] + rows["n_labeled"] + rows["n_transfer"]
    assert parts == rows["n_train"]
    assert rows["n_test"] == 450
    assert report["settings"]["seeds"] == [0, 1, 2]
    for name in ("teacher", "scratch", "distilled"):
        accuracy = report["models"][name]["accuracy"]
        assert len(accuracy["values"]) == 3
        assert accuracy["mean"] == pytest.approx(np.mean(accuracy["values"]))
        assert accuracy["sd"] == pytest.approx(np.std(accuracy["values"], ddof=1))
    difference = report["distilled_minus_scratch"]
    assert difference["n"] == 3
    paired = np.subtract(
        report["models"]["distilled"]["accuracy"]["values"],
        report["models"]["scratch"]["accuracy"]["values"],
    )
    assert difference["mean"] == pytest.approx(paired.mean())
    low, high = difference["ci95"]
    assert low <= difference["mean"] <= high
    assert report["sentence"] == interval_sentence(difference)
    compression = report["compression"]
    assert [p["units"] for p in compression] == [8, 16]
    parameters = [p["parameters"] for p in compression]
    assert parameters == sorted(parameters) and parameters[0] < parameters[1]
    assert all(0 <= p["scratch"] <= 1 and 0 <= p["distilled"] <= 1 for p in compression)
    assert 0 < report["wall_seconds"] < 300
    markdown = (out / "report.md").read_text()
    assert report["sentence"] in markdown and "± " in markdown
    assert "100 labeled" in markdown and "transfer rows" in markdown
    assert (out / "compression.png").stat().st_size > 10_000
    assert _images(markdown, out) == ["compression.png", "latency.png"]
    # scikit-learn's own answer on the same labels, and every model's speed.
    assert set(report["models"]) == {
        "teacher",
        "scratch",
        "distilled",
        "svc",
        "logistic",
        "baseline",
    }
    for model in report["models"].values():
        assert len(model["accuracy"]["values"]) == 3
        assert model["latency_ms_per_1000"] > 0
    assert "| SVC() on the labels |" in markdown
    # The floor: the most frequent label of the 100 labeled rows.
    baseline = report["models"]["baseline"]["accuracy"]["mean"]
    assert 0.05 < baseline < 0.2 and "| baseline: the most frequent label" in markdown
    # The shipped student: its ONNX graph, timed on 1 and 1,000 rows.
    shipped = report["models"]["distilled"]["shipped"]
    assert shipped["onnx_bytes"] > 0
    assert set(shipped["onnx_latency_ms"]) == {"1", "1000"}
    assert "| distilled student | ONNX graph, ONNX Runtime, 1 thread |" in markdown
    printed = capsys.readouterr().out
    assert "[1/4] seed 0" in printed and "[4/4] compression curve" in printed


def test_paired_interval_is_the_t_interval():
    from scipy.stats import t

    from skdistill.cli._few_labels import paired_interval

    d = np.array([0.10, 0.14, 0.12, 0.20])
    half = t.ppf(0.975, 3) * d.std(ddof=1) / 2
    interval = paired_interval(d)
    assert interval["n"] == 4 and interval["mean"] == pytest.approx(0.14)
    assert interval["ci95"] == pytest.approx([0.14 - half, 0.14 + half])


@pytest.mark.parametrize(
    "ci95, start",
    [
        ([0.02, 0.08], "Distillation gained 5.0 ± 3.0 points"),
        ([-0.01, 0.11], "No difference detectable at this size"),
        ([-0.08, -0.02], "Distillation lost 5.0 ± 3.0 points"),
    ],
)
def test_interval_sentence_follows_the_interval(ci95, start):
    from skdistill.cli._report import interval_sentence

    mean = sum(ci95) / 2
    sentence = interval_sentence({"mean": mean, "ci95": ci95, "n": 3})
    assert sentence.startswith(start), sentence
    low, high = (100 * v for v in ci95)
    assert f"(95% interval [{low:.1f}, {high:.1f}], 3 seeds)" in sentence


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--dataset", "mnist", "--scenario", "transfer"], "digits only"),
        (["--labeled", "5000"], "leaves no transfer rows"),
        (["--teacher", "t.keras"], "same-labels"),
        (["--seeds", "1"], "at least 2"),
    ],
)
def test_transfer_scenario_errors(bad, message, capsys):
    assert main(["compare", *bad]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err, err


def test_report_says_when_the_teacher_is_no_better():
    from skdistill.cli._report import compare_summary

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
    # --data implies --dataset mnist.
    args = ["--data", str(fake_mnist), "--models", "mlp", "--out", str(out)]
    assert main([*COMPARE, *args]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["dataset"] == "mnist" and report["n_test"] == 20
    assert report["settings"]["temperature"] == 10.0, "the notebook's default"


def test_data_with_another_dataset_is_refused(fake_mnist, capsys):
    assert main(["compare", "--dataset", "digits", "--data", str(fake_mnist)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skdistill compare: error: --data") and "digits" in err


def test_mnist_offline_without_data_is_one_clear_line(tmp_path, monkeypatch, capsys):
    # No local file anywhere, and Keras's download fails as it does offline.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / ".keras"))
    monkeypatch.delenv(MNIST_PATH_VARIABLE, raising=False)

    def offline(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/tensorflow/"
            "tf-keras-datasets/mnist.npz: None -- [Errno -2] Name or service "
            "not known"
        )

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(MNISTDownloadError, match="Name or service not known"):
        load_mnist()
    assert main(["compare", "--dataset", "mnist", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("skdistill compare: error: MNIST could not be downloaded")
    assert "--data" in err and MNIST_PATH_VARIABLE in err
    # Keras's messages were kept off the console for the download only.
    assert keras.utils.is_interactive_logging_enabled()


def test_sweep_runs_the_teacher_once(tmp_path, fresh_teacher_cache):
    out = tmp_path / "sweep"
    args = ["sweep", *QUICK, "--temperatures", "1", "4", "--alphas", "0.1", "1.0"]
    assert main([*args, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert len(report["grid"]) == 3, "two temperatures, plus alpha=1 once"
    assert report["teacher_passes"] == 1
    markdown = (out / "report.md").read_text()
    assert "| 0.1 |" in markdown
    assert (out / "sweep.png").stat().st_size > 10_000
    assert _images(markdown, out) == ["sweep.png"]
    _assert_rows(report, markdown)


def test_compare_and_sweep_hold_out_the_same_rows(tmp_path):
    compare = tmp_path / "compare"
    assert main([*COMPARE, "--out", str(compare)]) == 0
    compared = json.loads((compare / "report.json").read_text())
    # The same teacher, temperature, alpha, epochs and seed as compare's.
    sweep = tmp_path / "sweep"
    args = ["sweep", *QUICK, "--teacher", str(compare / "teacher.keras")]
    args += ["--temperatures", "4", "--alphas", "0.1", "1.0", "--out", str(sweep)]
    assert compared["settings"]["temperature"] == 4.0
    assert compared["settings"]["alpha"] == 0.1
    assert main(args) == 0
    swept = json.loads((sweep / "report.json").read_text())
    for key in ("n_train", "n_fit", "n_validation", "n_test"):
        assert swept[key] == compared[key], key
    by_alpha = {g["alpha"]: g for g in swept["grid"]}
    models = compared["models"]
    assert by_alpha[0.1]["accuracy"] == models["distilled"]["accuracy"]
    assert by_alpha[1.0]["accuracy"] == models["scratch"]["accuracy"]
    assert swept["teacher_accuracy"] == models["teacher"]["accuracy"]


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


def test_help_shows_defaults_and_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in (
        "rows per gradient step (default: 32)",
        "(default: 0)",
        "(default: 7)",
        "(default: 30 for digits, 5 for mnist)",
        "(default: 60 for digits, 5 for mnist)",
        "(default: transfer for digits, same-labels for mnist)",
        "(default: 5)",
        "(default: 100)",
        "(default: 8 16 32 64 128 256)",
        "(default: mlp for digits, notebook-cnn for mnist)",
        "(default: 4 for digits, 10 for mnist)",
        "implies --dataset mnist",
    ):
        assert default in text, default
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert "(default: 1 2 4 8 16)" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"skdistill {skdistill.__version__}\n"


def test_verbose_2_off_a_terminal_writes_no_ansi_codes(tmp_path, capsys):
    args = [*COMPARE, "--verbose", "2", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    # Keras's line for each epoch, as its verbose=2 writes it.
    assert len(re.findall(r"^5/5 - \d+s - ", out, re.MULTILINE)) == 3, out
    assert "\x1b" not in out and "\r" not in out


def _quiet_env():
    """The environment of a user who set nothing for TensorFlow."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def _run_skdistill(*args, cwd=None, timeout=300):
    """``python -m skdistill *args`` as such a user runs it; its result."""
    return subprocess.run(
        [sys.executable, "-m", "skdistill", *args],
        capture_output=True,
        text=True,
        env=_quiet_env(),
        cwd=cwd,
        timeout=timeout,
        check=True,
    )


def test_a_small_run_is_quiet(tmp_path):
    for args in (["--help"], ["--version"], ["compare", "--help"]):
        done = _run_skdistill(*args, timeout=120)
        assert done.stderr == "" and done.stdout
    # The fastest run the command offers, at the default verbosity.
    quick = [arg for arg in COMPARE if arg not in ("--verbose", "0")]
    done = _run_skdistill(*quick, "--out", str(tmp_path), cwd=tmp_path)
    assert done.stderr == "", "no TensorFlow start-up lines"
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    lines = done.stdout.splitlines()
    assert len(lines) <= 60
    assert lines[1] == "[1/4] training the teacher (1 epochs)"
    assert re.fullmatch(r" +\[#+\] 3/3 epochs, \d+ s", lines[6]), lines[6]
    # The default scenario, small: quiet too (no FutureWarning from the
    # teacher); into the same folder, it says that it replaces the report.
    small = [arg for arg in TRANSFER if arg not in ("--verbose", "0")]
    done = _run_skdistill(*small, "--out", str(tmp_path), cwd=tmp_path)
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) <= 70 and "\x1b" not in done.stdout
    assert lines[1].startswith(f"note: {tmp_path} holds a report of ")
    assert lines[1].endswith("this run replaces it (give --out DIR to keep both)")
    assert lines[2].startswith("[1/4] seed 0: teacher (svc) on 673 rows")


def test_python_m_skdistill_help():
    done = subprocess.run(
        [sys.executable, "-m", "skdistill", "compare", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "--temperature" in done.stdout and "--teacher" in done.stdout
