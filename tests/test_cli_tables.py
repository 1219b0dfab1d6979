"""``skdistill compare --data FILE --target COLUMN`` on small tables made here."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from scipy.stats import t as student_t

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
    keys += ["sklearn:baseline", "sklearn:hgb", "sklearn:linear", "sklearn:mlp"]
    assert list(report["models"]) == keys
    assert report["scenario"] == report["dataset"] == "table"
    teacher = report["models"]["teacher"]
    main_score = metrics[0]
    assert report["metric"] == main_score
    for key, model in report["models"].items():
        assert set(model["scores"]) == set(metrics), key
        stats = model["scores"][main_score]
        assert len(stats["values"]) == 2
        assert stats["mean"] == pytest.approx(np.mean(stats["values"]))
        assert stats["sd"] == pytest.approx(np.std(stats["values"], ddof=1))
        retention = np.divide(stats["values"], teacher["scores"][main_score]["values"])
        assert model["retention"]["mean"] == pytest.approx(retention.mean())
        assert model["latency_ms_per_1000"] > 0 and model["size_bytes"] > 0
        assert set(model["latency_ms"]) == {"1", "1000"}
        assert model["latency_ms_per_1000"] == model["latency_ms"]["1000"]["median"]
        assert model["fit_seconds"]["mean"] >= 0, key
        # Only the distilled student ships an ONNX graph in the report.
        assert (model["shipped"] is not None) == (key == "tree4:distilled"), key
        assert f"| {model['label']} |" in markdown
        # The baseline (a constant) has no nodes or parameters to count.
        assert (model["size"] is None) == (key == "sklearn:baseline"), key
        assert model["size"] is None or model["size"]["count"] > 0
    baseline = report["models"]["sklearn:baseline"]["scores"][main_score]
    assert "- Baseline: " in markdown and baseline["values"]
    entry = report["differences"]["tree4:distilled"]
    difference = entry["distilled_minus_scratch"][main_score]
    models = report["models"]
    paired = np.subtract(
        models["tree4:distilled"]["scores"][main_score]["values"],
        models["tree4:scratch"]["scores"][main_score]["values"],
    )
    assert difference["n"] == 2 and difference["mean"] == pytest.approx(paired.mean())
    low, high = difference["ci95"]
    assert low <= difference["mean"] <= high
    # The 95% t-interval of two paired differences: mean ± t(0.975, 1)·sd/√2.
    half = student_t.ppf(0.975, 1) * np.std(paired, ddof=1) / np.sqrt(2)
    assert [low, high] == pytest.approx(
        [paired.mean() - half, paired.mean() + half], abs=1e-12
    )
    assert set(entry["distilled_minus_pseudo"]) == set(metrics)
    sentence = entry["sentence"]
    if low <= 0 <= high:
        assert "distilled − scratch" in sentence
        assert (
            sentence.split("distilled − scratch")[1]
            .split(";")[0]
            .endswith("no difference detectable")
        )
    assert sentence in markdown
    assert "![" in markdown and (out / "latency.png").stat().st_size > 10_000


#: report.json's keys in every run, and its settings without --export or a grid.
REPORT_KEYS = {
    "command",
    "scenario",
    "dataset",
    "data",
    "target",
    "task",
    "classes",
    "n_rows",
    "n_features",
    "dropped",
    "rows",
    "settings",
    "metric",
    "models",
    "differences",
    "histories",
    "compression",
    "exported",
    "teacher_passes",
    "versions",
    "wall_seconds",
}
SETTINGS = {
    "teacher",
    "students",
    "alternatives",
    "seeds",
    "test_fraction",
    "teacher_fraction",
    "n_labeled",
    "temperature",
    "alpha",
    "units",
    "widths",
    "epochs",
    "distill_epochs",
    "teacher_epochs",
    "early_stopping",
    "validation_fraction",
    "batch_size",
    "latency_repeats",
    "ways",
}


def _check_weak_teacher_lines(report, markdown):
    """A model trained on the labels alone that matches the teacher's main
    score (within its sd) is named in a Weak teacher line; no other is."""
    metric = report["metric"]
    teacher = report["models"]["teacher"]["scores"][metric]
    flagged = [
        model["label"]
        for key, model in report["models"].items()
        if model["kind"] in ("scratch", "alternative")
        and key != "sklearn:baseline"
        and model["scores"][metric]["mean"] >= teacher["mean"] - teacher["sd"]
    ]
    lines = [line for line in markdown.splitlines() if "Weak teacher" in line]
    assert len(lines) == len(flagged)
    for label, line in zip(flagged, lines, strict=True):
        assert line.startswith(f"- Weak teacher: {label}, trained on the labels")


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
    assert (report["data"], report["target"], report["n_rows"]) == (
        "table.csv.gz",
        "label",
        240,
    )
    assert set(report) >= REPORT_KEYS and set(report["settings"]) == SETTINGS
    assert report["settings"]["temperature"] == 1.0
    assert report["settings"]["ways"] == ["scratch", "pseudo", "distilled"]
    assert report["compression"] is None and report["histories"] == {}
    assert report["exported"] is None and report["teacher_passes"] >= 1
    _check_weak_teacher_lines(report, markdown)
    printed = capsys.readouterr().out
    assert "[1/3] seed 0: teacher (hgb) on 90 rows" in printed
    assert "[3/3] the report" in printed


@pytest.fixture(scope="module")
def one_seed_run(files, tmp_path_factory):
    """A run with one seed: report.json's text, the report, report.md."""
    out = tmp_path_factory.mktemp("one") / "out"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    args += [*_quick_without("--seeds"), "--seeds", "1"]
    assert main(["compare", *args, "--out", str(out)]) == 0
    text = (out / "report.json").read_text()
    return text, json.loads(text), (out / "report.md").read_text()


def test_one_seed_gives_a_difference_without_an_interval(one_seed_run):
    _, report, markdown = one_seed_run
    teacher = report["models"]["teacher"]["scores"]["roc_auc"]
    assert len(teacher["values"]) == 1 and teacher["sd"] == 0
    # One seed: a score without ± sd.
    assert f"| teacher (hgb) | {teacher['mean']:.3f} |" in markdown
    entry = report["differences"]["tree4:distilled"]
    cells = []
    for baseline in ("scratch", "pseudo"):
        difference = entry[f"distilled_minus_{baseline}"]["roc_auc"]
        assert difference["n"] == 1 and not difference["equal"], baseline
        cells += [f"{difference['mean']:+.3f}", "(one seed)"]
    assert f"| tree4 distilled | {' | '.join(cells)} |" in markdown
    sentence = entry["sentence"]
    assert sentence.startswith("tree4 distilled, ROC AUC over 1 seed: ")
    assert sentence.count("on one seed: no interval (give --seeds 2 or more") == 2
    assert f"- {sentence}" in markdown


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def test_report_json_is_strict_json(one_seed_run):
    text, _, _ = one_seed_run
    json.loads(text, parse_constant=_no_constants)


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
    # No temperature in regression; the forest's size is its trees' nodes.
    assert set(report["settings"]) == SETTINGS - {"temperature"}
    assert report["models"]["teacher"]["size"]["unit"] == "nodes"
    assert "| baseline: mean of the labels (DummyRegressor) |" in markdown
    _check_weak_teacher_lines(report, markdown)


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
    args += ["--epochs", "2", "--units", "4", "--students", "mlp", "--seeds", "1"]
    args += ["--labeled", "40", "--latency-repeats", "1", "--verbose", "0"]
    assert main(["compare", *args, "--out", str(out)]) == 0
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
        (["--students", "tree4"], "applies to your own table"),
        (
            ["--data", "{tmp}/ok.csv", "--target", "label", "--teacher-model", "svc"],
            "svc is not a teacher for a table",
        ),
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
    # Up to 20 whole numbers are classes; 21 are a quantity.
    assert infer_task(pd.Series(np.arange(15).repeat(2))) == "classification"
    assert infer_task(pd.Series(np.arange(20.0))) == "classification"
    assert infer_task(pd.Series(np.arange(21))) == "regression"


# --- the rule of the task, the draw of the rows, the intervals, the latency -----


def _quick_without(option):
    """:data:`QUICK` less ``option`` and its value."""
    at = QUICK.index(option)
    return QUICK[:at] + QUICK[at + 2 :]


def _class_frame(counts, seed=0):
    """Two numbers and a text column; classes ``0, 1, ...`` of the given sizes,
    in blocks of a noisy signal. ``x0`` is different on every row: it names
    the row."""
    rng = np.random.default_rng(seed)
    n = sum(counts)
    frame = pd.DataFrame(rng.normal(size=(n, 2)), columns=["x0", "x1"])
    frame["band"] = rng.choice(["low", "mid", "high"], size=n)
    order = np.argsort(frame["x0"] + frame["x1"] + 0.3 * rng.normal(size=n))
    label = np.empty(n, dtype=int)
    label[order] = np.repeat(np.arange(len(counts)), counts)
    frame["label"] = label
    assert frame["x0"].is_unique
    return frame


def test_an_integer_target_with_15_values_is_classes(tmp_path, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    # Fifteen classes make 15 trees a round: five rounds keep the teacher and
    # the hgb alternative quick; the rule of the task is what is tested.
    original = HistGradientBoostingClassifier.fit

    def quick(self, X, y, *args, **kwargs):
        self.max_iter = 5
        return original(self, X, y, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", quick)
    path = tmp_path / "classes.csv"
    _class_frame([20] * 15).to_csv(path, index=False)
    report, _ = _run(["--data", str(path), "--target", "label"], tmp_path / "out")
    assert report["task"] == "classification"
    assert report["classes"] == list(range(15))
    assert set(report["models"]["teacher"]["scores"]) == {
        "roc_auc",
        "accuracy",
        "log_loss",
    }


def _record(monkeypatch, cls, method, calls, **params):
    """Replace ``cls.method`` by one that adds ``(self, X, y, kwargs)`` to
    ``calls``, sets ``params`` on ``self``, then does what it did."""
    original = getattr(cls, method)

    def recorded(self, X, *args, **kwargs):
        calls.append((self, X.copy(), args[0] if args else None, kwargs))
        for name, value in params.items():
            setattr(self, name, value)
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(cls, method, recorded)


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    """A run on a table of four classes of 160, 120, 80 and 40 rows, with
    what every histogram-boosting fit (the hgb teacher, the hgb alternative)
    and every distilled student's fit and predict_proba were given."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skdistill import DistilledClassifier

    folder = tmp_path_factory.mktemp("recorded")
    frame = _class_frame([160, 120, 80, 40])
    frame.to_csv(folder / "four.csv", index=False)
    calls = {"hgb_fit": [], "fit": [], "predict_proba": []}
    with pytest.MonkeyPatch.context() as monkeypatch:
        # Ten rounds of boosting keep the run quick; the rows are the point.
        _record(
            monkeypatch,
            HistGradientBoostingClassifier,
            "fit",
            calls["hgb_fit"],
            max_iter=10,
        )
        _record(monkeypatch, DistilledClassifier, "fit", calls["fit"])
        _record(
            monkeypatch, DistilledClassifier, "predict_proba", calls["predict_proba"]
        )
        args = ["--data", str(folder / "four.csv"), "--target", "label"]
        report, _ = _run(args, folder / "out")
    label_of = dict(zip(frame["x0"], frame["label"], strict=True))
    return report, calls, label_of


def _ids(X):
    return set(X["x0"].tolist())


def _seeds(calls):
    """What each seed's models were given, by seed: ``test`` (the ids of the
    rows the students were scored on), ``hgb`` (the rows of each boosting
    fit: the teacher's and the hgb alternative's) and ``labeled`` (the rows
    and labels of the distilled student's fit). A seed's models all have
    ``random_state=seed``."""
    seeds = sorted({model.random_state for model, *_ in calls["hgb_fit"]})
    assert len(seeds) == 2
    found = {}
    for seed in seeds:
        scored = [
            X for model, X, *_ in calls["predict_proba"] if model.random_state == seed
        ]
        labeled = [
            (X, y)
            for model, X, y, kwargs in calls["fit"]
            if model.random_state == seed and kwargs.get("X_unlabeled") is not None
        ]
        assert len(labeled) == 1
        found[seed] = {
            "test": set().union(*map(_ids, scored)),
            "hgb": [
                X for model, X, *_ in calls["hgb_fit"] if model.random_state == seed
            ],
            "labeled": labeled[0],
        }
    return found


def test_the_preset_teacher_never_sees_the_test_rows(recorded_run):
    report, calls, _ = recorded_run
    for seed, given in _seeds(calls).items():
        test = given["test"]
        assert len(test) == report["rows"]["n_test"]
        for X in given["hgb"]:
            seen = len(_ids(X) & test)
            assert not seen, f"seed {seed}: fitted on {seen} of the test rows"
        # The teacher and the hgb alternative (on the 40 labels).
        assert sorted(map(len, given["hgb"])) == [40, report["rows"]["n_teacher"]]


def test_every_part_of_the_rows_is_drawn_stratified(recorded_run):
    # 40%, 30%, 20% and 10% of 400 rows: stratified, every part holds the
    # classes in those shares exactly, the rarest class 4 of the 40 labels.
    report, calls, label_of = recorded_run
    rows = report["rows"]
    assert (rows["n_test"], rows["n_teacher"], rows["n_labeled"]) == (100, 150, 40)

    def counts(ids):
        return np.bincount([label_of[i] for i in ids], minlength=4).tolist()

    shares = np.array([4, 3, 2, 1])
    for seed, given in _seeds(calls).items():
        assert counts(given["test"]) == (10 * shares).tolist(), f"seed {seed}: test"
        (teacher,) = [X for X in given["hgb"] if len(X) == 150]
        assert counts(_ids(teacher)) == (15 * shares).tolist(), f"seed {seed}: teacher"
        X, y = given["labeled"]
        assert np.bincount(y, minlength=4).tolist() == (4 * shares).tolist(), seed
        assert counts(_ids(X)) == (4 * shares).tolist(), f"seed {seed}: labeled"


def test_labeled_by_default_is_half_the_owners_rows(files, tmp_path):
    # 240 rows: 60 test rows, 90 for the teacher, 90 the owner's, of which
    # half (fewer than 500) are labeled and the others are transfer rows.
    out = tmp_path / "auto"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    assert (
        main(["compare", *args, *_quick_without("--labeled"), "--out", str(out)]) == 0
    )
    report = json.loads((out / "report.json").read_text())
    rows = report["rows"]
    assert (rows["n_test"], rows["n_teacher"]) == (60, 90)
    assert rows["n_labeled"] == 45 and rows["n_transfer"] == 45
    assert report["settings"]["n_labeled"] == 45


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_paired_interval_is_the_t_interval_at_every_size(n):
    from skdistill.cli._stats import paired_interval

    d = np.random.default_rng(n).normal(0.05, 0.02, size=n)
    sd = np.std(d, ddof=1)
    for level in (0.95, 0.9):
        half = student_t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
        interval = paired_interval(d, level=level)
        assert interval["n"] == n and interval["mean"] == pytest.approx(d.mean())
        assert interval["ci95"] == pytest.approx([d.mean() - half, d.mean() + half])


def _sleepy(seconds_per_row, calls):
    """A predict that takes ``seconds_per_row`` for each row it is given."""

    def predict(X):
        calls.append(len(X))
        time.sleep(seconds_per_row * len(X))
        return np.zeros(len(X))

    return predict


def test_latency_is_of_1000_rows_in_milliseconds():
    from skdistill.cli._evaluation import latency

    calls = []
    X = np.zeros((60, 3))
    # 20 µs a row: at least 20 ms for 1,000 rows, 0.02 ms for one.
    ms = latency(_sleepy(2e-5, calls), X, repeats=3)["median"]
    assert set(calls) == {1000}
    assert 20 <= ms < 2000


def test_reported_latency_is_per_1000_rows(files, tmp_path, monkeypatch):
    # Each tree student's predict_proba is made to take 20 µs a row: 20 ms
    # for 1,000 rows at the least, whatever the machine.
    from sklearn.tree import DecisionTreeClassifier

    original = DecisionTreeClassifier.predict_proba

    def slow(self, X, *args, **kwargs):
        time.sleep(2e-5 * X.shape[0])
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeClassifier, "predict_proba", slow)
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    report, markdown = _run(args, tmp_path / "slow")
    for way in ("scratch", "pseudo", "distilled"):
        latency = report["models"][f"tree4:{way}"]["latency_ms_per_1000"]
        assert 20 <= latency < 2000, (way, latency)


def test_help_and_imports_stay_light():
    code = (
        "import sys; import skdistill.cli._main as m; "
        "from skdistill.cli import _command; "
        "from skdistill.cli._engine import _fits, _report, _run; "
        "exit_ = None\n"
        "try: m.main(['compare', '--help'])\n"
        "except SystemExit as e: exit_ = e.code\n"
        "assert exit_ == 0, exit_\n"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # argparse may wrap a line after a hyphen.
    text = " ".join(done.stdout.split()).replace("- ", "-")
    assert "--target COLUMN" in text and "runs the code it holds" in text
    assert "(default: tree4,tree8,hgb-small,linear)" in text


def test_a_continuous_target_taken_as_classes_is_one_short_line(tmp_path, capsys):
    frame = _frame()
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    args = ["--data", str(path), "--target", "amount", "--task", "classification"]
    assert main(["compare", *args, *QUICK, "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and len(error[0]) < 400, error
    assert "continuous target" in error[0] and "--task regression" in error[0]
    assert not out.exists(), "a failed run leaves no folder behind"


def test_export_writes_what_the_report_says(files, tmp_path):
    import joblib
    import onnxruntime

    out, export = tmp_path / "run", tmp_path / "export"
    args = ["--data", str(files["csv"]), "--target", "label", "--drop", "amount"]
    report, markdown = _run([*args, "--export", str(export)], out)
    shipped = report["models"]["tree4:distilled"]["shipped"]
    assert shipped["onnx_bytes"] == (export / "tree4.onnx").stat().st_size
    for n_rows in ("1", "1000"):
        latency = shipped["onnx_latency_ms"][n_rows]
        assert 0 < latency["median"] <= latency["p99"]
    assert report["exported"] == {"tree4": {"tree4.onnx": None, "tree4.joblib": None}}
    assert "joblib.load('tree4.joblib')" in markdown
    assert "| tree4 distilled | ONNX graph, ONNX Runtime, 1 thread |" in markdown
    assert f"Exported to `{export}`:" in markdown
    # What was written predicts alike, loaded as the report says.
    frame = pd.read_csv(files["csv"]).drop(columns=["label", "amount"])
    frame["band"] = frame["band"].astype("category")
    exported = joblib.load(export / "tree4.joblib")
    session = onnxruntime.InferenceSession(str(export / "tree4.onnx"))
    feed = {
        name: frame[[name]].to_numpy(np.float32)
        if name != "band"
        else frame[[name]].astype(str).to_numpy(object)
        for name in frame.columns
    }
    labels = session.run(["label"], feed)[0]
    assert np.array_equal(labels, exported.predict(frame))
