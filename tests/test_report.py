"""The report's figures draw to files from report.json's content, without
touching the caller's matplotlib backend."""

import matplotlib
import pytest

from skdistill.cli._engine._plots import draw


@pytest.fixture
def svg_backend():
    # A backend other than Agg stands for a notebook's: it must stay chosen.
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield
    matplotlib.use(before)


def _history(n):
    return {
        "accuracy": [0.5 + i / 100 for i in range(n)],
        "val_accuracy": [0.4 + i / 100 for i in range(n)],
        "val_hard_loss": [1.0 - i / 100 for i in range(n)],
    }


def _model(kind, label, accuracy, **extra):
    scores = {"accuracy": {"mean": accuracy, "sd": 0.01, "values": [accuracy]}}
    return {
        "kind": kind,
        "label": label,
        "scores": scores,
        "latency_ms_per_1000": 2.0,
        **extra,
    }


def _report():
    """What the figures read of a sweep's report, with a compression curve."""
    models = {
        "teacher": _model("teacher", "teacher (mlp)", 0.95),
        "mlp:scratch": _model("scratch", "mlp from scratch", 0.85),
        "sklearn:baseline": _model("alternative", "baseline: prior", 0.1),
    }
    for t in (1.0, 4.0):
        models[f"mlp:distilled(T={t:g},alpha=0.1)"] = _model(
            "distilled",
            f"mlp distilled (T={t:g}, alpha=0.1)",
            0.9,
            settings={"temperature": t, "alpha": 0.1},
        )
    return {
        "command": "sweep",
        "data": "digits",
        "metric": "accuracy",
        "rows": {"n_labeled": 100},
        "settings": {"teacher": "mlp", "temperature": 4.0, "alpha": 0.1},
        "models": models,
        "histories": {key: _history(3) for key in list(models)[:2]},
        "compression": [
            {"units": u, "parameters": 10 * u, "scratch": 0.8, "distilled": 0.9}
            for u in (8, 16)
        ],
    }


def test_figures_keep_the_callers_backend(tmp_path, svg_backend):
    plots = draw(_report(), tmp_path)
    assert sorted(plots.values()) == [
        "compression.png",
        "latency.png",
        "learning_curves.png",
        "sweep.png",
    ]
    assert matplotlib.get_backend() == "svg"
    for name in plots.values():
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_draws_only_the_figures_it_has_data_for(tmp_path):
    report = dict(_report(), command="compare", histories={}, compression=None)
    assert draw(report, tmp_path) == {"accuracy against predict latency": "latency.png"}
    assert [path.name for path in tmp_path.iterdir()] == ["latency.png"]
