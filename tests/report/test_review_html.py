"""render_review / write_review / CLI report: a self-contained, escaped HTML file."""
from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from rairpredict.cli import main
from rairpredict.cohort.io import write_table
from rairpredict.report import json_for_html, render_review, write_review


def _data_block(html: str) -> str:
    return re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S).group(1)


@pytest.fixture(scope="module")
def html(review_scores, review_model):
    return render_review(review_scores, review_model, title="Ward <b>7</b> & list")


def test_hostile_ids_never_appear_as_markup(html, review_scores, hostile_ids):
    for pid in hostile_ids[:3]:
        assert pid not in html
    assert html.count("<script") == 2  # the JSON block and the page's own script, nothing else
    assert "<img" not in html and "<!--" not in html
    data = json.loads(_data_block(html))
    assert [p["id"] for p in data["patients"]] == review_scores["patient_id"].tolist()


def test_title_is_escaped(html):
    assert "<title>Ward &lt;b&gt;7&lt;/b&gt; &amp; list</title>" in html
    assert "<b>7</b>" not in html


def test_self_contained_no_network(html):
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html


def test_csp_allows_exactly_the_page_script(html):
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html
    assert "unsafe-inline'; base-uri" not in html  # scripts are not 'unsafe-inline'


def test_json_for_html_escapes_script_breakers():
    text = json_for_html({"x": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><!-- & \u2028"}


def test_model_panel_facts(html):
    for fact in ("0.781 (95% CI 0.702 to 0.860)", "0.93 (95% CI 0.71 to 1.15)", "synthetic (simulated patients)",
                 "does not replace, clinical judgement", "Internal validation only.", "pre-therapy",
                 "2026-01-05T10:00:00+00:00", "rairpredict-rair version 7", "predicted probability 15% or more"):
        assert fact in html, fact


def test_write_review_is_atomic(tmp_path, review_scores, review_model):
    out = write_review(tmp_path / "sub" / "review.html", review_scores, review_model)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["review.html"]


def test_scores_csv_escapes_formula_ids(tmp_path, review_scores):
    path = write_table(review_scores, tmp_path / "scores.csv")
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text
    assert not re.search(r'(^|,)"?=HYPERLINK', text, re.M)


def test_cli_report(tmp_path, review_scores, review_model, capsys):
    model_path = tmp_path / "model.zip"
    review_model.save(model_path)
    scores = write_table(review_scores, tmp_path / "scores.parquet")
    out = tmp_path / "review.html"
    assert main(["report", "--scores", str(scores), "--model", str(model_path), "--out", str(out)]) == 0
    assert f"({len(review_scores)} patients)" in capsys.readouterr().out
    data = json.loads(_data_block(out.read_text(encoding="utf-8")))
    assert len(data["patients"]) == len(review_scores)
    bad = write_table(review_scores.drop(columns="probability"), tmp_path / "bad.csv")
    assert main(["report", "--scores", str(bad), "--model", str(model_path), "--out", str(out)]) == 1  # data
    assert "column 'probability' missing" in capsys.readouterr().err
