"""The external-validation report: one self-contained HTML page from the evaluation JSON.

Everything on the page comes from the JSON written beside it (aggregates
only, no patient rows): verdicts in plain words first, then the figures with
their confidence intervals, the calibration curve with its band, the net
benefit at the target's thresholds, the subgroups and the input-shift banner.
Text is escaped by Jinja2's autoescaping; figures are inline PNG.

Examples
--------
>>> from rairpredict.report.validation import validation_html
>>> html = validation_html({"model": {"name": "m"}, "cohort": {"name": "c"}, "overview": {},
...                         "metrics": [], "verdicts": {"discrimination": "Weak <b>"}})
>>> "Weak &lt;b&gt;" in html
True
"""
from __future__ import annotations

import base64
import io

from jinja2 import Environment, select_autoescape

__all__ = ["validation_html", "shift_banner"]

_LABELS = {"auroc": "AUROC (discrimination)", "cal_intercept": "Calibration-in-the-large (ideal 0)",
           "cal_slope": "Calibration slope (ideal 1)", "oe_ratio": "Observed / expected events (ideal 1)",
           "brier": "Brier score (lower is better)", "ici": "ICI: mean calibration error",
           "e50": "E50: median calibration error", "e90": "E90: 90th percentile calibration error"}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>External validation: {{ model.name }} on {{ cohort.name }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}.banner{background:#fff4d6;border:2px solid #c98a00;padding:.75rem;
margin:1rem 0}.verdict{font-size:1.05rem;margin:.4rem 0}img{max-width:100%}
</style></head><body>
<h1>External validation of {{ model.name }}{% if model.version %} (version {{ model.version }}){% endif %}</h1>
<p>Local cohort <b>{{ cohort.name }}</b>, outcome <b>{{ cohort.outcome }}</b>: {{ overview.n }} patients,
{{ overview.events }} events ({{ pct(overview.prevalence) }});
development cohort {{ pct(overview.development_prevalence) }}. Mean predicted risk {{ pct(overview.mean_predicted) }}.
Rows read {{ cohort.rows_in }}, rejected at import {{ cohort.rejected_at_import }}, outcome unknown {{ cohort.outcome_unknown }}.</p>
{% if shift and shift.message %}<div class="banner" role="alert"><b>Input warnings.</b>
{% for line in shift.message.split('. ') %}{{ line }}{% if not loop.last %}.<br>{% endif %}{% endfor %}</div>{% endif %}
<h2>Verdict</h2>
{% for key, text in verdicts.items() %}<p class="verdict"><b>{{ key.replace('_', ' ').capitalize() }}.</b> {{ text }}</p>{% endfor %}
<h2>Figures (95 % confidence intervals)</h2>
<table><tr><th>Measure</th><th>Estimate</th><th>95 % CI</th></tr>
{% for m in metrics %}<tr><td>{{ labels.get(m.metric, m.metric) }}</td><td>{{ num(m.estimate) }}</td>
<td>{% if m.lo is not none %}{{ num(m.lo) }} to {{ num(m.hi) }}{% endif %}</td></tr>{% endfor %}</table>
{% if calibration_png %}<h2>Calibration</h2><img alt="Smoothed calibration curve with 95 % band" src="data:image/png;base64,{{ calibration_png }}">{% endif %}
{% if decision %}<h2>Net benefit at the decision thresholds</h2>
<table><tr><th>Threshold</th><th>Model</th><th>95 % CI</th><th>Treat all</th><th>Treat none</th></tr>
{% for d in decision %}<tr><td>{{ pct(d.threshold) }}</td><td>{{ num(d.net_benefit_model) }}</td>
<td>{% if d.net_benefit_model_lo is not none %}{{ num(d.net_benefit_model_lo) }} to {{ num(d.net_benefit_model_hi) }}{% endif %}</td>
<td>{{ num(d.net_benefit_all) }}</td><td>0</td></tr>{% endfor %}</table>{% endif %}
{% if subgroups %}<h2>Subgroups</h2>
<table><tr><th>Group</th><th>n</th><th>Events</th><th>O/E (95 % CI)</th><th>Intercept (95 % CI)</th><th>Slope (95 % CI)</th><th>AUROC (95 % CI)</th><th>Note</th></tr>
{% for s in subgroups %}<tr><td>{{ s.variable }} = {{ s.level }}</td><td>{{ s.n }}</td><td>{{ s.events }}</td>
<td>{{ ci(s.oe_ratio, s.oe_ratio_lo, s.oe_ratio_hi) }}</td><td>{{ ci(s.cal_intercept, s.cal_intercept_lo, s.cal_intercept_hi) }}</td>
<td>{{ ci(s.cal_slope, s.cal_slope_lo, s.cal_slope_hi) }}</td><td>{{ ci(s.auroc, s.auroc_lo, s.auroc_hi) }}</td><td>{{ s.note or '' }}</td></tr>{% endfor %}</table>{% endif %}
<p>Methods: AUROC with DeLong CI; calibration intercept (slope fixed at 1) and slope by logistic regression on the
model's log-odds, Wald CIs; O/E with a log-normal CI; ICI/E50/E90 from a restricted cubic spline calibration curve
(Austin &amp; Steyerberg 2019); verdicts on the calibration hierarchy (Van Calster et al. 2016).</p>
</body></html>"""


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num(v, digits=3):
    return f"{v:.{digits}f}" if _is_num(v) else ""


def _pct(v):
    return f"{100 * v:.1f} %" if _is_num(v) else "unknown"


def _ci(est, lo, hi):
    if not _is_num(est):
        return ""
    return f"{est:.2f}" + (f" ({lo:.2f} to {hi:.2f})" if _is_num(lo) and _is_num(hi) else "")


def _calibration_png(curve: list[dict]) -> str | None:
    if not curve:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [c["predicted"] for c in curve]
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, max(x)], [0, max(x)], ls="--", color="grey", label="ideal")
    ax.fill_between(x, [c["lo"] for c in curve], [c["hi"] for c in curve], alpha=0.25, linewidth=0,
                    label="95 % band")
    ax.plot(x, [c["observed"] for c in curve], label="observed (smoothed)")
    ax.set_xlabel("predicted risk")
    ax.set_ylabel("observed risk")
    ax.legend(loc="upper left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def shift_banner(summary: dict | None) -> str:
    """The input-shift summary as a short HTML banner ('' when there is nothing to say)."""
    if not summary or not summary.get("message"):
        return ""
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string('<div class="banner" role="alert"><b>Input warnings.</b> {{ m }}</div>').render(
        m=summary["message"])


def validation_html(doc: dict) -> str:
    """Render the evaluation document (the JSON ``rairpredict evaluate`` writes) as HTML."""
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(_TEMPLATE).render(
        model=doc.get("model", {}), cohort=doc.get("cohort", {}), overview=doc.get("overview", {}),
        metrics=doc.get("metrics", []), verdicts=doc.get("verdicts", {}), decision=doc.get("decision_curve", []),
        subgroups=doc.get("subgroups", []), shift=doc.get("input_shift"), labels=_LABELS,
        calibration_png=_calibration_png(doc.get("calibration_curve", [])), num=_num, pct=_pct, ci=_ci)
