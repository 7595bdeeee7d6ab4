"""Drive headless Chromium over the clinician risk review (browser tests, screenshots).

The one screenshots helper. The README screenshots are made by::

    python -m rairpredict.report.screenshots docs/img/ [--model MODEL]

which scores a simulated list of patients with ``MODEL`` (default: the model
shipped with the package), writes the review and photographs the list and one
patient at desktop and phone widths (:func:`capture_review`).

Chromium is Debian's ``chromium`` package, driven through the DevTools
protocol by Playwright (the ``test`` extra); Playwright's own browser download
is never used. :func:`ensure_chromium` installs the package with apt-get when
it is missing and the process runs as root.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "WIDTHS", "ensure_chromium", "find_chromium", "open_browser", "capture_review",
           "main"]

#: Viewport (width, height) per device the review is photographed at.
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

#: Flags for a headless, offline, throw-away Chromium (root needs --no-sandbox).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
_CANDIDATES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of an installed Chromium, or None."""
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(timeout: float = 900) -> str:
    """Path of Chromium; installs Debian's ``chromium`` (apt-get, root only) if missing.

    Raises
    ------
    RuntimeError
        With the reason when Chromium is missing and cannot be installed.
    """
    path = find_chromium()
    if path:
        return path
    if not shutil.which("apt-get"):
        raise RuntimeError("chromium is not installed and apt-get is not available")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise RuntimeError("chromium is not installed and installing it needs root (apt-get install chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
                raise RuntimeError(f"`{' '.join(cmd)}` failed: {tail[0]}")
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"installing chromium took longer than {timeout:.0f} s") from None
    path = find_chromium()
    if not path:
        raise RuntimeError("apt-get install chromium finished but no chromium executable was found")
    return path


@contextmanager
def open_browser(executable: str | None = None):
    """Yield a Playwright ``Browser`` on Debian's Chromium (fresh profile, offline flags)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("playwright is not installed (pip install -e '.[test]')") from None
    executable = executable or ensure_chromium()
    with sync_playwright() as pw:
        # Playwright creates and deletes a fresh --user-data-dir for every launch.
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def capture_review(browser, html_path, out_dir, *, patient: int = 0, widths: dict | None = None) -> list[Path]:
    """Full-page screenshots of the list and of the ``patient``-th listed patient at each width.

    Returns the paths ``review_<view>_<device>.png`` in ``out_dir`` (views
    ``cohort`` and ``patient``; devices from :data:`WIDTHS`).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for device, (width, height) in (widths or WIDTHS).items():
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
        try:
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_selector("body[data-ready='1']")
            cohort = out_dir / f"review_cohort_{device}.png"
            page.screenshot(path=str(cohort), full_page=True)
            page.locator("#patients-body tr").nth(patient).click()
            page.wait_for_selector("#patient-view:not([hidden])")
            patient_png = out_dir / f"review_patient_{device}.png"
            page.screenshot(path=str(patient_png), full_page=True)
            paths += [cohort, patient_png]
        finally:
            page.close()
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m rairpredict.report.screenshots OUT_DIR [--model MODEL] [--n N]``."""
    import argparse
    import sys
    import tempfile

    from rairpredict.report import write_review
    from rairpredict.scoring import load_model_ref, score_frame
    from rairpredict.simulation.simulate import simulate_cohort

    parser = argparse.ArgumentParser(prog="python -m rairpredict.report.screenshots")
    parser.add_argument("out_dir", nargs="?", default="docs/img")
    parser.add_argument("--model", default=None, help="model reference (default: the shipped model)")
    parser.add_argument("--n", type=int, default=40, help="simulated patients in the list")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    model = load_model_ref(args.model)
    listing = simulate_cohort(args.n, seed=2)
    listing["patient_id"] = [f"RAI-{i + 1:04d}" for i in range(len(listing))]
    scores = score_frame(model, listing, explain=4, with_inputs=True)
    with tempfile.TemporaryDirectory() as tmp:
        html = write_review(Path(tmp) / "review.html", scores, model)
        with open_browser() as browser:
            paths = capture_review(browser, html, args.out_dir)
    for path in paths:
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
