"""The review speaks the clinician's language: no internal identifier anywhere a reader can see."""
import re
from html.parser import HTMLParser

import pytest

from rairpredict.report import render_review, review_payload
from rairpredict.report._words import outcome_words, reason_sentence

#: Tokens a clinician must never meet: seeds, simulator internals, model internals, cohort keys, codes.
FORBIDDEN = [
    (re.compile(r"\bseeds?\b", re.I), "seed"),
    (re.compile(r"oracle", re.I), "oracle"),
    (re.compile(r"log-?odds", re.I), "log-odds"),
    (re.compile(r"\brhtsh\b"), "category code"),
    (re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b"), "snake_case code"),
    (re.compile(r"\w+:\w+:n=\d+"), "cohort key"),
    (re.compile(r"\bn=\d+"), "n="),
    (re.compile(r"(?<![\d.,])1 patients\b"), "1 patients"),
]


def internal_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, match) for every forbidden token in ``text``."""
    return [(kind, m.group(0)) for pattern, kind in FORBIDDEN for m in pattern.finditer(text)]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("title", "aria-label", "placeholder", "alt") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _shown_strings(payload) -> list[str]:
    """Every payload string the page's script writes into the page."""
    out = [payload["title"], *payload["banner"]]
    out += [b["name"] + " " + b["meaning"] + " " + b["observed"] for b in payload["bands"]]
    out += [f["label"] + " " + f["short"] for f in payload["filters"]]
    m = payload["model"]
    out += [m["outcome"], m["horizon"], m["outcome_definition"], m["threshold_text"], m["cohort_text"]]
    for p in payload["patients"]:
        out += [r["text"] + " " + r["short"] for r in p["reasons"]]
        out += [f"{i['label']} {i['value']} {i['unit']}" for i in p["inputs"]]
        out += [x["label"] for x in p["missing"] + p["implausible"]] + p["warnings"] + list(p["filters"].values())
        out += [f"{s['name']} {s.get('note') or ''}" for s in p["published"]]
    return out


def test_the_token_scan_catches_what_the_issue_lists():
    bad = "seed 001 · oracle ratio · simulated:default:n=2260:seed=0 · log-odds · rhtsh · 1 patients"
    kinds = {k for k, _ in internal_tokens(bad)}
    assert {"seed", "oracle", "cohort key", "log-odds", "category code", "1 patients"} <= kinds
    assert internal_tokens("21 patients, 1 patient, recombinant human TSH (rhTSH), 2,260 patients") == []


def test_rendered_review_text_has_no_internal_identifiers(review_scores, review_model):
    html = render_review(review_scores, review_model)
    parser = _Text()
    parser.feed(html)
    static = " ".join(parser.parts)
    payload = review_payload(review_scores, review_model)
    assert internal_tokens(static) == []
    assert internal_tokens("\n".join(_shown_strings(payload))) == []


def test_review_states_outcome_base_rate_band_meaning_and_threshold(review_scores, review_model):
    payload = review_payload(review_scores, review_model)
    m, dev = payload["model"], review_model.metadata["development"]
    assert m["outcome"] == "radioiodine-refractory disease" and "12 to 16 months" in m["horizon"]
    n, events = review_model.metadata["cohort"]["n"], review_model.metadata["cohort"]["events"]
    assert f"of whom {events} had the outcome" in m["cohort_text"] and f"{n:,} simulated" in m["cohort_text"]
    for band, stored in zip(payload["bands"], dev["bands"]):
        assert band["observed"].startswith(f"In the development cohort, {stored['events']:,} of {stored['n']:,} "
                                           "patient") and band["n"] == stored["n"]
    assert sum(b["n"] for b in payload["bands"]) == n
    sens = dev["threshold"]["sensitivity"]
    assert "The decision threshold is 10%" in m["threshold_text"]
    assert f"flagged {sens['numerator']:,} of the {sens['denominator']:,} patients" in m["threshold_text"]
    html = render_review(review_scores, review_model)
    assert "<svg class=\"calibration\"" in html and html.count("<circle") == len(dev["calibration"])
    assert "Synthetic data" in payload["banner"][0]


def test_reasons_are_sentences_with_value_unit_and_direction(review_scores, review_model):
    payload = review_payload(review_scores, review_model)
    reasons = [r for p in payload["patients"] for r in p["reasons"]]
    assert reasons
    for r in reasons:
        assert re.search(r"— (raises|lowers|changes) the risk", r["text"]) and r["text"].endswith(".")
        assert r["label"] in r["text"] and (r["value"] or "not recorded") in r["text"]
        if r["unit"]:
            assert r["unit"] in r["text"]
    assert reason_sentence("Age", "70", "years", "lowers risk") == "Age: 70 years — lowers the risk."


def test_no_discrimination_is_flagged(review_scores, review_model):
    import copy

    weak = copy.deepcopy(review_model)
    weak.metadata["validation"].update(auroc=0.55, auroc_lo=0.47, auroc_hi=0.63)
    payload = review_payload(review_scores, weak)
    assert any("better than chance" in b for b in payload["banner"])


def test_a_researchers_own_outcome_and_horizon_are_used(review_model):
    import copy

    own = copy.deepcopy(review_model)
    own.metadata["outcome"] = {"name": "distant metastasis", "definition": "new distant disease on imaging",
                               "horizon": 5}
    words = outcome_words(own)
    assert words == {"name": "distant metastasis", "definition": "new distant disease on imaging",
                     "horizon": "within 5 years"}


@pytest.mark.parametrize("text", ["out of training range: tsh_stim_mu_l; unseen category: histology"])
def test_input_warnings_in_words(text):
    from rairpredict.report._payload import field_label
    from rairpredict.report._words import input_warning_text

    out = input_warning_text(text, field_label)
    assert out == ["outside the range seen in the development cohort: Stimulated TSH on the day of 131I",
                   "a category the development cohort did not have: Histological type"]
