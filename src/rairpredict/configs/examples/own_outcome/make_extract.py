"""Write the synthetic registry extract of the own-outcome example (extract.csv beside this file).

A made-up hospital registry that looks nothing like rairpredict's contract:
its own column names and codes, a custom outcome column (progression within
5 years coded 1 / 0 / 9 = not assessable), AJCC 7th-edition coarse staging
(T1, T3, N1 ...), tumour size in cm, activity in mCi, stimulated Tg in two
columns (central laboratory, else local laboratory), a treatment-intent column
the study population is filtered on, and several RAI courses for some
patients (the patient id repeats with the course number). Every value is
synthetic; the outcome follows a known logistic model of the baseline
characteristics, so a model trained on it has something real to find.

Run ``python make_extract.py [--output FILE] [--patients N] [--seed S]``;
without ``--output`` it rewrites ``extract.csv`` beside this script, the file
that ``cohort.yaml`` reads (the shipped copy was made with the defaults).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def make_extract(patients: int = 700, seed: int = 2024) -> pd.DataFrame:
    """One row per RAI course, in the registry's own words."""
    rng = np.random.default_rng(seed)
    n = patients
    age = np.clip(rng.normal(48, 15, n), 12, 88).round()
    male = rng.random(n) < 0.28
    histo = rng.choice(["PTC", "PTC-FV", "mPTC", "FTC", "HCC"], n, p=[0.55, 0.15, 0.12, 0.12, 0.06])
    size_cm = np.clip(rng.lognormal(np.log(1.8), 0.6, n), 0.2, 9.0).round(1)
    histo = np.where((histo == "mPTC") & (size_cm > 1.0), "PTC", histo)  # a microcarcinoma is <= 1 cm
    ete = rng.choice(["no", "min", "gross"], n, p=[0.70, 0.22, 0.08])
    # AJCC 7th edition: minimal ETE makes T3; size decides T1/T2/T3 otherwise; gross ETE is T4.
    t7 = np.where(ete == "gross", "T4", np.where(ete == "min", "T3",
                  np.where(size_cm <= 2, "T1", np.where(size_cm <= 4, "T2", "T3"))))
    # the registry often kept only the coarse category: T1a/T1b written for some small tumours only
    detail = (t7 == "T1") & (rng.random(n) < 0.4)
    t7 = np.where(detail, np.where(size_cm <= 1, "T1a", "T1b"), t7)
    node = rng.random(n) < 0.25 + 0.15 * (ete != "no")
    n7 = np.where(node, rng.choice(["N1", "N1a", "N1b"], n, p=[0.5, 0.3, 0.2]), "N0")
    m1 = rng.random(n) < 0.03 + 0.05 * node
    braf = rng.choice(["mut", "wt", "n.d."], n, p=[0.35, 0.35, 0.30])
    intent = rng.choice(["curative", "palliative"], n, p=[0.9, 0.1])
    prep = rng.choice(["THW", "rhTSH"], n, p=[0.6, 0.4])

    # known truth: log-odds of progression within 5 years
    tg0 = np.exp(rng.normal(0.5 + 1.2 * node + 2.5 * m1 + 0.4 * (ete == "gross"), 1.2))
    lp = (-3.1 + 0.025 * (age - 48) + 0.35 * male + 0.9 * (ete == "gross") + 0.7 * node + 1.8 * m1
          + 0.45 * np.log1p(tg0) + 0.5 * (braf == "mut") + 0.4 * (histo == "HCC") + 0.15 * (size_cm - 1.8))
    progressed = rng.random(n) < 1 / (1 + np.exp(-lp))

    courses = 1 + (rng.random(n) < 0.18 + 0.4 * progressed) + (rng.random(n) < 0.04)
    rows = []
    for i in range(n):
        for c in range(1, courses[i] + 1):
            tg = tg0[i] * (0.6 ** (c - 1)) * np.exp(rng.normal(0, 0.3))
            central = rng.random() < 0.7
            status = "1" if progressed[i] else "0"
            if rng.random() < 0.06:
                status = "9"  # not assessable at 5 years
            elif rng.random() < 0.03:
                status = ""   # never recorded
            rows.append({
                "PatID": f"R-{i + 1:05d}", "CourseNo": c, "Age_at_dx": int(age[i]), "Gender": "M" if male[i] else "W",
                "Histotype": histo[i], "Size_cm": size_cm[i], "ETE": ete[i], "pT_7th": t7[i], "pN_7th": n7[i],
                "M": "M1" if m1[i] else "M0", "BRAF": braf[i], "Prep": prep[i],
                "TSH_stim": round(float(np.clip(rng.normal(85, 30), 31, 250)), 1),
                "Tg_central_lab": round(float(tg), 2) if central else "",
                "Tg_local_lab": "" if central else round(float(tg * 1.05), 2),
                "I131_mCi": int(rng.choice([30, 100, 150, 200], p=[0.2, 0.4, 0.3, 0.1])),
                "Intent": intent[i], "PROG5": status,
            })
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", type=Path, default=here / "extract.csv")
    p.add_argument("--patients", type=int, default=700)
    p.add_argument("--seed", type=int, default=2024)
    args = p.parse_args(argv)
    df = make_extract(args.patients, args.seed)
    df.to_csv(args.output, sep=";", index=False)
    print(f"wrote {args.output}: {len(df)} courses of {df['PatID'].nunique()} patients")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
