"""bench_tables' tables: per table, the fits and two kinds of paired differences."""

import math

import numpy as np
from _data import TABLES
from _harness import has_interval, paired, print_warnings
from _harness import summarize as summarize_records

PATHS = ("frame", "onehot")
STUDENTS = ("tree", "hgb20", "mlp")
BASELINES = ("hgb", "mlp_sklearn")
METHODS = ("labels", "distilled")
METRICS = ("roc_auc", "log_loss", "accuracy")
FIGURES = (*METRICS, "pickled_bytes", "size", "predict_ms_per_1000", "fit_seconds")


def summarize(records):
    """Mean and sd (``ddof=1``; NaN for one seed) of each (dataset, path,
    student, method)."""
    keys = ("dataset", "path", "student", "method")
    return summarize_records(records, keys, FIGURES, single_sd=float("nan"))


def _paired(by_key, key_a, key_b, seeds):
    rows_a = [by_key[(*key_a, s)] for s in seeds]
    return paired(rows_a, [by_key[(*key_b, s)] for s in seeds], METRICS)


def differences(records):
    """Paired by seed: distilled − labels; frame − onehot."""
    by_key = {
        (r["dataset"], r["path"], r["student"], r["method"], r["seed"]): r
        for r in records
    }
    seeds_of = {}
    for dataset, path, student, method, seed in by_key:
        seeds_of.setdefault((dataset, path, student, method), set()).add(seed)
    found = []
    for dataset, path, student, method in sorted(seeds_of):
        if method != "distilled":
            continue
        seeds = sorted(
            seeds_of[(dataset, path, student, "distilled")]
            & seeds_of.get((dataset, path, student, "labels"), set())
        )
        if seeds:
            found.append(
                {
                    "kind": "distilled − labels",
                    "dataset": dataset,
                    "path": path,
                    "student": student,
                    "seeds": seeds,
                    **_paired(
                        by_key,
                        (dataset, path, student, "distilled"),
                        (dataset, path, student, "labels"),
                        seeds,
                    ),
                }
            )
    for dataset, path, student, method in sorted(seeds_of):
        if path != "frame" or (dataset, "onehot", student, method) not in seeds_of:
            continue
        seeds = sorted(
            seeds_of[(dataset, "frame", student, method)]
            & seeds_of[(dataset, "onehot", student, method)]
        )
        found.append(
            {
                "kind": "frame − onehot",
                "dataset": dataset,
                "student": student,
                "method": method,
                "seeds": seeds,
                **_paired(
                    by_key,
                    (dataset, "frame", student, method),
                    (dataset, "onehot", student, method),
                    seeds,
                ),
            }
        )
    return found


def _pm(entry, figure, digits, scale=1.0):
    mean, sd = entry[f"{figure}_mean"], entry[f"{figure}_sd"]
    if math.isnan(sd):
        return f"{scale * mean:.{digits}f}"
    return f"{scale * mean:.{digits}f} ± {scale * sd:.{digits}f}"


def results_table(summary, dataset):
    order = {s: i for i, s in enumerate(("teacher", *STUDENTS, *BASELINES))}
    methods = {m: i for i, m in enumerate(("teacher", *METHODS, "baseline"))}
    rows = sorted(
        (s for s in summary if s["dataset"] == dataset),
        key=lambda s: (
            order[s["student"]],
            PATHS.index(s["path"]),
            methods[s["method"]],
        ),
    )
    lines = [
        "| student | path | method | ROC AUC | log-loss | accuracy % | pickled KB "
        "| nodes / weights | predict ms/1k | fit s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        lines.append(
            f"| {s['student']} | {s['path']} | {s['method']} | "
            f"{_pm(s, 'roc_auc', 4)} | {_pm(s, 'log_loss', 4)} | "
            f"{_pm(s, 'accuracy', 2, 100)} | {s['pickled_bytes_mean'] / 1024:,.1f} | "
            f"{s['size_mean']:,.0f} | {_pm(s, 'predict_ms_per_1000', 2)} | "
            f"{_pm(s, 'fit_seconds', 2)} |"
        )
    return "\n".join(lines)


def _interval(d, metric, digits, scale=1.0):
    low, high = d[metric]["ci95"]
    mean = scale * d[metric]["mean"]
    if not has_interval(d[metric]):
        return f"{mean:+.{digits}f}"
    return f"{mean:+.{digits}f} [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"


def verdict(d, metric, better, worse):
    """``better`` when the interval is above 0 for AUC, below 0 for log-loss."""
    low, high = d[metric]["ci95"]
    if not has_interval(d[metric]):
        return "one seed, no interval"
    if not d[metric]["detectable"]:
        return "no difference detectable"
    higher = low > 0
    return better if higher == (metric != "log_loss") else worse


def differences_table(found, dataset, kind):
    label = "path" if kind == "distilled − labels" else "method"
    lines = [
        f"| student | {label} | Δ ROC AUC [95% CI] | Δ log-loss [95% CI] | "
        "Δ accuracy, points [95% CI] | AUC | log-loss |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    words = {
        "distilled − labels": ("distilled better", "distilled worse"),
        "frame − onehot": ("frame better", "frame worse"),
    }[kind]
    for d in found:
        if d["dataset"] != dataset or d["kind"] != kind:
            continue
        lines.append(
            f"| {d['student']} | {d[label]} | {_interval(d, 'roc_auc', 4)} | "
            f"{_interval(d, 'log_loss', 4)} | {_interval(d, 'accuracy', 2, 100)} | "
            f"{verdict(d, 'roc_auc', *words)} | {verdict(d, 'log_loss', *words)} |"
        )
    return "\n".join(lines)


def report(args, records, heads, summary, found, teacher_early_stopping):
    """The markdown tables, on stdout."""
    print(
        f"Seeds {list(range(args.seeds))}; mean ± sd (ddof=1) over seeds. Teacher: "
        "HistGradientBoostingClassifier(categorical_features='from_dtype', "
        f"early_stopping={teacher_early_stopping!r})"
        " on the teacher rows (frame: native categories; onehot: the one-hot "
        "matrix). "
        f"Distilled: alpha={args.alpha:g}, with the unlabeled rows; "
        f"scikit-learn students T={args.temperature:g}, network "
        f"T={args.keras_temperature:g}, at most {args.epochs} epochs. Labels: the "
        "student on the owner's labels alone. Pickled KB: what predicts from the "
        "raw rows, without the teacher. Predict time on 1,000 raw rows; fit times "
        "exclude the teacher's pass."
    )
    for dataset in heads:
        spec = TABLES[dataset]
        print(
            f"\n### {dataset} ({spec['file']}, target {spec['target']}="
            f"{spec['positive']}): {heads[dataset]}\n"
        )
        for path_name in PATHS:
            aucs = [
                r["roc_auc"]
                for r in records
                if r["dataset"] == dataset
                and r["path"] == path_name
                and r["method"] == "teacher"
            ]
            print(
                f"Teacher on the {path_name} path: ROC AUC {np.mean(aucs):.4f}"
                + (f" ± {np.std(aucs, ddof=1):.4f}" if len(aucs) > 1 else "")
            )
        heavy = [
            r["pickled_bytes_with_teacher"] / r["pickled_bytes"]
            for r in records
            if r["dataset"] == dataset and "pickled_bytes_with_teacher" in r
        ]
        print(
            "A plain pickle of a distilled student carries its teacher: "
            f"{min(heavy):.1f} to {max(heavy):.1f} times the bytes below.\n"
        )
        print(results_table(summary, dataset))
        print(f"\nPaired differences over seeds, distilled − labels ({dataset}):\n")
        print(differences_table(found, dataset, "distilled − labels"))
        print(
            f"\nPaired differences over seeds, frame − onehot, same rows ({dataset}):\n"
        )
        print(differences_table(found, dataset, "frame − onehot"))
    print_warnings(records, lambda r: f"{r['student']} {r['path']} {r['method']}")
