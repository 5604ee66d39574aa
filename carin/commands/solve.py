"""``carin solve SPEC.yaml``: the exact Pareto set, the plan, and a readable table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carin.errors import CarinError, InfeasibleError

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "solve an SLO spec into a ranked Pareto set and a plan"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin solve spaces/phone-classifier.yaml              # writes out/phone-classifier/
  carin solve my-app.yaml -o out/my-app
  carin solve spaces/nb201-pixel3.yaml --solver optuna-nsga2 --budget 2000 --seed 0"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``solve`` sub-command."""
    p = subparsers.add_parser(
        "solve",
        help=HELP,
        description="Compile the SLO spec over its profile table, solve it, print the ranked "
        "Pareto set and write pareto.csv, plan.json and summary.json. Exit 0 on success, "
        "2 on invalid input, 3 when no design meets the constraints, 4 when a baseline "
        "solver found none within its budget although feasible designs exist.",
    )
    p.add_argument("spec", type=Path, help="SLO spec (YAML)")
    p.add_argument(
        "-o", "--out", type=Path, default=None, help="output folder (default: out/<spec name>)"
    )
    p.add_argument(
        "--solver",
        default="rass",
        help="rass (default, exact), exhaustive (exact reference), or a baseline: "
        "optuna-nsga2, optuna-tpe, optuna-gp, pymoo-nsga2, pymoo-nsga3, pymoo-mixed "
        "(docs/solvers.md)",
    )
    p.add_argument(
        "--budget", type=int, default=None, help="evaluation budget (baselines; default 1000)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (baselines; default 0)")
    p.add_argument(
        "--storage",
        default=None,
        help="optuna-* solvers: Optuna storage, an RDB URL (sqlite:///study.db, "
        "postgresql://...) or a journal file (journal:PATH or PATH.log)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="optuna-* solvers: worker processes on the one study",
    )
    p.add_argument("--study-name", default=None, help="optuna-* solvers: study name in --storage")
    p.add_argument("--top", type=int, default=15, help="rows of the table to print (default 15)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an exact result in the output folder with a baseline solver's result "
        "(refused by default; a solve with the same solver and settings always replaces it)",
    )
    p.set_defaults(func=run)


_EXACT = ("rass", "exhaustive")


def _previous(out: Path) -> dict | None:
    """The summary of a feasible result already in ``out`` (None: none, or unreadable)."""
    from carin.result import load_result_dir

    try:  # a damaged or mixed folder holds no result worth keeping
        old = load_result_dir(out)["summary.json"]
    except (CarinError, OSError):
        return None
    return old if isinstance(old, dict) and old.get("feasible", True) else None


def _describe(solver: str, options: dict) -> str:
    return " ".join([solver, *(f"--{k} {v}" for k, v in sorted(options.items()))])


def _check_replace(out: Path, spec_path: str, solver: str, options: dict, force: bool) -> str:
    """Refuse to replace an exact result by a baseline's; say what a solve replaces.

    Returns:
        A note for standard error ("" when the folder holds nothing, or the same run).

    Raises:
        CarinError: ``out`` holds an exact result, this solve is not exact, no ``--force``.
    """
    old = _previous(out)
    if old is None:
        return ""
    old_run = _describe(str(old.get("solver")), old.get("solver_options") or {})
    new_run = _describe(solver, options)
    same_spec = old.get("spec") in (None, spec_path)
    if old_run == new_run and same_spec:
        return ""
    if old.get("exact") and solver not in _EXACT and not force:
        raise CarinError(
            f"{out}: holds an exact result ({old_run}) that this solve ({new_run}) would "
            "replace; write it elsewhere with --out DIR, or pass --force to replace it"
        )
    what = f"the {old_run} result" + ("" if same_spec else f" of {old.get('spec')}")
    return f"note: replaced {what} in {out}"


def run(args: argparse.Namespace) -> int:
    """Solve, write the outputs, print the table."""
    from carin._files import check_output_path
    from carin.report.text import format_result
    from carin.result import solve, write_result_dir
    from carin.solvers import available_solvers
    from carin.spec import load_spec

    if args.top < 1:
        raise CarinError(f"--top: got {args.top}; expected a positive number")
    if args.solver not in available_solvers():  # before the spec, the folder and the solve
        raise CarinError(
            f"--solver: unknown solver '{args.solver}'; available: {', '.join(available_solvers())}"
        )
    searched = [f"--{k}" for k in ("budget", "seed") if getattr(args, k) is not None]
    if searched and args.solver in _EXACT:
        raise CarinError(
            f"{', '.join(searched)}: only the baseline solvers take these; {args.solver} is "
            "exact and searches everything (pick a baseline with --solver, e.g. optuna-nsga2)"
        )
    spec = load_spec(args.spec)
    out = args.out or Path("out") / spec.name
    check_output_path(out, folder=True)  # before the solve, not after it
    options = {k: v for k, v in (("budget", args.budget), ("seed", args.seed)) if v is not None}
    distributed = {"storage": args.storage, "workers": args.workers, "study_name": args.study_name}
    distributed = {k: v for k, v in distributed.items() if v is not None}
    if distributed and not args.solver.startswith("optuna-"):
        flags = ", ".join("--" + k.replace("_", "-") for k in distributed)
        raise CarinError(
            f"{flags}: only the optuna-* solvers take these (got --solver {args.solver})"
        )
    options.update(distributed)
    spec_path = str(Path(spec.path).absolute()) if spec.path is not None else None
    kept = {k: v for k, v in options.items() if k in ("budget", "seed")}
    note = _check_replace(out, spec_path, args.solver, kept, args.force)
    if args.solver not in ("rass", "exhaustive"):
        from carin.solvers._baseline import progress_bar

        bar = progress_bar(args.solver)  # None unless stderr is a terminal
        if bar is not None:
            options["progress"] = bar
    try:
        result = solve(spec, solver=args.solver, **options)
    except InfeasibleError as exc:
        from carin.report.explain import infeasible_lines, infeasible_record
        from carin.space import compile_space

        summary = {
            "name": spec.name,
            "spec": spec_path,
            "feasible": False,
            "nearest_misses": exc.misses,
            **infeasible_record(compile_space(spec), exc.misses),
        }
        # replaces the whole set: no plan.json or pareto.csv of an earlier solve stays
        write_result_dir(out, summary=summary)
        note = None
        if args.solver not in _EXACT:  # solve() has had RASS confirm it (else exit 4)
            note = (
                f"{args.solver} found no feasible design, and the exact solver (rass) "
                "confirms that there is none: a larger --budget would not help."
            )
        lines = infeasible_lines(str(spec.path or spec.name), summary, note)
        raise InfeasibleError(
            "\n".join([*lines, f"See 'carin explain {out}' for details."]), misses=exc.misses
        ) from None
    result.save(out)
    for text in result.warnings:
        print(f"warning: {text}", file=sys.stderr)
    if note:
        print(note, file=sys.stderr)
    print(format_result(result, top=args.top))
    print(f"\nwrote {out}/: pareto.csv, plan.json, summary.json")
    return 0
