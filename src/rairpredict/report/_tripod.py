"""The TRIPOD+AI checklist (Collins GS et al. BMJ 2024;385:e078378, doi:10.1136/bmj-2023-078378).

Each item of the checklist with where the model card answers it, or why it is
not applicable, or that only the study team can answer it (funding, ethics,
registration: facts the software cannot know, stated as such rather than
claimed). :func:`checklist_rows` decides per model from what its metadata
holds, so an item is only "answered" when the card shows the figure.

Examples
--------
>>> rows = checklist_rows(set(), synthetic=True)
>>> [r[0] for r in rows][:3]
['1', '2', '3a']
>>> len(rows)
52
"""
from __future__ import annotations

__all__ = ["TRIPOD_AI_CITATION", "TRIPOD_AI_ITEMS", "checklist_rows"]

TRIPOD_AI_CITATION = ("Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance for "
                      "reporting clinical prediction models that use regression or machine learning methods. "
                      "BMJ 2024;385:e078378, doi:10.1136/bmj-2023-078378")

#: (item, topic, card section that answers it, or a callable-free rule key).
#: Section names must match the card's section titles; "team" = only the study team can answer.
TRIPOD_AI_ITEMS = [
    ("1", "Title: development or evaluation, target population, outcome", "Model"),
    ("2", "Abstract (TRIPOD+AI for Abstracts)", "team"),
    ("3a", "Background: healthcare context, rationale, existing models", "Intended use"),
    ("3b", "Target population, intended purpose in the care pathway, intended users", "Intended use"),
    ("3c", "Known health inequalities between sociodemographic groups", "Subgroup results"),
    ("4", "Objectives: development, validation or both", "Model"),
    ("5a", "Sources of data, rationale, representativeness", "Source of data"),
    ("5b", "Dates of participant accrual and end of follow-up", "dates"),
    ("6a", "Setting, number and location of centres", "Source of data"),
    ("6b", "Eligibility criteria", "Participants"),
    ("6c", "Treatments received and how they were handled", "Predictors and their timing"),
    ("7", "Data preparation and quality checking", "Missing data and data quality"),
    ("8a", "Outcome definition, time horizon, how and when assessed", "Outcome: definition and timing"),
    ("8b", "Qualifications of outcome assessors (subjective outcome)", "assessors"),
    ("8c", "Blinding of outcome assessment", "assessors"),
    ("9a", "Choice of initial predictors and any pre-selection", "Predictors and their timing"),
    ("9b", "Definition of all predictors, how and when measured", "Predictors and their timing"),
    ("9c", "Qualifications of predictor assessors (subjective predictors)", "assessors"),
    ("10", "Study size and its justification", "Sample size and events"),
    ("11", "Missing data handling", "Missing data and data quality"),
    ("12a", "How the data were used, partitioning", "Internal validation protocol"),
    ("12b", "Handling of predictors (functional form, transformation)", "Model type and tuning"),
    ("12c", "Model type, rationale, building steps, tuning, internal validation", "Model type and tuning"),
    ("12d", "Heterogeneity across clusters (centres, countries)", "clusters"),
    ("12e", "Performance measures and plots, model comparison", "Performance"),
    ("12f", "Model updating arising from evaluation", "Model updating"),
    ("12g", "How predictions were calculated in evaluation", "Model specification"),
    ("13", "Class imbalance methods", "imbalance"),
    ("14", "Approaches to model fairness", "Subgroup results"),
    ("15", "Model output, classification thresholds and how they were chosen", "Risk bands and decision threshold"),
    ("16", "Differences between development and evaluation data", "Internal validation protocol"),
    ("17", "Ethical approval and consent", "ethics"),
    ("18a", "Funding", "team"),
    ("18b", "Conflicts of interest", "team"),
    ("18c", "Protocol availability", "Internal validation protocol"),
    ("18d", "Registration", "team"),
    ("18e", "Data sharing", "data"),
    ("18f", "Code sharing", "Model specification"),
    ("19", "Patient and public involvement", "team"),
    ("20a", "Flow of participants, with and without the outcome", "Participants"),
    ("20b", "Characteristics of the cohort (Table 1), missing data", "Table 1"),
    ("20c", "Comparison of development and evaluation data distributions",
     "Input shift and external validation"),
    ("21", "Participants and events in each analysis", "Participants"),
    ("22", "Full model specification for predictions in new individuals", "Model specification"),
    ("23a", "Performance with confidence intervals, including key subgroups", "Performance"),
    ("23b", "Heterogeneity of performance across clusters", "clusters"),
    ("24", "Results of any model updating", "Model updating"),
    ("25", "Overall interpretation, including fairness", "Interpretation"),
    ("26", "Limitations", "Limitations"),
    ("27a", "Handling of poor-quality or unavailable inputs in use", "Missing data and data quality"),
    ("27b", "User interaction and expertise required", "Intended use"),
    ("27c", "Next steps, applicability and generalisability", "Limitations"),
]

_RULES = {
    "team": "to be completed by the study team: not known to the software",
    "assessors": ("not applicable: outcome and inputs are read from recorded data, not assessed for this "
                  "study; the study team states assessor qualifications and blinding for a real cohort"),
    "clusters": ("not applicable: a single development cohort without centre identifiers; heterogeneity "
                 "across sites is examined by external validation (rairpredict evaluate)"),
    "Model updating": ("not applicable: no updating in development; recalibration at a new site is "
                       "reported by rairpredict recalibrate"),
    "imbalance": ("not applicable: no resampling or re-weighting for class imbalance, so predicted risks "
                  "need no correction for it"),
    "Input shift and external validation": (
        "not applicable: development with internal validation only; external validations appear here once "
        "logged by rairpredict evaluate, and a site's input-shift summary with model-card --input-shift"),
    "ethics": "to be completed by the study team: ethics approval and consent of the source study",
    "data": "to be completed by the study team: the availability of the patient data",
}
_SYNTHETIC = {
    "ethics": "not applicable: simulated patients, no human participants",
    "data": "the synthetic cohort is regenerated by the package's simulator (same settings, same table)",
    "dates": "not applicable: simulated patients have no accrual dates",
    "team": None,  # unchanged
}


def checklist_rows(sections: set[str], *, synthetic: bool | None) -> list[list[str]]:
    """``[item, topic, where answered]`` for every TRIPOD+AI item.

    ``sections`` are the titles of the card sections that hold content; an
    item pointing at a missing section is reported as not answered.
    """
    rows = []
    for item, topic, where in TRIPOD_AI_ITEMS:
        if where in sections:
            answer = f"section \u201c{where}\u201d"
        elif synthetic and _SYNTHETIC.get(where):
            answer = _SYNTHETIC[where]
        elif where in _RULES:
            answer = _RULES[where]
        elif where == "dates":
            answer = "to be completed by the study team: accrual and follow-up dates are not in the model"
        else:
            answer = f"not answered: the model does not store what section \u201c{where}\u201d needs"
        rows.append([item, topic, answer])
    return rows
