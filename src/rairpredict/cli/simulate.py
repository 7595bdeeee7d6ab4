"""CLI: simulate (synthetic cohort with oracle probabilities)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ['add_simulate']


def add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="write a synthetic cohort (canonical table + oracle_p_* columns)")
    p.add_argument("--n", type=int, default=2260, help="rows (patient-courses), default 2260")
    p.add_argument("--seed", type=int, default=0)
    from rairpredict.reference.simulation import PROFILES

    p.add_argument("--profile", default="default", choices=sorted(PROFILES),
                   help="cohort profile; 'external' is a simulated new site with known truth")
    _args.add_output(p, "output file (.parquet, .csv, .tsv, .xlsx)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_simulate)


def _cmd_simulate(args) -> int:
    from rairpredict.cli._console import emit
    from rairpredict.cohort.io import check_paths, write_table
    from rairpredict.simulation.simulate import simulate_cohort

    check_paths(outputs={"output": args.output})
    table = simulate_cohort(args.n, args.seed, profile=args.profile)
    path = write_table(table, args.output)
    emit(args, {"rows": len(table), "profile": args.profile, "seed": args.seed, "output": str(path)},
         f"wrote {len(table)} simulated rows (profile {args.profile}, seed {args.seed}) to {path}")
    return 0
