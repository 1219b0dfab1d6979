"""bench_regression's tables: per problem, the fits and the paired differences."""

from _harness import has_interval, markdown, print_warnings

STUDENTS = ("mlp", "mlp_std", "tree4", "tree8", "hgb20", "ridge")
METHODS = ("labels", "distilled", "distilled_unlabeled", "distilled_munge")


def _pm(entry, metric, digits, scale=1.0):
    return (
        f"{scale * entry[f'{metric}_mean']:.{digits}f} ± "
        f"{scale * entry[f'{metric}_sd']:.{digits}f}"
    )


def problem_table(summary, problem):
    order = {s: i for i, s in enumerate(("teacher", *STUDENTS))}
    methods = {m: i for i, m in enumerate(("teacher", *METHODS))}
    rows = sorted(
        (s for s in summary if s["problem"] == problem),
        key=lambda s: (order[s["student"]], methods[s["method"]]),
    )
    header = ["student", "method", "R²", "RMSE", "share of teacher R²", "size"]
    header += ["fit s", "predict ms/1k"]
    cells = [
        [
            s["student"],
            s["method"],
            _pm(s, "r2", 4),
            _pm(s, "rmse", 3),
            _pm(s, "share_of_teacher_r2", 3),
            f"{s['size_mean']:,.0f}",
            _pm(s, "fit_seconds", 2),
            _pm(s, "predict_ms_per_1000", 2),
        ]
        for s in rows
    ]
    return markdown(header, cells, "llrrrrrr")


def verdict(d):
    if not has_interval(d):
        return "one seed, no interval"
    if not d["detectable"]:
        return "no difference detectable"
    return "higher R² than labels" if d["ci95"][0] > 0 else "lower R² than labels"


def differences_table(found, problem):
    header = ["student", "method − labels", "Δ R²", "95% t-interval", "Δ RMSE"]
    cells = []
    for d in found:
        if d["problem"] != problem:
            continue
        r2, rmse = d["r2"], d["rmse"]
        low, high = r2["ci95"]
        cells.append(
            [
                d["student"],
                d["method"],
                f"{r2['mean']:+.4f}",
                f"[{low:+.4f}, {high:+.4f}]",
                f"{rmse['mean']:+.3f}",
                verdict(r2),
            ]
        )
    return markdown([*header, "verdict (R²)"], cells, "llrrrl")


def differences_sentences(found, problem):
    lines = []
    for d in found:
        if d["problem"] != problem or d["method"] == "distilled":
            continue
        r2 = d["r2"]
        low, high = r2["ci95"]
        what = {
            "distilled_unlabeled": "distilled with unlabeled rows",
            "distilled_munge": "distilled with Munge rows",
        }[d["method"]]
        lines.append(
            f"- {d['student']}, {what} − labels: ΔR² {r2['mean']:+.4f}, 95% "
            f"t-interval [{low:+.4f}, {high:+.4f}] over {len(d['seeds'])} seeds: "
            f"{verdict(r2)}."
        )
    return "\n".join(lines)


def report(args, config, heads, records, summary, found):
    """The tables of every problem and the warnings of the fits, on stdout."""
    print()
    print(
        f"Distilled fits: alpha={args.alpha:g}; labels: alpha=1, no teacher. "
        f"Seeds {config['seed_list']}; mean ± sd (ddof=1) over seeds. Teacher: "
        "HistGradientBoostingRegressor() on the teacher rows. Size: network "
        "weights, tree nodes or coefficients. Fit times exclude the teacher's "
        f"pass. Keras students: at most {args.epochs} epochs, early stopping "
        "after 10 without improvement."
    )
    for problem, rows in heads.items():
        if problem == "friedman":
            head = (
                f"friedman (make_friedman1, {args.friedman_rows:,} rows, noise "
                f"{args.noise:g}): {rows}"
            )
        else:
            head = f"nass (nass_cds.csv.gz, target yearVeh): {rows}"
        print(f"\n### {head}\n")
        print(problem_table(summary, problem))
        print(
            f"\nPaired differences against labels ({problem}), over seeds, "
            "95% t-intervals:\n"
        )
        print(differences_table(found, problem))
        print()
        print(differences_sentences(found, problem))
    print_warnings(records, lambda r: f"{r['student']} {r['method']}")
