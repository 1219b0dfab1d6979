"""Every benchmark runs: ``python benchmarks/<script> --quick`` exits 0 and reports.

A benchmark that nothing runs breaks unnoticed (a moved name, a changed
signature); these run each one's quick mode (small data, seconds) the way a
reader would, from the repository's root, and check a few of its figures.
The real tables are read from ``../shared/data`` beside the checkout.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# script -> (keys of its JSON, or None if it writes none; lines it prints)
BENCHMARKS = {
    "bench_boosting_limits.py": (None, ["teacher accuracy", "of the teacher's"]),
    "bench_convergence.py": (["results", "summary"], ["fit time ratio"]),
    "bench_dask_search.py": (
        ["serial_s", "dask_s", "loopback_bytes", "dask_equals_serial"],
        ["dask, ScatteredTeacher"],
    ),
    "bench_dask_transfer.py": (
        ["config", "synthetic", "real", "differences"],
        ["| labelling | time (s) |", "### lending: in-memory against Dask"],
    ),
    "bench_distill.py": (["config", "results", "ratios"], ["| method | time (s) |"]),
    "bench_out_of_core.py": (None, ["target: memmap peak above post-import RSS"]),
    "bench_regression.py": (
        ["config", "records", "summary", "differences"],
        ["### friedman", "### nass", "| student | method | R² | RMSE |"],
    ),
    "bench_serving.py": (
        ["config", "teachers", "records"],
        ["### digits, teacher rf", "### Ratios"],
    ),
    "bench_students.py": (
        ["config", "records", "summary", "targets", "timing_with_teacher_pass"],
        ["### synthetic", "### Sweep", "TARGET (1)", "| teacher | student |"],
    ),
    "bench_tables.py": (
        ["config", "records", "summary", "differences"],
        ["### nass", "| student | path | method | ROC AUC |"],
    ),
    "bench_teacher_cv.py": (["accuracy"], ["| teacher | teacher |"]),
    "bench_transfer.py": (
        ["config", "per_seed", "summary", "targets"],
        ["| method | test accuracy (mean ± sd) |"],
    ),
}


def test_every_benchmark_is_listed():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("bench_*.py")}
    assert scripts == set(BENCHMARKS)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(BENCHMARKS))
def test_benchmark_quick(script, tmp_path):
    keys, lines = BENCHMARKS[script]
    out = tmp_path / "figures.json"
    command = [sys.executable, f"benchmarks/{script}", "--quick", "--json", str(out)]
    if script == "bench_boosting_limits.py":
        command = command[:3]
    if script == "bench_out_of_core.py":
        command += ["--dir", str(tmp_path / "data")]
    # One thread each: on a shared machine OpenMP's spinning threads would
    # make a fit of seconds take minutes.
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **threads}
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in lines:
        assert line in done.stdout, done.stdout[-3000:]
    if keys is not None:
        figures = json.loads(out.read_text())
        assert set(keys) <= set(figures)
    elif script == "bench_out_of_core.py":
        assert json.loads(out.read_text())[0]["peak_kib"] > 0
