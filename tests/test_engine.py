"""The command's experiment engine, piece by piece, without training a model:
the options to an experiment, each seed's draw of the rows, the summary over
seeds and the report's tables."""

import numpy as np
import pytest
from scipy.stats import t as student_t

from skdistill.cli._command import experiment_from, scenario_of
from skdistill.cli._engine._data import Dataset, draw_split, seed_rows
from skdistill.cli._engine._experiment import configuration
from skdistill.cli._engine._report import differences_table
from skdistill.cli._engine._summary import student_differences, teacher_checks
from skdistill.cli._errors import CommandError
from skdistill.cli._parser import build_parser

# --- options to an experiment ---------------------------------------------------


def _experiment(*argv):
    args = build_parser().parse_args(list(argv))
    scenario = scenario_of(args)
    return experiment_from(args, scenario, given_teacher=None, verbose=0)


@pytest.mark.parametrize(
    "argv, scenario, teacher, students, n_seeds",
    [
        (["compare"], "transfer", "svc", ("mlp",), 5),
        (["compare", "--scenario", "same-labels"], "same-labels", "mlp", ("mlp",), 1),
        (["compare", "--dataset", "mnist"], "same-labels", "notebook-cnn", None, 1),
        (
            ["compare", "--data", "t.csv", "--target", "y"],
            "table",
            "hgb",
            ("tree4", "tree8", "hgb-small", "linear"),
            3,
        ),
        (["sweep"], "same-labels", "mlp", ("mlp",), 1),
    ],
)
def test_each_run_starts_from_its_configuration(
    argv, scenario, teacher, students, n_seeds
):
    experiment = _experiment(*argv)
    assert experiment.configuration == scenario
    assert experiment.teacher == teacher and len(experiment.seeds) == n_seeds
    assert students is None or experiment.students == students


def test_options_replace_the_configurations_settings():
    experiment = _experiment(
        "compare", "--seed", "3", "--seeds", "2", "--units", "8", "--widths", "8", "16"
    )
    assert experiment.seeds == (3, 4)
    assert (experiment.units, experiment.widths) == (8, (8, 16))
    # What was not given keeps the transfer configuration's default.
    defaults = configuration("transfer")
    assert experiment.n_labeled == defaults.n_labeled == 100
    assert experiment.temperature == defaults.temperature == 4.0
    # --models sets the same-labels pair; --unlabeled labels all the owner's rows.
    pair = _experiment("compare", "--scenario", "same-labels", "--models", "mlp")
    assert (pair.teacher, pair.students) == ("mlp", ("mlp",))
    table = _experiment("compare", "--data", "t.csv", "--target", "y")
    assert table.n_labeled == "auto"
    table = _experiment(
        "compare", "--data", "t.csv", "--target", "y", "--unlabeled", "u.csv"
    )
    assert table.n_labeled is None


def test_sweep_grid_leaves_alpha_1_to_the_student_from_scratch():
    experiment = _experiment(
        "sweep", "--temperatures", "1", "4", "--alphas", "0.1", "0.5", "1.0"
    )
    assert experiment.grid == ((1.0, 0.1), (4.0, 0.1), (1.0, 0.5), (4.0, 0.5))
    assert experiment.distilled_settings() == experiment.grid
    assert experiment.ways == ("scratch",)
    assert _experiment("sweep", "--alphas", "0.1").ways == ()


@pytest.mark.parametrize(
    "argv", [["compare"], ["compare", "--data", "t.csv", "--target", "y"]]
)
def test_epochs_are_every_students_epochs_where_distill_epochs_is_refused(argv):
    experiment = _experiment(*argv, "--epochs", "3")
    assert experiment.student_epochs("scratch") == 3
    assert experiment.student_epochs("distilled") == 3


# --- each seed's rows --------------------------------------------------------------


def _classes(counts):
    """A data set of one feature (the row's number) and classes 0, 1, ...
    of the given sizes."""
    y = np.repeat(np.arange(len(counts)), counts)
    return Dataset(np.arange(len(y))[:, np.newaxis], y, "classification", "t")


def _table_experiment(**changes):
    from dataclasses import replace

    return replace(configuration("table"), **changes)


def test_the_teacher_and_the_owner_never_get_the_test_rows():
    data = _classes([160, 120, 80, 40])
    experiment = _table_experiment(n_labeled=40)
    tests = []
    for seed in (0, 1):
        split = draw_split(data, experiment, seed)
        parts = [split.test, split.teacher, split.labeled, split.transfer]
        assert [len(part) for part in parts] == [100, 150, 40, 110]
        # Disjoint, and every row in one part.
        rows = np.concatenate(parts)
        assert len(np.unique(rows)) == len(rows) == len(data.y)
        tests.append(set(split.test.tolist()))
        # The arrays the models read are those rows.
        seeded = seed_rows(data, split)
        assert set(seeded.X_teacher[:, 0]).isdisjoint(tests[-1])
        np.testing.assert_array_equal(seeded.y_test, data.y[split.test])
    assert tests[0] != tests[1], "each seed redraws its test rows"


def test_every_part_is_stratified():
    # 40%, 30%, 20% and 10% of 400 rows: every part holds those shares exactly.
    data = _classes([160, 120, 80, 40])
    shares = np.array([4, 3, 2, 1])
    for seed in (0, 1):
        split = draw_split(data, _table_experiment(n_labeled=40), seed)
        for part, scale in (("test", 10), ("teacher", 15), ("labeled", 4)):
            counts = np.bincount(data.y[getattr(split, part)], minlength=4)
            assert counts.tolist() == (scale * shares).tolist(), (seed, part)


def test_labeled_auto_is_half_the_owners_rows_up_to_500():
    small = draw_split(_classes([120, 120]), _table_experiment(), 0)
    # 240 rows: 60 test rows, 90 teacher rows and 90 of the owner's.
    assert (len(small.test), len(small.teacher)) == (60, 90)
    assert len(small.labeled) == len(small.transfer) == 45
    large = draw_split(_classes([2000, 2000]), _table_experiment(), 0)
    assert len(large.labeled) == 500 and len(large.transfer) == 1000


def test_digits_rows_of_each_scenario():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    digits = Dataset(X, y, "classification", "digits")
    split = draw_split(digits, configuration("transfer"), 0)
    assert len(split.test) == 450, "a quarter of the whole digits set"
    assert (len(split.teacher), len(split.labeled)) == (673, 100)
    # Same labels: the teacher learns from the owner's labeled rows, all of them.
    same = draw_split(digits, configuration("same-labels", "digits"), 0)
    np.testing.assert_array_equal(same.teacher, same.labeled)
    assert len(same.transfer) == 0 and len(same.test) == 450


def test_labeling_every_owners_row_needs_transfer_rows():
    experiment = _table_experiment(n_labeled=1000)
    with pytest.raises(CommandError, match="leaves no transfer rows"):
        draw_split(_classes([200, 200]), experiment, 0)
    # Unless the transfer rows come from --unlabeled.
    split = draw_split(_classes([200, 200]), experiment, 0, unlabeled=True)
    assert len(split.labeled) == 150 and len(split.transfer) == 0


def test_a_class_too_rare_to_stratify_is_named():
    with pytest.raises(CommandError, match="stratified by the target") as error:
        draw_split(_classes([300, 1]), _table_experiment(n_labeled=40), 0)
    assert "has 1 of these 301 rows" in str(error.value)
    assert "merge or drop the rarest classes" in str(error.value)


# --- the summary over seeds --------------------------------------------------------


def _records(values):
    """A seed's records: each model's scores, from ``values`` by model key."""
    return {
        key: {"scores": {"accuracy": accuracy, "roc_auc": auc, "log_loss": loss}}
        for key, (accuracy, auc, loss) in values.items()
    }


LABELS = {"teacher": "teacher (svc)", "mlp:scratch": "mlp from scratch"}
LABELS["mlp:distilled"] = "mlp distilled"


def _report(seeds):
    differences = student_differences(seeds, LABELS, "classification", "accuracy")
    models = {key: {"label": label} for key, label in LABELS.items()}
    report = {"metric": "accuracy", "models": models, "differences": differences}
    return differences["mlp:distilled"], differences_table(report)


def test_differences_are_paired_t_intervals():
    seeds = [
        _records({"mlp:scratch": (0.5, 0.8, 1.0), "mlp:distilled": (0.6, 0.9, 0.9)}),
        _records({"mlp:scratch": (0.7, 0.8, 1.0), "mlp:distilled": (0.9, 0.9, 0.9)}),
        _records({"mlp:scratch": (0.6, 0.8, 1.0), "mlp:distilled": (0.75, 0.9, 0.9)}),
    ]
    entry, table = _report(seeds)
    accuracy = entry["distilled_minus_scratch"]["accuracy"]
    d = np.array([0.1, 0.2, 0.15])
    half = student_t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert accuracy["n"] == 3 and not accuracy["equal"]
    assert accuracy["ci95"] == pytest.approx([0.15 - half, 0.15 + half])
    low, high = (100 * v for v in accuracy["ci95"])
    assert table[-1] == f"| mlp distilled | +15.0 | [{low:+.1f}, {high:+.1f}] |"
    assert entry["sentence"] == (
        f"mlp distilled, accuracy over 3 seeds: distilled − scratch +15.0 points "
        f"(95% interval [{low:+.1f}, {high:+.1f}]): distillation is better."
    )


def test_one_seed_has_a_difference_but_no_interval():
    seeds = [
        _records({"mlp:scratch": (0.5, 0.8, 1.0), "mlp:distilled": (0.6, 0.9, 0.9)})
    ]
    entry, table = _report(seeds)
    assert entry["distilled_minus_scratch"]["accuracy"]["n"] == 1
    assert table[-1] == "| mlp distilled | +10.0 | (one seed) |"
    assert "+10.0 points on one seed: no interval (give --seeds 2" in entry["sentence"]


def test_coinciding_fits_are_equal_not_an_interval():
    same = (0.6, 0.9, 0.9)
    seeds = [_records({"mlp:scratch": same, "mlp:distilled": same})] * 2
    entry, table = _report(seeds)
    assert entry["distilled_minus_scratch"]["accuracy"]["equal"] is True
    assert table[-1] == "| mlp distilled | equal | (same fit) |"
    assert (
        "distilled = scratch on every seed (the two fits coincide"
        in (entry["sentence"])
    )


def test_fits_that_only_tie_on_accuracy_are_not_called_the_same_fit():
    seeds = [
        _records({"mlp:scratch": (0.6, 0.8, 1.0), "mlp:distilled": (0.6, 0.9, 0.9)})
    ] * 2
    entry, table = _report(seeds)
    assert "(same fit)" not in table[-1]
    assert "coincide" not in entry["sentence"]


def _model(kind, mean, sd=0.01, label="m"):
    stats = {"mean": mean, "sd": sd, "values": [mean - sd, mean + sd]}
    return {"kind": kind, "label": label, "scores": {"roc_auc": stats}}


def test_a_teacher_that_labels_alone_match_is_flagged():
    models = {
        "teacher": _model("teacher", 0.70, sd=0.02),
        "tree4:scratch": _model("scratch", 0.60, label="tree4 from scratch"),
        "tree4:distilled": _model("distilled", 0.75),
        "sklearn:baseline": _model("alternative", 0.5, label="baseline: prior"),
        "sklearn:linear": _model("alternative", 0.69, label="LogisticRegression()"),
    }
    lines = teacher_checks(models, "roc_auc")
    assert lines[0].startswith("- Baseline: prior alone score ROC AUC 0.500")
    (flag,) = [line for line in lines if "Weak teacher" in line]
    assert "LogisticRegression()" in flag and "matches" in flag
    # Distilled students may beat the teacher; that flags nothing.
    assert "tree4" not in flag
    models["sklearn:linear"] = _model("alternative", 0.6)
    assert not [line for line in teacher_checks(models, "roc_auc") if "Weak" in line]
    models["tree4:scratch"] = _model("scratch", 0.71, label="tree4 from scratch")
    (flag,) = [line for line in teacher_checks(models, "roc_auc") if "Weak" in line]
    assert "tree4 from scratch" in flag and "beats" in flag
