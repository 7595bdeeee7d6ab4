"""The review in a real headless Chromium, used as a clinician would use it.

Chromium is Debian's package (installed here when missing and running as
root); Playwright drives it over the DevTools protocol. Screenshots land in
``test-artifacts/`` (gitignored) for CI to keep.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rairpredict.report import write_review
from rairpredict.report.screenshots import capture_review

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def review_file(tmp_path_factory, review_scores, review_model):
    return write_review(tmp_path_factory.mktemp("review") / "review.html", review_scores, review_model)


@pytest.fixture
def page(browser, review_file):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(review_file.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']")
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _ids(page) -> list[str]:
    return page.locator("#patients-body td.pid").all_text_contents()


def _risks(page) -> list[float]:
    return [float(t.split("%")[0]) for t in page.locator("#patients-body td.num:nth-child(2)").all_text_contents()]


def test_table_lists_every_patient_sorted_by_risk(page, review_scores):
    assert page.locator("#patients-body tr").count() == len(review_scores)
    expected = review_scores.sort_values(["probability", "patient_id"], ascending=[False, True])
    assert _ids(page) == expected["patient_id"].tolist()
    risks = _risks(page)
    assert risks == sorted(risks, reverse=True)
    assert page.text_content("#shown-count").startswith(f"Showing {len(review_scores)} of {len(review_scores)}")
    counts = review_scores["risk_band"].value_counts()
    chips = page.locator("#band-counts .band-count").all_text_contents()
    assert [c.split(" patients")[0] for c in chips] == [f"{b} {counts.get(b, 0)}" for b in ("high", "intermediate", "low")]


def test_header_click_sorts(page, review_scores):
    page.click("th[data-key='p'] button")  # second click on the active column: lowest risk first
    risks = _risks(page)
    assert risks == sorted(risks) and risks[0] < risks[-1]
    assert page.get_attribute("th[data-key='p']", "aria-sort") == "ascending"
    page.click("th[data-key='id'] button")
    assert page.get_attribute("th[data-key='id']", "aria-sort") == "ascending"
    sim = [i for i in _ids(page) if i.startswith("SIM-")]
    assert len(sim) == len(review_scores) - 4 and sim == sorted(sim)


def test_filters_and_search_reduce_rows(page, review_scores):
    page.select_option("#filter-band", "high")
    n_high = int((review_scores["risk_band"] == "high").sum())
    assert 0 < n_high < len(review_scores)
    assert page.locator("#patients-body tr").count() == n_high
    page.click("#reset")
    page.select_option("#filter-preparation", "recombinant human TSH (rhTSH)")
    n_rh = int((review_scores["input__preparation"].astype(str) == "rhtsh").sum())
    assert 0 < n_rh < len(review_scores)
    assert page.locator("#patients-body tr").count() == n_rh
    page.click("#reset")
    target = review_scores["patient_id"].iloc[100]
    page.fill("#search", target)
    assert _ids(page) == [target]
    page.fill("#search", "sim-0001")  # case-insensitive substring
    assert len(_ids(page)) == sum("SIM-0001" in str(i) for i in review_scores["patient_id"])


def test_patient_view_shows_contributions_and_flags(page, review_scores):
    top = review_scores.sort_values("probability", ascending=False).iloc[0]
    page.locator("#patients-body tr").first.click()
    page.wait_for_selector("#patient-view:not([hidden])")
    assert page.text_content("#pv-id") == top["patient_id"]
    assert page.text_content("#pv-p") == f"{100 * top['probability']:.1f}%"
    assert page.text_content("#pv-band") == top["risk_band"]
    reasons = page.locator("#pv-reasons .wf-text").all_text_contents()
    assert len(reasons) == 3
    verb = "raises" if "rais" in top["reason_1_direction"] else "lowers"
    assert f"— {verb} the risk" in reasons[0] and reasons[0].endswith(".")
    assert page.locator("#pv-reasons .wf-bar").count() == 3
    assert page.locator("#pv-inputs tr").count() == sum(c.startswith("input__") for c in review_scores.columns)
    assert "Li 2018" in page.text_content("#pv-published")
    page.click("#back")
    assert page.is_visible("#cohort-view") and not page.is_visible("#patient-view")
    # the patient with the implausible TSH
    page.fill("#search", review_scores["patient_id"].iloc[5])
    page.locator("#patients-body tr").first.press("Enter")
    assert "Implausible, please check the record: Stimulated TSH on the day of 131I" in page.text_content("#pv-flags")
    assert page.locator("#pv-inputs tr.implausible").count() == 1


def test_injected_ids_do_not_run_and_show_as_text(page, hostile_ids):
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#patients-body img").count() == 0
    shown = set(_ids(page))
    for pid in hostile_ids:
        assert pid in shown
    page.fill("#search", "<img")
    page.locator("#patients-body tr").first.click()
    assert page.text_content("#pv-id") == hostile_ids[1]
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_print_layout_hides_controls_and_keeps_the_table(page, review_scores):
    page.emulate_media(media="print")
    assert not page.is_visible(".controls") and not page.is_visible("#reset")
    assert page.locator("#patients-body tr").count() == len(review_scores)
    assert page.is_visible("#patients-body tr >> nth=0")
    page.locator("#patients-body tr").first.click()
    assert not page.is_visible("#cohort-view") and not page.is_visible("#back")
    assert page.is_visible("#pv-reasons")


def test_screenshots_of_both_views_at_phone_and_desktop_width(browser, review_file):
    paths = capture_review(browser, review_file, ARTIFACTS)
    assert sorted(p.name for p in paths) == [f"review_{v}_{d}.png" for v in ("cohort", "patient")
                                             for d in ("desktop", "phone")]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


@pytest.mark.parametrize("width", [390, 1280])
def test_visible_text_has_no_internal_identifiers(browser, review_file, width):
    """What a clinician sees at phone and desktop width, list and patient view, panels open."""
    from test_review_words import internal_tokens

    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(review_file.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        texts = [page.inner_text("body")]
        for i in range(3):
            page.locator("#patients-body tr").nth(i).click()
            page.wait_for_selector("#patient-view:not([hidden])")
            texts.append(page.inner_text("#patient-view"))
            page.click("#back")
        # no horizontal scrolling of the page on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    finally:
        page.close()
    hostile = "\n".join(texts)
    assert internal_tokens(hostile) == []
