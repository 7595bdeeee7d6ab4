"""Plain words for the clinician: outcomes, categories, reasons, counts.

The review and the card are read by people who never saw the code, so no
field code (``tsh_stim_mu_l``), category code (``rhtsh``), cohort key, seed or
log-odds reaches them: this module turns each into a sentence.

Examples
--------
>>> category_text("rhtsh"), category_text("papillary_tall_cell")
('recombinant human TSH (rhTSH)', 'papillary, tall cell')
>>> patients(1), patients(2260)
('1 patient', '2,260 patients')
>>> reason_sentence("Stimulated thyroglobulin", "45", "ng/mL", "raises risk", 0.031)
'Stimulated thyroglobulin: 45 ng/mL — raises the risk (about +3.1 percentage points).'
"""
from __future__ import annotations

import re

__all__ = ["OUTCOME_WORDS", "CATEGORY_WORDS", "outcome_words", "category_text", "patients", "count_of",
           "reason_sentence", "cohort_words", "pct", "input_warning_text", "KIND_WORDS", "plain_protocol", "plain"]

#: Built-in targets in words, used when a model's metadata does not carry its own
#: outcome name, definition and horizon (a researcher's own outcome does: target config).
#: Definitions and timing from the source studies (reference/seed_statistics.md).
OUTCOME_WORDS = {
    "rair": {
        "name": "radioiodine-refractory disease",
        "definition": ("disease that no longer responds to radioiodine: no uptake on the post-therapy scan, "
                       "no uptake in a recurrence or metastasis, structural progression despite uptake, "
                       "persistent disease after a cumulative 22.2 GBq (600 mCi), or a 131I-negative, "
                       "FDG-positive lesion (Study B's five criteria)"),
        "horizon": "at the follow-up after this course (progression is judged 12 to 16 months after therapy)",
    },
    "unexpected_uptake": {
        "name": "unexpected uptake",
        "definition": ("high uptake on the pre-therapy scan, yet a low dose rate 48 hours after the activity "
                       "and no early radiation reactions (Study A's discordant picture)"),
        "horizon": "during this course (by the 48-hour measurement and the post-therapy scan)",
    },
    "second_course_benefit": {
        "name": "benefit of a repeat radioiodine course",
        "definition": ("no structural progression, and structural disease resolved or shrank or the "
                       "stimulated thyroglobulin fell (Study C)"),
        "horizon": "1 to 2 years after the repeat course",
    },
    "recurred": {
        "name": "recurrence",
        "definition": "recurrence during follow-up, as recorded in the source",
        "horizon": "during the recorded follow-up",
    },
}

#: Category codes that are not words by themselves.
CATEGORY_WORDS = {
    "rhtsh": "recombinant human TSH (rhTSH)",
    "withdrawal": "levothyroxine withdrawal",
    "papillary_micro": "papillary microcarcinoma",
    "oncocytic": "oncocytic (Hürthle cell)",
    "lung_and_bone": "lung and bone",
}


def category_text(code) -> str:
    """A category code in words (``papillary_classic`` -> ``papillary, classic``)."""
    text = str(code)
    if text in CATEGORY_WORDS:
        return CATEGORY_WORDS[text]
    if text.startswith("papillary_"):
        return "papillary, " + text.removeprefix("papillary_").replace("_", " ")
    return text.replace("_", " ")


def patients(n) -> str:
    """``"1 patient"``, ``"2,260 patients"``."""
    n = int(n)
    return f"{n:,} patient" + ("" if n == 1 else "s")


def count_of(k, n) -> str:
    """``"6 of 50 patients (12%)"``."""
    n, k = int(n), int(k)
    share = f" ({pct(k / n)})" if n else ""
    return f"{k:,} of {patients(n)}{share}"


def pct(x, digits: int | None = None) -> str:
    """A probability as a percentage a reader can say aloud: 0.0831 -> ``8.3%``, 0.0004 -> ``<0.1%``."""
    x = float(x)
    if digits is None:
        if 0 < x < 0.001:
            return "<0.1%"
        digits = 0 if x >= 0.1 or x == 0 else 1
    return f"{100 * x:.{digits}f}%"


def outcome_words(model) -> dict:
    """``name``, ``definition`` and ``horizon`` of what the model predicts, in words.

    From ``metadata["outcome"]`` when training stored one (a researcher's own
    outcome), else :data:`OUTCOME_WORDS` for a built-in target, else the
    config's description.
    """
    meta = dict(getattr(model, "metadata", None) or {})
    stored = meta.get("outcome") if isinstance(meta.get("outcome"), dict) else {}
    builtin = OUTCOME_WORDS.get(str(model.label or "")) or OUTCOME_WORDS.get(str(model.target or "")) or {}
    name = stored.get("name") or builtin.get("name") or str(model.label or model.target or "the outcome")
    definition = stored.get("definition") or builtin.get("definition") or meta.get("description") or ""
    horizon = stored.get("horizon") or builtin.get("horizon") or ""
    if isinstance(horizon, (int, float)):
        horizon = f"within {horizon:g} years"
    return {"name": _words(str(name)), "definition": _words(str(definition)), "horizon": _words(str(horizon))}


def _words(text: str, label=None) -> str:
    """Remove internal references (``(seed 001)``) and codes from a stored sentence.

    ``label`` turns a field code into its name; other codes become words.

    >>> _words("needs fdg_pet (follow_up), not available at pre_therapy", lambda f: "FDG PET")
    'needs FDG PET (follow-up), not available at pre-therapy'
    """
    text = re.sub(r"\s*\(seed[^)]*\)", "", str(text))

    def word(m):
        code = m.group(0)
        if code in ("pre_therapy", "post_therapy", "follow_up", "post_therapy_scan", "at_therapy"):
            return code.replace("_therapy", "-therapy").replace("follow_up", "follow-up").replace("_", " ")
        named = label(code) if label else None
        return named if named and named != code.replace("_", " ") else category_text(code)

    return re.sub(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", word, text).strip()


plain = _words


def cohort_words(cohort: dict) -> str:
    """The development cohort in one sentence, without its internal key."""
    n, synthetic = cohort.get("n"), cohort.get("synthetic")
    kind = ("simulated (synthetic) patients" if synthetic else
            "patients" if synthetic is not None else "patients (source not recorded)")
    if n is None:
        return f"A cohort of {kind}."
    text = f"{int(n):,} {kind}"
    if cohort.get("events") is not None:
        text += f", of whom {count_of(cohort['events'], n).split(' of ', 1)[0]} had the outcome"
        if cohort.get("prevalence") is not None:
            text += f" ({pct(cohort['prevalence'], 1)})"
    return text + "."


def reason_sentence(label: str, value: str, unit: str, direction: str, prob_change=None) -> str:
    """One reason as a sentence: the input, its value and unit, and which way it moves the risk."""
    shown = f"{value} {unit}".strip() if value not in (None, "") else "not recorded"
    d = (direction or "").lower()
    verb = "raises the risk" if "rais" in d else "lowers the risk" if "lower" in d else "changes the risk"
    size = ""
    if prob_change is not None:
        size = f" (about {'+' if prob_change >= 0 else '−'}{abs(100 * prob_change):.1f} percentage points)"
    return f"{label}: {shown} — {verb}{size}."


#: Model kinds in words.
KIND_WORDS = {"xgboost": "gradient-boosted trees", "logistic": "logistic regression",
              "stacked": "an ensemble of models", "cox": "a Cox proportional-hazards regression",
              "xgboost_cox": "gradient-boosted trees for survival (Cox)"}


def plain_protocol(text) -> str:
    """The validation protocol without run details a clinician does not need (random seeds).

    >>> plain_protocol("nested CV: 2 x 5-fold stratified outer CV (seeds 0..1), 3-fold inner CV")
    'nested CV: 2 x 5-fold stratified outer CV, 3-fold inner CV'
    """
    return re.sub(r"\s*\(seeds? [^)]*\)", "", str(text or "")).strip()


_WARNING_KINDS = {
    "missing beyond training": "missing, though rarely missing in the development cohort",
    "out of training range": "outside the range seen in the development cohort",
    "unseen category": "a category the development cohort did not have",
    "outside training population": "outside the population the model was developed for",
}


def input_warning_text(text, label) -> list[str]:
    """A row's ``input_warnings`` (``"out of training range: a, b; ..."``) as sentences with field names."""
    out = []
    for part in str(text or "").split(";"):
        kind, _, fields = part.partition(":")
        kind = kind.strip()
        if not kind:
            continue
        names = ", ".join(label(f.strip()) for f in fields.split(",") if f.strip())
        out.append(f"{_WARNING_KINDS.get(kind, kind)}: {names}" if names else _WARNING_KINDS.get(kind, kind))
    return out
