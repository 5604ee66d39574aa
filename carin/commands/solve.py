"""``carin solve SPEC.yaml``: the exact Pareto set, the plan, and a readable table."""

from __future__ import annotations

import argparse
from pathlib import Path

from carin.errors import InfeasibleError
from carin.plan import write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``solve`` sub-command."""
    p = subparsers.add_parser(
        "solve",
        help="solve an SLO spec into a ranked Pareto set and a plan",
        description="Compile the SLO spec over its profile table, solve it, print the ranked "
        "Pareto set and write pareto.csv, plan.json and summary.json. Exit 0 on success, "
        "2 on invalid input, 3 when no design meets the constraints.",
    )
    p.add_argument("spec", type=Path, help="SLO spec (YAML)")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/<spec name>)"
    )
    p.add_argument(
        "--solver",
        default="rass",
        help="rass (default, exact), exhaustive (exact reference), or a baseline "
        "(see 'carin solvers')",
    )
    p.add_argument("--budget", type=int, default=None, help="evaluation budget (baselines)")
    p.add_argument("--seed", type=int, default=None, help="random seed (baselines)")
    p.add_argument("--top", type=int, default=15, help="rows of the table to print")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Solve, write the outputs, print the table."""
    from carin.report.text import format_result
    from carin.result import solve
    from carin.spec import load_spec

    spec = load_spec(args.spec)
    out = args.out or Path("out") / spec.name
    options = {k: v for k, v in (("budget", args.budget), ("seed", args.seed)) if v is not None}
    try:
        result = solve(spec, solver=args.solver, **options)
    except InfeasibleError as exc:
        from carin.report.explain import relaxation_advice

        write_json(
            {
                "name": spec.name,
                "spec": str(spec.path) if spec.path is not None else None,
                "feasible": False,
                "nearest_misses": exc.misses,
            },
            out / "summary.json",
        )
        advice = relaxation_advice(spec)
        raise InfeasibleError(
            f"{exc}\n{advice}\nSee 'carin explain {out}' for details.", misses=exc.misses
        ) from None
    result.save(out)
    print(format_result(result, top=args.top))
    print(f"\nwrote {out}/pareto.csv, {out}/plan.json, {out}/summary.json")
    return 0
