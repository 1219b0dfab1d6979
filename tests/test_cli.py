"""The main job's command line on digits and MNIST: the transfer and
same-labels runs of ``compare``, ``sweep``, their reports, and the options
each run takes."""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from scipy.stats import t as student_t

import skdistill
from skdistill import get_teacher_cache
from skdistill.cli._engine._data import Dataset, draw_split
from skdistill.cli._engine._experiment import configuration
from skdistill.cli._main import main
from skdistill.utils._datasets import (
    MNIST_PATH_VARIABLE,
    MNISTDownloadError,
    load_mnist,
)

QUICK = ["--latency-repeats", "1", "--verbose", "0"]


def _write_fake_mnist(path):
    """A file in Keras's mnist.npz layout with a few random images."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        y_train=np.arange(60, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_test=np.arange(20, dtype=np.uint8) % 10,
    )
    return path


@pytest.fixture
def fake_mnist(tmp_path):
    return _write_fake_mnist(tmp_path / "mnist.npz")


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


def _images(markdown, folder):
    """The images report.md shows: relative paths to files beside it."""
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    for link in links:
        assert not os.path.isabs(link) and (folder / link).is_file(), link
        assert (folder / link).stat().st_size > 10_000, link
    return links


def _run(argv, out):
    """``main(argv)`` into ``out``: its report, report.md and what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*argv, "--out", str(out)]) == 0
    return SimpleNamespace(
        out=out,
        report=json.loads((out / "report.json").read_text()),
        markdown=(out / "report.md").read_text(),
        printed=printed.getvalue(),
    )


def _check_scores(report):
    """Every model's scores are its seeds' values, summed up as the report
    says: mean, sample sd and retention of the main score."""
    metric = report["metric"]
    n_seeds = len(report["settings"]["seeds"])
    teacher = report["models"]["teacher"]["scores"][metric]["values"]
    for key, model in report["models"].items():
        for name, stats in model["scores"].items():
            if stats is None:
                continue
            assert len(stats["values"]) == n_seeds, (key, name)
            assert stats["mean"] == pytest.approx(np.mean(stats["values"]))
            sd = np.std(stats["values"], ddof=1) if n_seeds > 1 else 0.0
            assert stats["sd"] == pytest.approx(sd), (key, name)
        retention = np.divide(model["scores"][metric]["values"], teacher)
        assert model["retention"]["mean"] == pytest.approx(retention.mean()), key
        assert set(model["latency_ms"]) == {"1", "1000"}, key
        assert model["latency_ms_per_1000"] == model["latency_ms"]["1000"]["median"]


def _check_differences(report, markdown, key, baseline="scratch"):
    """The paired difference of ``key`` and the same student trained
    ``baseline``: the t-interval of the seeds' differences, in report.md."""
    metric = report["metric"]
    models = report["models"]
    name = key.split(":")[0]
    difference = report["differences"][key][f"distilled_minus_{baseline}"][metric]
    paired = np.subtract(
        models[key]["scores"][metric]["values"],
        models[f"{name}:{baseline}"]["scores"][metric]["values"],
    )
    n = len(paired)
    assert difference["n"] == n and difference["mean"] == pytest.approx(paired.mean())
    if n > 1:
        half = student_t.ppf(0.975, n - 1) * np.std(paired, ddof=1) / np.sqrt(n)
        assert difference["ci95"] == pytest.approx(
            [paired.mean() - half, paired.mean() + half], abs=1e-12
        )
    assert f"- {report['differences'][key]['sentence']}" in markdown
    return difference


# --- the transfer scenario (digits' default) ----------------------------------------

# Two seeds, a narrow student and one other width, few epochs, big batches.
TRANSFER = ["compare", "--seeds", "2", "--units", "8", "--widths", "8", "16"]
TRANSFER += ["--epochs", "3", "--batch-size", "256", *QUICK]


@pytest.fixture(scope="module")
def transfer_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("transfer")
    run = _run([*TRANSFER, "--export", str(folder / "export")], folder / "out")
    run.export = folder / "export"
    return run


def test_transfer_report(transfer_run):
    report, markdown = transfer_run.report, transfer_run.markdown
    assert (report["command"], report["scenario"]) == ("compare", "transfer")
    assert (report["dataset"], report["data"], report["target"]) == (
        "digits",
        "digits",
        None,
    )
    assert report["classes"] == list(range(10)) and report["metric"] == "accuracy"
    assert (report["n_rows"], report["n_features"]) == (1797, 64)
    # Each seed draws a quarter of the whole set as its test rows, then half
    # of the rest for the teacher; the owner labels 100 of the others.
    rows = report["rows"]
    assert rows == {
        "n_test": 450,
        "n_teacher": 673,
        "n_labeled": 100,
        "n_transfer": 574,
    }
    settings = report["settings"]
    assert settings["seeds"] == [0, 1] and settings["teacher"] == "svc"
    assert (settings["units"], settings["widths"]) == (8, [8, 16])
    assert settings["export"] == str(transfer_run.export)
    assert list(report["models"]) == [
        "teacher",
        "mlp:scratch",
        "mlp:distilled",
        "sklearn:baseline",
        "sklearn:svc",
        "sklearn:linear",
    ]
    _check_scores(report)
    models = report["models"]
    for key, model in models.items():
        assert model["fit_seconds"]["mean"] >= 0, key
        assert f"| {model['label']} |" in markdown, key
        assert (model["shipped"] is not None) == (key == "mlp:distilled"), key
    # The student: 64 pixels into 8 units into 10 classes.
    assert models["mlp:distilled"]["size"] == {
        "count": (64 + 1) * 8 + (8 + 1) * 10,
        "unit": "parameters",
    }
    # SVC() has no probabilities: accuracy only.
    assert models["sklearn:svc"]["scores"]["roc_auc"] is None
    assert models["sklearn:svc"]["scores"]["accuracy"]["mean"] > 0.5
    shipped = models["mlp:distilled"]["shipped"]
    assert shipped["onnx_bytes"] > 0 and set(shipped["onnx_latency_ms"]) == {
        "1",
        "1000",
    }
    assert "| mlp distilled | ONNX graph, ONNX Runtime, 1 thread |" in markdown
    assert "100 labeled rows" in markdown and "574 unlabeled transfer rows" in markdown
    # The teacher runs over the transfer rows once a seed: the compression
    # curve's students reuse the first seed's outputs.
    assert report["histories"] == {} and report["teacher_passes"] == 2
    assert 0 < report["wall_seconds"] < 300
    printed = transfer_run.printed
    assert printed.startswith(
        "skdistill compare: digits (classification, 10 classes); 1,797 rows; "
        "transfer scenario; teacher svc, students mlp, 2 seeds\n"
    )
    assert (
        "[1/3] seed 0: teacher (svc) on 673 rows; students mlp 2 ways on 100 "
        "labels and 574 transfer rows; 3 alternatives; 450 test rows\n"
    ) in printed
    assert "[3/3] the report: scores, intervals, figures" in printed


def test_transfer_baseline_row(transfer_run):
    report, markdown = transfer_run.report, transfer_run.markdown
    baseline = report["models"]["sklearn:baseline"]
    assert baseline["label"] == "baseline: class frequencies (DummyClassifier)"
    # A constant: no ranking, about one digit in ten right, nothing to count.
    assert baseline["scores"]["roc_auc"]["values"] == [0.5, 0.5]
    assert 0.05 < baseline["scores"]["accuracy"]["mean"] < 0.2
    assert baseline["size"] is None
    assert f"| {baseline['label']} |" in markdown
    accuracy = 100 * baseline["scores"]["accuracy"]["mean"]
    assert (
        f"- Baseline: class frequencies (DummyClassifier) alone score accuracy "
        f"{accuracy:.1f}%, ROC AUC 0.500"
    ) in markdown


def test_transfer_differences(transfer_run):
    report, markdown = transfer_run.report, transfer_run.markdown
    assert list(report["differences"]) == ["mlp:distilled"]
    entry = report["differences"]["mlp:distilled"]
    assert set(entry) == {"distilled_minus_scratch", "sentence"}
    assert set(entry["distilled_minus_scratch"]) == {"accuracy", "roc_auc", "log_loss"}
    difference = _check_differences(report, markdown, "mlp:distilled")
    low, high = (100 * v for v in difference["ci95"])
    mean = 100 * difference["mean"]
    assert f"| mlp distilled | {mean:+.1f} | [{low:+.1f}, {high:+.1f}] |" in markdown
    assert entry["sentence"].startswith(
        f"mlp distilled, accuracy over 2 seeds: distilled − scratch {mean:+.1f} "
        f"points (95% interval [{low:+.1f}, {high:+.1f}]): "
    )


def test_transfer_compression_curve(transfer_run):
    report, markdown = transfer_run.report, transfer_run.markdown
    curve = report["compression"]
    assert [point["units"] for point in curve] == [8, 16]
    # The main width's point is the first seed's pair of mlp students.
    models = report["models"]
    main = curve[0]
    assert main["scratch"] == models["mlp:scratch"]["scores"]["accuracy"]["values"][0]
    assert (
        main["distilled"] == models["mlp:distilled"]["scores"]["accuracy"]["values"][0]
    )
    assert main["parameters"] == models["mlp:distilled"]["size"]["count"]
    assert curve[1]["parameters"] == (64 + 1) * 16 + (16 + 1) * 10
    for point in curve:
        assert 0 <= point["scratch"] <= 1 and 0 <= point["distilled"] <= 1
        assert (
            f"| {point['units']} | {point['parameters']:,} "
            f"| {100 * point['scratch']:.1f}% | {100 * point['distilled']:.1f}% |"
        ) in markdown
    assert _images(markdown, transfer_run.out) == ["latency.png", "compression.png"]


def test_transfer_export_writes_what_the_report_says(transfer_run):
    import onnxruntime
    from sklearn.datasets import load_digits

    report, markdown, export = (
        transfer_run.report,
        transfer_run.markdown,
        transfer_run.export,
    )
    assert report["exported"] == {"mlp": {"mlp.onnx": None, "mlp.keras": None}}
    assert f"Exported to `{export}`:" in markdown
    assert "`mlp.onnx`: `onnxruntime.InferenceSession('mlp.onnx')`" in markdown
    assert "`mlp.keras`: `keras.saving.load_model('mlp.keras')`" in markdown
    # The first seed's student, loaded as report.md says: both files give the
    # same probabilities, and its accuracy on that seed's test rows is the
    # report's.
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    split = draw_split(
        Dataset(X, y, "classification", "digits"), configuration("transfer"), 0
    )
    X_test, y_test = X[split.test], y[split.test]
    model = keras.saving.load_model(export / "mlp.keras")
    session = onnxruntime.InferenceSession(str(export / "mlp.onnx"))
    labels, proba = session.run(None, {session.get_inputs()[0].name: X_test})
    expected = keras.ops.convert_to_numpy(model(X_test))
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    np.testing.assert_array_equal(labels, np.argmax(expected, axis=1))
    accuracy = report["models"]["mlp:distilled"]["scores"]["accuracy"]["values"][0]
    assert np.mean(labels == y_test) == accuracy


def test_latency_says_its_rows_and_repeats(transfer_run):
    for model in transfer_run.report["models"].values():
        assert model["latency_ms"]["1"]["n_rows"] == 1
        assert model["latency_ms"]["1000"]["n_rows"] == 1000
        assert model["latency_ms"]["1000"]["repeats"] == 1


# --- the same-labels scenario and sweep ----------------------------------------------

# The original notebook's run on 150 digits: one epoch of each model; Keras's
# own line for every epoch (--verbose 2).
EPOCHS = ["--n-train", "150", "--teacher-epochs", "1", "--distill-epochs", "1"]
EPOCHS += ["--epochs", "1"]
SAME_LABELS = ["compare", "--scenario", "same-labels", *EPOCHS]
SAME_LABELS += ["--latency-repeats", "1", "--verbose", "2"]


@pytest.fixture(scope="module")
def same_labels_run(tmp_path_factory):
    get_teacher_cache().clear()
    return _run(SAME_LABELS, tmp_path_factory.mktemp("same") / "out")


@pytest.fixture(scope="module")
def sweep_run(same_labels_run, tmp_path_factory):
    """sweep over two temperatures and alpha 1, with compare's teacher given."""
    get_teacher_cache().clear()
    teacher = same_labels_run.out / "teacher.keras"
    args = ["sweep", *EPOCHS, "--temperatures", "1", "4", "--alphas", "0.1", "1.0"]
    args += ["--teacher", str(teacher), "--verbose", "0"]
    return _run(args, tmp_path_factory.mktemp("sweep") / "out")


def test_same_labels_report(same_labels_run):
    report, markdown = same_labels_run.report, same_labels_run.markdown
    assert (report["scenario"], report["dataset"]) == ("same-labels", "digits")
    assert report["n_rows"] == 150 and report["compression"] is None
    # A quarter of the 150 rows to test; teacher and students share the rest.
    assert report["rows"] == {
        "n_test": 38,
        "n_teacher": 112,
        "n_labeled": 112,
        "n_transfer": 0,
    }
    settings = report["settings"]
    assert (settings["teacher"], settings["students"]) == ("mlp", ["mlp"])
    assert (settings["temperature"], settings["validation_fraction"]) == (4.0, 0.1)
    assert settings["teacher_fraction"] is None
    assert list(report["models"]) == [
        "teacher",
        "mlp:scratch",
        "mlp:distilled",
        "sklearn:baseline",
    ]
    _check_scores(report)
    assert report["models"]["teacher"]["fit_seconds"]["mean"] > 0
    assert report["teacher_passes"] == 1
    assert (
        "digits: 38 test rows; the teacher (mlp) and the students learn from the "
        "same 112 labeled rows, each fit holding out the same 10% for its "
        "learning curves; 1 seed."
    ) in markdown
    # The trained teacher is kept for --teacher.
    assert report["teacher_file"] == str(same_labels_run.out / "teacher.keras")
    assert (same_labels_run.out / "teacher.keras").is_file()


def test_same_labels_learning_curves(same_labels_run):
    report, markdown = same_labels_run.report, same_labels_run.markdown
    histories = report["histories"]
    assert list(histories) == ["teacher", "mlp:scratch", "mlp:distilled"]
    for key, history in histories.items():
        for name in ("accuracy", "val_accuracy", "val_hard_loss"):
            assert len(history[name]) == 1, (key, name)
            assert np.isfinite(history[name][0]), (key, name)
    assert "val_soft_loss" in histories["mlp:distilled"]
    assert _images(markdown, same_labels_run.out) == [
        "latency.png",
        "learning_curves.png",
    ]


def test_same_labels_one_seed_difference(same_labels_run):
    report, markdown = same_labels_run.report, same_labels_run.markdown
    difference = _check_differences(report, markdown, "mlp:distilled")
    assert difference["n"] == 1
    sentence = report["differences"]["mlp:distilled"]["sentence"]
    assert sentence.startswith("mlp distilled, accuracy over 1 seed: ")
    if difference["equal"]:
        assert "| mlp distilled | equal | (same fit) |" in markdown
    else:
        mean = 100 * difference["mean"]
        assert f"| mlp distilled | {mean:+.1f} | (one seed) |" in markdown
        assert "on one seed: no interval (give --seeds 2 or more" in sentence


def test_verbose_2_off_a_terminal_writes_no_ansi_codes(same_labels_run):
    printed = same_labels_run.printed
    # Keras's line for each epoch, as its verbose=2 writes it: the teacher,
    # the student from scratch and the distilled student, one epoch each.
    epochs = re.findall(r"^(\d+)/(\d+) - \d+s - ", printed, re.MULTILINE)
    assert len(epochs) == 3 and all(done == total for done, total in epochs), printed
    assert "\x1b" not in printed and "\r" not in printed
    assert (
        "[1/2] seed 0: teacher (mlp) on the labeled rows; students mlp 2 ways on "
        "112 labels; 1 alternative; 38 test rows"
    ) in printed


def test_sweep_runs_the_teacher_once_over_its_grid(sweep_run):
    report, markdown = sweep_run.report, sweep_run.markdown
    assert (report["command"], report["scenario"]) == ("sweep", "same-labels")
    assert report["teacher_passes"] == 1
    assert report["settings"]["grid"] == [[1.0, 0.1], [4.0, 0.1]]
    assert report["settings"]["ways"] == ["scratch"], "alpha 1: from scratch"
    keys = ["mlp:distilled(T=1,alpha=0.1)", "mlp:distilled(T=4,alpha=0.1)"]
    assert list(report["models"]) == [
        "teacher",
        "mlp:scratch",
        *keys,
        "sklearn:baseline",
    ]
    for key, temperature in zip(keys, (1.0, 4.0), strict=True):
        model = report["models"][key]
        assert model["settings"] == {"temperature": temperature, "alpha": 0.1}
        assert model["shipped"] is None
    assert list(report["differences"]) == keys
    _check_scores(report)
    cells = [
        f"{100 * report['models'][key]['scores']['accuracy']['mean']:.1f}%"
        for key in keys
    ]
    assert "| alpha \\ temperature | 1 | 4 |" in markdown
    assert f"| 0.1 | {' | '.join(cells)} |" in markdown
    assert "the teacher ran over the training rows 1 time(s) for 2 distilled" in (
        markdown
    )
    assert _images(markdown, sweep_run.out) == [
        "latency.png",
        "learning_curves.png",
        "sweep.png",
    ]


def test_a_saved_teacher_is_used_as_given(same_labels_run, sweep_run):
    # sweep, given compare's teacher, holds out the same rows and trains the
    # same students: at compare's temperature and alpha, the same scores.
    compared, swept = same_labels_run.report, sweep_run.report
    teacher = swept["models"]["teacher"]
    assert teacher["fit_seconds"] is None and teacher["label"] == (
        "teacher (teacher.keras)"
    )
    assert re.search(
        r"^\| teacher \(teacher\.keras\) \|.* \| given \|$", sweep_run.markdown, re.M
    )
    assert "teacher" not in swept["histories"] and swept["teacher_file"] is None
    assert swept["rows"] == compared["rows"]
    pairs = {
        "teacher": "teacher",
        "mlp:scratch": "mlp:scratch",
        "mlp:distilled(T=4,alpha=0.1)": "mlp:distilled",
    }
    for key, other in pairs.items():
        for name, stats in swept["models"][key]["scores"].items():
            expected = compared["models"][other]["scores"][name]["values"]
            assert stats["values"] == pytest.approx(expected, abs=1e-6), (key, name)


def test_compare_on_an_mnist_file(tmp_path, fake_mnist):
    # --data implies --dataset mnist and its same-labels scenario; the mlp
    # pair keeps this fast. MNIST brings its own test rows.
    args = ["compare", "--data", str(fake_mnist), "--models", "mlp", *EPOCHS[2:]]
    run = _run([*args, *QUICK], tmp_path / "mnist")
    report = run.report
    assert (report["dataset"], report["data"]) == ("mnist", "mnist")
    assert report["scenario"] == "same-labels"
    assert (report["n_rows"], report["n_features"]) == (80, 784)
    assert report["rows"]["n_test"] == 20 and report["rows"]["n_labeled"] == 60
    assert report["settings"]["temperature"] == 10.0, "the notebook's default"
    assert report["settings"]["test_fraction"] is None
    assert list(report["histories"]) == ["teacher", "mlp:scratch", "mlp:distilled"]


# --- options, errors and help --------------------------------------------------------

DIGITS = "digits' transfer scenario"
SAME = "the same-labels scenario"
TABLE = "your own table (--data FILE --target COLUMN)"


@pytest.mark.parametrize(
    "args, option, run, runs",
    [
        (["--students", "tree4"], "--students", DIGITS, TABLE),
        (["--models", "mlp"], "--models", DIGITS, SAME),
        (["--scenario", "same-labels", "--widths", "8"], "--widths", SAME, DIGITS),
        (
            ["--scenario", "same-labels", "--labeled", "40"],
            "--labeled",
            SAME,
            f"{DIGITS} and {TABLE}",
        ),
        (
            ["--dataset", "mnist", "--teacher-model", "rf"],
            "--teacher-model",
            SAME,
            f"{DIGITS} and {TABLE}",
        ),
        (
            ["--data", "t.csv", "--target", "y", "--n-train", "10"],
            "--n-train",
            TABLE,
            f"{DIGITS} and {SAME}",
        ),
        (
            ["--data", "t.csv", "--target", "y", "--teacher-epochs", "1"],
            "--teacher-epochs",
            TABLE,
            SAME,
        ),
        (["--unlabeled", "u.csv"], "--unlabeled", DIGITS, TABLE),
    ],
)
def test_an_option_is_refused_where_it_does_not_apply(
    args, option, run, runs, tmp_path, capsys
):
    out = tmp_path / "out"
    assert main(["compare", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"skdistill compare: error: {option} is not for {run}: it applies to {runs}.\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "--dataset", "mnist", "--scenario", "transfer"], "digits only"),
        (["compare", "--labeled", "5000", *QUICK], "leaves no transfer rows"),
        (["compare", "--teacher", "{tmp}/none.keras"], "no such file"),
        (["sweep", "--data", "t.csv"], "sweep runs on digits or MNIST"),
        (
            ["compare", "--dataset", "mnist", "--data", "t.csv", "--target", "y"],
            "--dataset",
        ),
    ],
)
def test_run_errors_are_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    args = [arg.format(tmp=tmp_path) for arg in args]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err, err
    assert err.startswith(f"skdistill {args[0]}: error: ")
    assert not out.exists(), "a failed run leaves no folder behind"


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


def _help(command):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0


def test_help_lists_each_option_once_with_its_defaults(capsys):
    from skdistill.cli._parser import OPTION_NAMES

    _help("compare")
    out = capsys.readouterr().out
    listed = re.findall(r"^  (--[a-z-]+)", out, re.MULTILINE)
    assert len(listed) == len(set(listed)), listed
    assert set(OPTION_NAMES.values()) <= set(listed)
    assert {"--data", "--teacher", "--out", "--export", "--seed"} <= set(listed)
    text = " ".join(out.split())
    # Defaults come from the runs' configurations; no timings are quoted.
    for default in (
        "(default: 5 on digits; 1 on same-labels on MNIST, same-labels on "
        "digits; 3 on a table)",
        "(default: 4.0 on digits, same-labels on digits; 10.0 on same-labels "
        "on MNIST; 1.0 on a table)",
        "(default: 32 on digits, same-labels on MNIST, same-labels on digits; "
        "auto on a table)",
        "(default: svc on digits; hgb on a table)",
        "(default: 8 16 32 64 128 256)",
        "(default: transfer on digits, same-labels on MNIST)",
        "(default: 7)",
        "implies --dataset mnist",
    ):
        assert default in text, default
    assert not re.search(r"\d\s?(s|ms|sec|seconds|min|minutes)\b", text), text
    _help("sweep")
    assert "(default: 1 2 4 8 16)" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"skdistill {skdistill.__version__}\n"


def _quiet_env():
    """The environment of a user who set nothing for TensorFlow."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def test_a_small_run_is_quiet(tmp_path):
    # The default scenario, small, as a user runs it (a fresh process, the
    # default verbosity), into a folder that holds a report already.
    (tmp_path / "report.json").write_text("{}")
    args = ["compare", "--seeds", "1", "--n-train", "400", "--units", "8"]
    args += ["--widths", "8", "--epochs", "1", "--batch-size", "256"]
    done = subprocess.run(
        [sys.executable, "-m", "skdistill", *args, "--latency-repeats", "1"]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_quiet_env(),
        cwd=tmp_path,
        timeout=300,
        check=True,
    )
    assert done.stderr == "", "no TensorFlow start-up lines, no warnings"
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    lines = done.stdout.splitlines()
    assert len(lines) <= 70
    assert lines[0].startswith("skdistill compare: digits (classification, ")
    assert lines[1].startswith(f"note: {tmp_path} holds a report of ")
    assert lines[1].endswith("this run replaces it (give --out DIR to keep both)")
    assert lines[2].startswith("[1/2] seed 0: teacher (svc) on 150 rows")
    assert re.fullmatch(r" +\[#{20}\] (\d+)/\1 steps, \d+ s", lines[3]), lines[3]
    assert lines[4] == "[2/2] the report: scores, intervals, figures"
    assert json.loads((tmp_path / "report.json").read_text())["rows"]["n_test"] == 100
