"""``zi claims``: decide every statement of the seed discussions by experiment."""
import argparse
import shutil
import sys
import textwrap
import time

from ._output import print_json, print_table, to_jsonable

COLUMNS = ["id", "source", "statement", "verdict", "evidence", "time"]


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be an integer >= 0, got {value}")
    return value


def register(subparsers):
    from .. import claims as _claims
    fill = lambda text: textwrap.fill(text, 78, break_on_hyphens=False)  # noqa: E731
    p = subparsers.add_parser(
        "claims",
        help="settle every statement of the seed discussions by experiment",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=fill(
            "Run, now, the experiments that decide each statement of the seed discussions about zero and "
            "equal initialization, and print for each a verdict (true / false / depends) with the measured "
            "evidence. Every verdict follows from runs over several seeds and data sets by an explicit rule "
            "(docs/claims.md)."),
        epilog=fill("claim ids: " + ", ".join(_claims.ids())),
    )
    p.add_argument("--json", action="store_true",
                   help="print the records as JSON (id, source, statement, verdict, condition, evidence, "
                        "explanation, time_s)")
    p.add_argument("--seed", type=_seed, default=0, metavar="N",
                   help="root of every random choice: data sets, initial weights, orders (default 0)")
    p.add_argument("--quick", action="store_true", help="fewer seeds, data sets and epochs (a few seconds)")
    p.add_argument("--only", action="append", metavar="ID", choices=_claims.ids(),
                   help="run only this claim (repeatable)")
    p.add_argument("--report", metavar="DIR",
                   help="also write DIR/report.html (figures embedded) and the figures as PNG files")
    p.add_argument("--backend", choices=("cython", "numpy"), default=None,
                   help="trainer backend (default: the compiled core when it is built)")
    p.set_defaults(func=run)
    return p


def _wrap(text, width):
    return textwrap.wrap(str(text), max(10, width)) or [""]


def _table(records, file=None):
    """The records as a table whose long cells wrap onto continuation lines."""
    file = file or sys.stdout
    total = shutil.get_terminal_size((200, 24)).columns if file.isatty() else 200
    id_w = max(len(r["id"]) for r in records)
    src_w = max(len(r["source"]) for r in records)
    fixed = id_w + src_w + len("depends") + len("time") + 2 * 5 + 2
    rest = max(60, total - fixed)
    st_w = max(28, int(rest * 0.35))
    ev_w = max(32, rest - st_w)
    rows = []
    for r in records:
        ev = r["evidence"].get("summary", "")
        if r.get("condition"):
            ev += f" Condition: {r['condition']}."
        st_lines, ev_lines = _wrap(r["statement"], st_w), _wrap(ev, ev_w)
        for k in range(max(len(st_lines), len(ev_lines))):
            first = k == 0
            rows.append({
                "id": r["id"] if first else "", "source": r["source"] if first else "",
                "statement": st_lines[k] if k < len(st_lines) else "",
                "verdict": r["verdict"] if first else "",
                "evidence": ev_lines[k] if k < len(ev_lines) else "",
                "time": f"{r['time_s']:.2f}s" if first else "",
            })
        rows.append({})
    print_table(rows[:-1], COLUMNS, file=file)


def run(args):
    from .. import claims as _claims
    show = sys.stderr.isatty() and not args.json
    t0 = time.perf_counter()

    def progress(k, n, claim_id):
        if show:
            print(f"\r[{k + 1}/{n}] {claim_id} ...".ljust(60), end="", file=sys.stderr, flush=True)

    records = _claims.run(seed=args.seed, quick=args.quick, only=args.only, backend=args.backend,
                          progress=progress)
    if show:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
    report = None
    if args.report:
        if sys.stderr.isatty():
            print("writing the report ...", file=sys.stderr, flush=True)
        from .. import report as _report
        report = _report.write_report(records, args.report, seed=args.seed, quick=args.quick,
                                      backend=args.backend)
    elapsed = time.perf_counter() - t0
    if args.json:
        print_json(to_jsonable(records))
    else:
        _table(records)
        counts = {v: sum(r["verdict"] == v for r in records) for v in ("true", "false", "depends")}
        print(f"\n{len(records)} statements: {counts['true']} true, {counts['false']} false, "
              f"{counts['depends']} depends; seed {args.seed}, {'quick' if args.quick else 'full'} run, "
              f"{elapsed:.1f} s. Details: zi claims --json; docs/claims.md.")
    if report is not None:
        print(f"report: {report['html']} ({len(report['figures'])} figures)", file=sys.stderr)
    return 0
