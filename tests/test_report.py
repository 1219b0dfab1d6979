"""Report plots draw to files without touching the caller's matplotlib backend."""

import matplotlib
import pytest

from skdistill.cli._report import plot_learning_curves, plot_sweep


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


def test_plots_keep_the_callers_backend(tmp_path, svg_backend):
    histories = {name: _history(3) for name in ("teacher", "scratch", "distilled")}
    plot_learning_curves(histories, tmp_path / "curves.png", "title")
    report = {
        "dataset": "digits",
        "teacher_accuracy": 0.95,
        "grid": [
            {"temperature": t, "alpha": a, "accuracy": 0.9}
            for t in (1.0, 4.0)
            for a in (0.1, 1.0)
        ],
    }
    plot_sweep(report, tmp_path / "sweep.png")
    assert matplotlib.get_backend() == "svg"
    for name in ("curves.png", "sweep.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
