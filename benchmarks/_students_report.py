"""bench_students' tables: per data set, the sweep, and the three targets."""

from _data import PROBLEM, TABLES
from _harness import spread

DATASETS = ("synthetic", "nass", "lending")
TEACHERS = ("hgb", "rf")
STUDENTS = ("tree4", "tree8", "hgb20", "hgb100", "logreg", "mlp")
METHODS = ("labels", "pseudo", "distilled", "distilled_unlabeled", "distilled_munge")
DISTILLED = ("distilled", "distilled_unlabeled", "distilled_munge")
METRICS = (
    "accuracy",
    "roc_auc",
    "log_loss",
    "agreement",
    "size",
    "predict_ms_per_1000",
    "fit_seconds",
)


def _percent(values):
    """Mean ± sd (ddof=0) of shares, in percent."""
    mean, sd = spread(values, population=True)
    return f"{100 * mean:.2f} ± {100 * sd:.2f}"


def _pm(entry, metric, scale=1.0, digits=2):
    if f"{metric}_mean" not in entry:
        return ""
    return (
        f"{scale * entry[metric + '_mean']:.{digits}f} ± "
        f"{scale * entry[metric + '_sd']:.{digits}f}"
    )


def dataset_table(summary, dataset, config, binary):
    rows = [
        s
        for s in summary
        if s["dataset"] == dataset
        and (s["method"] not in DISTILLED or s["temperature"] == config["temperature"])
        and (s["method"] not in DISTILLED or s["alpha"] == config["alpha"])
    ]
    header = ["teacher", "student", "method", "accuracy %"]
    if binary:
        header += ["ROC AUC", "log-loss"]
    header += ["agreement %", "size", "predict ms/1k", "fit s"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|",
    ]
    order = {m: i for i, m in enumerate(("teacher", *METHODS))}
    students = {s: i for i, s in enumerate((*TEACHERS, *STUDENTS))}
    rows.sort(
        key=lambda s: (
            TEACHERS.index(s["teacher"]),
            s["method"] != "teacher",
            students[s["student"]],
            order[s["method"]],
        )
    )
    for s in rows:
        cells = [s["teacher"], s["student"], s["method"], _pm(s, "accuracy", 100)]
        if binary:
            cells += [_pm(s, "roc_auc", 1, 4), _pm(s, "log_loss", 1, 4)]
        cells += [
            _pm(s, "agreement", 100),
            f"{s['size_mean']:,.0f}",
            f"{s['predict_ms_per_1000_mean']:.2f}",
            f"{s['fit_seconds_mean']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sweep_table(records, config):
    """The sweep's fits against each student's pseudo-label and labels-only fits.

    Differences are paired by seed (mean ± sd of the per-seed differences).
    """
    synthetic = [
        r
        for r in records
        if r["dataset"] == "synthetic" and r["teacher"] == config["sweep_teacher"]
    ]
    reference = {
        (r["student"], r["method"], r["seed"]): r["accuracy"]
        for r in synthetic
        if r["method"] in ("labels", "pseudo")
    }
    groups = {}
    for r in synthetic:
        if r["student"] in config["sweep_students"] and r["method"] in (
            "distilled",
            "distilled_unlabeled",
        ):
            key = (r["student"], r["method"], r["temperature"], r["alpha"])
            groups.setdefault(key, []).append(r)

    def paired(rows, method):
        diffs = [
            100 * (r["accuracy"] - reference[(r["student"], method, r["seed"])])
            for r in rows
            if (r["student"], method, r["seed"]) in reference
        ]
        if not diffs:
            return ""
        return "{:+.2f} ± {:.2f}".format(*spread(diffs, population=True))

    lines = [
        "| student | method | T | alpha | accuracy % | − pseudo, points "
        "| − labels, points | agreement % |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for student in config["sweep_students"]:
        for method in ("labels", "pseudo"):
            acc = [
                r["accuracy"]
                for r in synthetic
                if r["student"] == student and r["method"] == method
            ]
            agree = [
                r["agreement"]
                for r in synthetic
                if r["student"] == student and r["method"] == method
            ]
            if acc:
                lines.append(
                    f"| {student} | {method} | | | {_percent(acc)} | | | "
                    f"{_percent(agree)} |"
                )
        for key in sorted(k for k in groups if k[0] == student):
            rows = groups[key]
            acc = [r["accuracy"] for r in rows]
            agree = [r["agreement"] for r in rows]
            lines.append(
                f"| {student} | {key[1]} | {key[2]:g} | {key[3]:g} | "
                f"{_percent(acc)} | "
                f"{paired(rows, 'pseudo')} | {paired(rows, 'labels')} | "
                f"{_percent(agree)} |"
            )
    return "\n".join(lines)


def _matches(r, student, method, config):
    """Whether ``r`` is the synthetic HGB fit of ``student`` by ``method``, at
    the default temperature and alpha if distilled."""
    return (
        r["dataset"] == "synthetic"
        and r["teacher"] == "hgb"
        and r["student"] == student
        and r["method"] == method
        and (
            method not in DISTILLED
            or (r["temperature"], r["alpha"])
            == (config["temperature"], config["alpha"])
        )
    )


def _accuracy(records, config, student, method):
    """Accuracy by seed."""
    return {
        r["seed"]: r["accuracy"]
        for r in records
        if _matches(r, student, method, config)
    }


def _fit_seconds(records, config, student, method, seed):
    for r in records:
        if _matches(r, student, method, config) and r["seed"] == seed:
            return r["fit_seconds"]
    return None


def _target(number, text, per_seed, first, threshold, larger, headline):
    """One target's entry: per seed, first seed, mean ± sd, met or not."""
    seeds = sorted(per_seed)
    mean, sd = spread([per_seed[s] for s in seeds], population=True)

    def met(value):
        return bool(value >= threshold if larger else value <= threshold)

    return {
        "number": number,
        "target": text,
        "headline": headline,
        "per_seed": {str(s): float(per_seed[s]) for s in seeds},
        "first_seed": float(per_seed[first]),
        "mean": mean,
        "sd": sd,
        "met_first_seed": met(per_seed[first]),
        "met_mean": met(mean),
    }


def _accuracy_targets(records, config, first):
    """Targets 1 (tree8 gain over labels) and 2 (hgb100's share of the teacher)."""
    labels = _accuracy(records, config, "tree8", "labels")
    teacher = {
        r["seed"]: r["accuracy"]
        for r in records
        if r["dataset"] == "synthetic"
        and r["teacher"] == "hgb"
        and r["method"] == "teacher"
    }
    found = []
    for method in ("distilled_unlabeled", "distilled_munge", "distilled"):
        soft = _accuracy(records, config, "tree8", method)
        gain = {s: 100 * (soft[s] - labels[s]) for s in soft if s in labels}
        text = f"tree8 {method} − tree8 labels, points (>= 8)"
        headline = method == "distilled_unlabeled"
        if first in gain:
            found.append(_target(1, text, gain, first, 8, True, headline))
    for method in ("distilled_unlabeled", "distilled_munge", "distilled"):
        soft = _accuracy(records, config, "hgb100", method)
        ratio = {s: soft[s] / teacher[s] for s in soft if s in teacher}
        text = f"hgb100 {method} / teacher accuracy (>= 0.95)"
        headline = method == "distilled_unlabeled"
        if first in ratio:
            found.append(_target(2, text, ratio, first, 0.95, True, headline))
    return found


def targets(records, config, timing=None):
    """The three target figures on the synthetic problem (HGB teacher).

    Per seed: (1) a distilled depth-8 tree's accuracy minus the depth-8 tree's
    on the labels, in points; (2) the distilled 100-iteration boosting
    student's accuracy over the teacher's. The headline is the method
    declared before the run, ``distilled_unlabeled``; the others follow.
    (3) is one run (the first seed): the distilled fit on the labeled and
    unlabeled rows (the teacher's outputs cached) over the student's fit on
    the same rows with hard labels; ``timing`` adds the same with the
    teacher's pass inside both fits.
    """
    first = min(config["seeds"])
    found = _accuracy_targets(records, config, first)
    for student in ("hgb100", "tree8", "hgb20", "tree4", "logreg"):
        soft = _fit_seconds(records, config, student, "distilled_unlabeled", first)
        hard = _fit_seconds(records, config, student, "pseudo", first)
        if soft and hard:
            text = (
                f"{student} fit time, expanded / hard labels, same rows, teacher "
                "outputs cached (<= 3)"
            )
            entry = _target(
                3, text, {first: soft / hard}, first, 3, False, student == "hgb100"
            )
            found.append({**entry, "soft_seconds": soft, "hard_seconds": hard})
    for student, (soft, hard) in (timing or {}).items():
        text = (
            f"{student} fit time, expanded / hard labels, same rows, teacher's pass "
            "inside both (<= 3)"
        )
        entry = _target(3, text, {first: soft / hard}, first, 3, False, False)
        found.append({**entry, "soft_seconds": soft, "hard_seconds": hard})
    return found


def targets_text(found):
    def fmt(t, v):
        return f"{v:.2f}" if t["number"] == 1 else f"{v:.3f}"

    def met(flag):
        return "met" if flag else "NOT met"

    lines = []
    for t in found:
        if not t["headline"]:
            continue
        if len(t["per_seed"]) > 1:
            lines.append(
                f"TARGET ({t['number']}) {t['target']}: "
                f"seed {min(map(int, t['per_seed']))} "
                f"{fmt(t, t['first_seed'])} ({met(t['met_first_seed'])}); mean over "
                f"{len(t['per_seed'])} seeds {fmt(t, t['mean'])} ± {fmt(t, t['sd'])} "
                f"({met(t['met_mean'])})"
            )
        else:
            extra = (
                f" [{t['soft_seconds']:.2f} s / {t['hard_seconds']:.2f} s]"
                if "soft_seconds" in t
                else ""
            )
            lines.append(
                f"TARGET ({t['number']}) {t['target']}: {fmt(t, t['first_seed'])}"
                f"{extra} ({met(t['met_first_seed'])})"
            )
    lines += [
        "",
        "| # | figure | first seed | per seed | mean ± sd | met (first / mean) |",
        "|---|---|---:|---|---:|:---:|",
    ]
    for t in found:
        per_seed = ", ".join(fmt(t, v) for v in t["per_seed"].values())
        if "soft_seconds" in t:
            per_seed = f"{t['soft_seconds']:.2f} s / {t['hard_seconds']:.2f} s"
        lines.append(
            f"| {t['number']} | {t['target']} | {fmt(t, t['first_seed'])} | {per_seed} "
            f"| {fmt(t, t['mean'])} ± {fmt(t, t['sd'])} | "
            f"{'yes' if t['met_first_seed'] else 'no'} / "
            f"{'yes' if t['met_mean'] else 'no'} |"
        )
    return "\n".join(lines)


def print_tables(args, config, used, records, summary, sweep, found):
    print()
    print(
        f"Default soft targets: T={args.temperature:g}, alpha={args.alpha:g}; "
        f"seeds {args.seeds}; mean ± sd over seeds. Size: tree nodes, "
        f"coefficients, or network weights. Fit times exclude the teacher's pass."
    )
    for dataset in used:
        if dataset == "synthetic":
            head = (
                f"synthetic ({PROBLEM['n_classes']} classes): teacher rows "
                f"{args.n_teacher:,}, labeled {args.n_labeled:,}, unlabeled "
                f"{args.n_unlabeled:,}, test {PROBLEM['n_test']:,}"
            )
        else:
            spec, labeled = TABLES[dataset], config[f"{dataset}_labeled"]
            head = (
                f"{dataset} ({spec['file']}, binary, target "
                f"{spec['target']}={spec['positive']}): teacher "
                f"{args.teacher_share:.0%} of rows, labeled {labeled:,}, test "
                f"{args.test_share:.0%}, the rest unlabeled"
            )
        print(f"\n### {head}\n")
        print(dataset_table(summary, dataset, config, dataset != "synthetic"))
    if "synthetic" in used and args.sweep_students and sweep:
        print(
            "\n### Sweep on the synthetic problem: temperature and alpha "
            f"(teacher {args.sweep_teacher})\n"
        )
        print(sweep_table(records, config))
    if found:
        print(
            "\n### Targets (synthetic problem, HGB teacher, "
            f"T={args.temperature:g}, alpha={args.alpha:g})\n"
        )
        print(targets_text(found))
