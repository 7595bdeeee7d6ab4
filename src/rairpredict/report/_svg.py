"""The calibration picture as inline SVG (no script, no network, prints sharply).

Predicted risk (x) against the share of patients who had the outcome (y) in
tenths of predicted risk of the development cohort, with 95 % intervals; the
diagonal is perfect agreement and the dashed line the decision threshold.
Only numbers enter the markup, and they are formatted here.

Examples
--------
>>> svg = calibration_svg([{"mean_predicted": 0.1, "observed": 0.12, "lo": 0.05, "hi": 0.2, "n": 50}], 0.1)
>>> svg.startswith("<svg") and "<circle" in svg
True
>>> calibration_svg([], 0.1)
''
"""
from __future__ import annotations

import math

__all__ = ["calibration_svg"]

_W, _H, _PAD = 320, 300, 44


def _axis_max(points, threshold) -> float:
    top = max([p.get("hi") or p.get("observed") or 0 for p in points]
              + [p.get("mean_predicted") or 0 for p in points] + [threshold or 0])
    for cap in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0):
        if top <= cap:
            return cap
    return 1.0


def calibration_svg(points: list[dict], threshold: float | None = None) -> str:
    """SVG of observed against predicted risk (``points``: calibration_deciles records)."""
    pts = [p for p in points if p.get("mean_predicted") is not None and p.get("observed") is not None]
    if not pts:
        return ""
    top = _axis_max(pts, threshold)
    plot_w, plot_h = _W - _PAD - 12, _H - _PAD - 12

    def x(v):
        return _PAD + plot_w * min(max(v, 0.0), top) / top

    def y(v):
        return 12 + plot_h * (1 - min(max(v, 0.0), top) / top)

    parts = [f'<svg class="calibration" viewBox="0 0 {_W} {_H}" role="img" '
             'aria-label="Calibration: predicted risk against the share who had the outcome" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="{_PAD}" y="12" width="{plot_w}" height="{plot_h}" fill="#fafbfc" stroke="#c5ccd6"/>']
    step = top / 5
    for k in range(6):
        v = k * step
        label = f"{100 * v:.0f}%"
        parts.append(f'<line x1="{x(v):.1f}" y1="{y(0) + 3:.1f}" x2="{x(v):.1f}" y2="{y(0):.1f}" stroke="#555"/>'
                     f'<text x="{x(v):.1f}" y="{y(0) + 15:.1f}" font-size="10" text-anchor="middle">{label}</text>'
                     f'<text x="{_PAD - 5}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">{label}</text>')
    parts.append(f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(top):.1f}" y2="{y(top):.1f}" stroke="#8a94a3" '
                 'stroke-width="1"><title>perfect agreement</title></line>')
    if threshold is not None and 0 < threshold < top:
        parts.append(f'<line x1="{x(threshold):.1f}" y1="12" x2="{x(threshold):.1f}" y2="{y(0):.1f}" '
                     'stroke="#b26a00" stroke-dasharray="4 3"><title>decision threshold</title></line>'
                     f'<text x="{x(threshold) + 3:.1f}" y="24" font-size="10" fill="#8a4f00">threshold</text>')
    for p in pts:
        cx, cy = x(float(p["mean_predicted"])), y(float(p["observed"]))
        lo, hi = p.get("lo"), p.get("hi")
        if lo is not None and hi is not None and all(map(math.isfinite, (lo, hi))):
            parts.append(f'<line x1="{cx:.1f}" y1="{y(float(lo)):.1f}" x2="{cx:.1f}" y2="{y(float(hi)):.1f}" '
                         'stroke="#1f5fa8" stroke-width="1.2"/>')
        n = int(p.get("n") or 0)
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.6" fill="#1f5fa8"><title>predicted '
                     f'{100 * float(p["mean_predicted"]):.1f}%, observed {100 * float(p["observed"]):.1f}% '
                     f'of {n} patients</title></circle>')
    parts.append(f'<text x="{_PAD + plot_w / 2:.1f}" y="{_H - 6}" font-size="11" text-anchor="middle">'
                 'predicted risk</text>'
                 f'<text transform="translate(11 {12 + plot_h / 2:.1f}) rotate(-90)" font-size="11" '
                 'text-anchor="middle">had the outcome</text></svg>')
    return "".join(parts)
