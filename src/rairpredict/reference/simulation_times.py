"""Simulation-only timing of events and follow-up (one source of truth).

Used by :mod:`rairpredict.simulation._times` to give the synthetic cohort
registry-like follow-up: when RAIR and recurrence appear, when patients are
lost, when they die of other causes. Each figure names its source or is marked
"rairpredict choice, approximate" (for simulation only).

Examples
--------
>>> from rairpredict.reference import simulation_times as T
>>> T.RAIR_EARLY_WINDOW_YEARS
(1.0, 1.3333333333333333)
"""
from __future__ import annotations

#: Study B (Rakhmankulova 2024, seed 001): 81 % of RAIR cases were structural
#: progression 12-16 months after therapy despite uptake.
RAIR_SHARE_AT_12_16_MONTHS = 0.81
RAIR_EARLY_WINDOW_YEARS = (1.0, 16 / 12)
#: The other RAIR cases (loss of uptake over courses, > 600 mCi cumulative
#: activity, flip-flop on FDG PET) appear over the following years: drawn as
#: 1 + 4 * Beta(1.5, 3) years, i.e. within 1-5 years, mean 2.3 years.
#: rairpredict choice, approximate (the issue's "RAIR emerging over 1-5 years").
RAIR_LATE_OFFSET_YEARS = 1.0
RAIR_LATE_SPAN_YEARS = 4.0
RAIR_LATE_BETA = (1.5, 3.0)

#: Structural recurrence after therapy: 0.5 + 6 * Beta(1.2, 3) years (most
#: within 5 years; ATA 2015 notes most recurrences appear in the first 5 years).
#: rairpredict choice, approximate.
RECURRENCE_OFFSET_YEARS = 0.5
RECURRENCE_SPAN_YEARS = 6.0
RECURRENCE_BETA = (1.2, 3.0)

#: Administrative end of follow-up: uniform over 0.5-10 years after the course
#: (staggered entry into a registry). rairpredict choice, approximate.
ADMIN_FOLLOWUP_YEARS = (0.5, 10.0)
#: Loss to follow-up, constant hazard per year. rairpredict choice, approximate.
LOSS_TO_FOLLOWUP_PER_YEAR = 0.05
#: Death from other causes: Gompertz hazard exp(a + b * age) per year,
#: about 0.5 % / year at 50 and 2.9 % / year at 70 (order of general-population
#: mortality). rairpredict choice, approximate.
OTHER_DEATH_GOMPERTZ = (-9.5, 0.085)

#: Horizons (years) of the simulator's oracle risk columns.
ORACLE_HORIZONS_YEARS = (1.5, 3.0, 5.0)  # RAIR is first dated at 1 year (Study B criterion 3)
