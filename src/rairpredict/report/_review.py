"""The clinician risk review: one self-contained HTML file (no network, prints cleanly).

The page is rendered by Jinja2 with autoescaping on. Patient data travels as
JSON inside ``<script type="application/json">`` with every ``<``, ``>`` and
``&`` written as a ``\\u`` escape, so no value can close the script element;
the inline script shows all data with ``textContent``. A Content-Security-
Policy allows only the page's own script (by its SHA-256 hash) and no network
access at all, so even a broken escape could not run injected code or load
anything.
"""
from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rairpredict.cohort.io import atomic_path
from rairpredict.report._payload import review_payload
from rairpredict.report._svg import calibration_svg
from rairpredict.report._words import KIND_WORDS, count_of, pct, plain_protocol

__all__ = ["render_review", "write_review", "json_for_html"]

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_html(obj) -> str:
    """JSON text that is safe inside an HTML ``<script>`` element.

    >>> json_for_html({"id": "</script><!--"})
    '{"id": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("rairpredict.report", "templates"),
                       autoescape=select_autoescape(["html", "htm", "xml"], default=True),
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("rairpredict.report").joinpath("templates", name).read_text("utf-8")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render_review(scores: pd.DataFrame, model, *, title: str | None = None) -> str:
    """Render the clinician risk review as one HTML document.

    Parameters
    ----------
    scores : DataFrame
        Output of ``rairpredict score`` (see :func:`review_payload`).
    model : RiskModel
        The model that produced ``scores``.
    title : str, optional
        Page title (default ``"Risk review — <model name>"``).

    Returns
    -------
    str
        A complete HTML page with inline CSS, JavaScript and data.

    Examples
    --------
    >>> import pandas as pd
    >>> from rairpredict.models.risk_model import RiskModel, Calibration
    >>> m = RiskModel("rair", "rair", "pre_therapy", ["age_years"], "logistic", None, Calibration("none"))
    >>> html = render_review(pd.DataFrame({"patient_id": ["<b>1</b>"], "probability": [0.2],
    ...                                    "risk_band": ["high"]}), m)
    >>> "<b>1</b>" in html, "\\\\u003cb\\\\u003e1" in html
    (False, True)
    """
    payload = review_payload(scores, model, title=title)
    js = _asset("review.js")
    if "</script" in js.lower():  # pragma: no cover - guards edits of the asset
        raise RuntimeError("review.js must not contain '</script'")
    template = _environment().get_template("review.html")
    model_info = payload["model"]
    base = model_info["base_rate"]
    cohort = model_info["cohort"]
    return template.render(
        title=payload["title"], generated=payload["generated"], software=payload["software"],
        model=model_info, bands=payload["bands"], banner=payload["banner"],
        base_rate=(count_of(cohort["events"], cohort["n"]) if cohort.get("n") and cohort.get("events") is not None
                   else pct(base, 1) if base is not None else None),
        protocol=(model_info["survival"]["protocol"] if model_info.get("survival")
                  else plain_protocol(model_info["validation"].get("protocol"))),
        survival=payload["survival"],
        kind_text=KIND_WORDS.get(model_info["kind"], str(model_info["kind"])),
        calibration_svg=Markup(calibration_svg(model_info["calibration"], model_info["threshold"])),
        css=Markup(_asset("review.css")), js=Markup(js), script_hash=_csp_hash(js),
        data_json=Markup(json_for_html(payload)),
    )


def write_review(path, scores: pd.DataFrame, model, *, title: str | None = None) -> Path:
    """Render the review and write it atomically to ``path`` (UTF-8); returns the path."""
    html = render_review(scores, model, title=title)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
