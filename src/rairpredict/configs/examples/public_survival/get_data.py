"""Copy the GBSG2 breast cancer cohort from an installed library into ``gbsg2.csv`` beside this file.

German Breast Cancer Study Group 2 (Schumacher et al. 1994, J Clin Oncol
12:2086-93): 686 women with node-positive breast cancer, recurrence-free
survival in days (``time``) and its status (``cens``: 1 recurrence or death,
0 censored). A public cohort that looks nothing like a thyroid registry: the
worked example of docs/time_to_event.md trains on it by configuration only.
The file is read from the installed lifelines package (no download); it is
not shipped with rairpredict.

Run ``python get_data.py [--output FILE]``.
"""
from __future__ import annotations

import argparse
import shutil
from importlib import resources
from pathlib import Path


def gbsg2_source() -> Path:
    """Path of lifelines' copy of GBSG2 (``pip install lifelines``)."""
    return Path(str(resources.files("lifelines.datasets").joinpath("gbsg2.csv")))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(Path(__file__).with_name("gbsg2.csv")))
    args = parser.parse_args(argv)
    shutil.copyfile(gbsg2_source(), args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
