"""``skdistill compare --data FILE --target COLUMN`` on small tables made here."""

import json
import subprocess
import sys

import numpy as np
import pytest

from skdistill.cli._main import main

pd = pytest.importorskip("pandas")

# The quickest run that still has every part: one student, two seeds, one
# timed call per latency.
QUICK = ["--students", "tree4", "--seeds", "2", "--labeled", "40"]
QUICK += ["--latency-repeats", "1", "--verbose", "0"]


def _frame(n=240, seed=0):
    """Numbers (one with gaps), a text column, a text class and a number."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X[:, :3], columns=["x0", "x1", "x2"])
    frame["band"] = np.array(["low", "mid", "high"])[np.digitize(X[:, 3], [-0.5, 0.5])]
    frame.loc[::9, "x2"] = np.nan
    signal = X[:, 0] + X[:, 1] + (frame["band"] == "high")
    frame["label"] = np.where(signal + 0.5 * rng.normal(size=n) > 0.5, "yes", "no")
    frame["amount"] = 3 * X[:, 0] + X[:, 1] ** 2 + rng.normal(size=n)
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    frame = _frame()
    paths = {"csv": folder / "table.csv.gz", "parquet": folder / "table.parquet"}
    frame.to_csv(paths["csv"], index=False)
    pytest.importorskip("pyarrow")
    frame.to_parquet(paths["parquet"], index=False)
    return paths


def _run(args, out):
    assert main(["compare", *args, *QUICK, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    return report, (out / "report.md").read_text()


def _check_common(report, markdown, out, metrics):
    """What every table report holds, checked against its own numbers."""
    rows = report["rows"]
    parts = rows["n_test"] + rows["n_teacher"] + rows["n_labeled"]
    assert parts + rows["n_transfer"] == report["n_rows"]
    assert rows["n_labeled"] == 40
    keys = ["teacher", "tree4:scratch", "tree4:pseudo", "tree4:distilled"]
    keys += ["sklearn:hgb", "sklearn:linear", "sklearn:mlp"]
    assert list(report["models"]) == keys
    teacher = report["models"]["teacher"]
    main_score = metrics[0]
    for key, model in report["models"].items():
        assert set(model["scores"]) == set(metrics), key
        stats = model["scores"][main_score]
        assert len(stats["values"]) == 2
        assert stats["mean"] == pytest.approx(np.mean(stats["values"]))
        retention = np.divide(stats["values"], teacher["scores"][main_score]["values"])
        assert model["retention"]["mean"] == pytest.approx(retention.mean())
        assert model["latency_ms_per_1000"] > 0 and model["size_bytes"] > 0
        assert model["size"]["count"] > 0 and model["label"] in markdown
    difference = report["differences"]["tree4"]["distilled_minus_scratch"][main_score]
    models = report["models"]
    paired = np.subtract(
        models["tree4:distilled"]["scores"][main_score]["values"],
        models["tree4:scratch"]["scores"][main_score]["values"],
    )
    assert difference["n"] == 2 and difference["mean"] == pytest.approx(paired.mean())
    low, high = difference["ci95"]
    assert low <= difference["mean"] <= high
    sentence = report["differences"]["tree4"]["sentence"]
    if low <= 0 <= high:
        assert "distilled − scratch" in sentence
        assert (
            sentence.split("distilled − scratch")[1]
            .split(";")[0]
            .endswith("no difference detectable")
        )
    assert sentence in markdown
    assert "![" in markdown and (out / "latency.png").stat().st_size > 10_000


def test_csv_classification(files, tmp_path, capsys):
    out = tmp_path / "csv"
    report, markdown = _run(
        ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"], out
    )
    assert report["task"] == "classification" and report["classes"] == ["no", "yes"]
    assert report["n_features"] == 4 and report["dropped"] == ["amount"]
    assert report["rows"]["n_test"] == 60 and report["rows"]["n_teacher"] == 90
    _check_common(report, markdown, out, ["roc_auc", "accuracy", "log_loss"])
    assert report["models"]["tree4:distilled"]["size"]["unit"] == "nodes"
    assert report["models"]["sklearn:linear"]["size"]["unit"] == "parameters"
    assert "| teacher (hgb) |" in markdown and "ROC AUC" in markdown
    printed = capsys.readouterr().out
    assert "[1/3] seed 0: teacher (hgb) on 90 rows" in printed
    assert "[3/3] the report" in printed


def test_parquet_regression(files, tmp_path):
    out = tmp_path / "parquet"
    args = ["--data", str(files["parquet"]), "--target", "amount"]
    report, markdown = _run([*args, "--drop", "label", "--teacher-model", "rf"], out)
    # A number with many distinct values: regression, by DistilledRegressor.
    assert report["task"] == "regression" and report["classes"] is None
    assert report["settings"]["teacher"] == "rf"
    _check_common(report, markdown, out, ["r2", "rmse"])
    assert report["models"]["teacher"]["scores"]["r2"]["mean"] > 0.5
    assert "| model | R² | RMSE |" in markdown


def _teacher_table(files):
    from skdistill.cli._tables import prepare_table, read_table

    return prepare_table(read_table(files["csv"]), target="label", drop=["amount"])


def test_given_joblib_teacher(files, tmp_path):
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier

    table = _teacher_table(files)
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    # Columns in another order: the run reads them in the teacher's.
    X = table.X[["band", "x2", "x1", "x0"]]
    path = tmp_path / "teacher.joblib"
    joblib.dump(teacher.fit(X, table.y), path)
    # More transfer rows from a file without the target, columns reordered.
    extra = _frame(50, seed=1).drop(columns=["label", "amount"])[
        ["x2", "band", "x0", "x1"]
    ]
    extra.to_csv(tmp_path / "unlabeled.csv", index=False)
    out = tmp_path / "given"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    args += ["--unlabeled", str(tmp_path / "unlabeled.csv")]
    report, _ = _run([*args, "--teacher", str(path)], out)
    rows = report["rows"]
    assert rows["n_teacher"] == 0 and report["settings"]["teacher"] == "teacher.joblib"
    # All training rows are the owner's; the file's rows are transfer rows.
    owner = report["n_rows"] - rows["n_test"]
    assert rows["n_labeled"] + rows["n_transfer"] == owner + 50
    assert report["models"]["teacher"]["fit_seconds"] is None


def test_skops_teacher_needs_its_types_trusted(files, tmp_path, capsys):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    table = _teacher_table(files)
    teacher = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["band"]),
            remainder=make_pipeline(SimpleImputer(), StandardScaler()),
        ),
        LogisticRegression(),
    ).fit(table.X, table.y)
    path = tmp_path / "teacher.skops"
    skops_io.dump(teacher, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted, "this teacher holds types skops does not trust by default"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    args += ["--teacher", str(path)]
    assert main(["compare", *args, "--out", str(tmp_path / "refused")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "refused" in err
    assert all(name in err for name in untrusted) and "--trust" in err
    report, _ = _run([*args, "--trust", ",".join(untrusted)], tmp_path / "trusted")
    assert report["models"]["teacher"]["scores"]["roc_auc"]["mean"] > 0.6


def test_keras_mlp_student(files, tmp_path):
    pytest.importorskip("keras")
    out = tmp_path / "mlp"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    args += ["--epochs", "2", "--units", "4"]
    assert main(["compare", *args, *QUICK, "--students", "mlp", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    # One-hot band (3) and three numbers into 4 units, 2 outputs.
    assert report["models"]["mlp:distilled"]["size"] == {
        "count": (6 + 1) * 4 + (4 + 1) * 2,
        "unit": "parameters",
    }
    assert report["settings"]["epochs"] == 2 and "keras" in report["versions"]


def _write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def bad_files(tmp_path):
    frame = _frame(60)
    frame["one"] = "same"
    frame["id"] = [f"row-{i}" for i in range(len(frame))] * 1
    many = pd.concat([frame] * 5, ignore_index=True)
    many["id"] = [f"row-{i}" for i in range(len(many))]
    many.to_csv(tmp_path / "ids.csv", index=False)
    frame.drop(columns="id").to_csv(tmp_path / "ok.csv", index=False)
    (tmp_path / "broken.csv.gz").write_bytes(b"\x1f\x8b not gzip at all")
    _write(tmp_path / "empty.csv", "x0,x1,label\n")
    _write(tmp_path / "teacher.joblib", "not a pickle")
    return tmp_path


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "{tmp}/missing.csv", "--target", "label"], "no such file"),
        (["--data", "{tmp}/broken.csv.gz", "--target", "label"], "could not be read"),
        (["--data", "{tmp}/ok.csv", "--target", "labl"], "Did you mean 'label'"),
        (["--data", "{tmp}/ok.csv", "--target", "one"], "one class only"),
        (["--data", "{tmp}/empty.csv", "--target", "label"], "the table is empty"),
        (["--data", "{tmp}/ids.csv", "--target", "label"], "--drop id"),
        (["--data", "{tmp}/ok.csv", "--target", "label", "--drop", "nope"], "nope"),
        (
            [
                "--data",
                "{tmp}/ok.csv",
                "--target",
                "label",
                "--teacher",
                "{tmp}/teacher.joblib",
            ],
            "does not load",
        ),
        (["--target", "label"], "needs --data FILE"),
        (["--data", "{tmp}/ok.csv"], "needs --target COLUMN"),
        (["--students", "tree4"], "for your own table"),
        (["--data", "{tmp}/ok.csv", "--target", "label", "--seeds", "1"], "at least 2"),
        (
            ["--data", "{tmp}/ok.csv", "--target", "label", "--labeled", "500"],
            "leaves no transfer rows",
        ),
    ],
)
def test_bad_input_is_one_line_and_status_2(bad_files, args, message, capsys):
    args = [arg.format(tmp=bad_files) for arg in args]
    assert main(["compare", *args, "--out", str(bad_files / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("skdistill compare: error: ") and message in err, err


def test_a_teacher_that_does_not_fit_the_table(files, tmp_path, capsys):
    import joblib
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    table = _teacher_table(files)
    numbers = table.X[["x0", "x1"]]
    cases = {
        "columns.joblib": (DecisionTreeClassifier().fit(numbers, table.y), "--drop"),
        "classes.joblib": (
            DecisionTreeClassifier().fit(table.X[["x0", "x1"]], table.y == "yes"),
            "classes",
        ),
        "task.joblib": (
            DecisionTreeRegressor().fit(numbers, table.y == "yes"),
            "--task",
        ),
    }
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    for name, (teacher, message) in cases.items():
        joblib.dump(teacher, tmp_path / name)
        extra = [] if name == "columns.joblib" else ["--drop", "amount,band,x2"]
        run = [*args, *extra, "--teacher", str(tmp_path / name)]
        assert main(["compare", *run, "--out", str(tmp_path)]) == 2, name
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and message in err, (name, err)


def test_keras_missing_is_the_librarys_one_line(files, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "keras", None)
    args = ["--data", str(files["csv"]), "--target", "label", "--students", "mlp"]
    assert main(["compare", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "skdistill[tensorflow]" in err


def test_digits_run_without_keras_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "keras", None)
    assert main(["compare", "--out", str(tmp_path), "--verbose", "0"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "skdistill[tensorflow]" in err


def test_pandas_missing_is_one_line(files, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert main(["compare", "--data", str(files["csv"]), "--target", "label"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "skdistill[tables]" in err


def test_task_follows_the_target():
    from skdistill.cli._tables import infer_task

    assert infer_task(pd.Series(["a", "b"])) == "classification"
    assert infer_task(pd.Series([0, 1, 2, 1])) == "classification"
    assert infer_task(pd.Series([True, False])) == "classification"
    assert infer_task(pd.Series(np.linspace(0, 1, 30))) == "regression"
    assert infer_task(pd.Series([0.5, 1.5, 2.5])) == "regression"
    assert infer_task(pd.Series([0, 1]), "regression") == "regression"


def test_help_and_imports_stay_light():
    code = (
        "import sys; import skdistill.cli._main as m; "
        "from skdistill.cli import _table_command, _table_experiment; "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules; "
        "m.main(['compare', '--help'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # argparse may wrap a line after a hyphen.
    text = " ".join(done.stdout.split()).replace("- ", "-")
    assert "--target COLUMN" in text and "runs the code it holds" in text
    assert "(default: tree4,tree8,hgb-small,linear)" in text
