"""Refresh docs/img/timeline.png and docs/img/source.png from a site built for the latest release.

    python scripts/report_screenshots.py            # writes docs/img/timeline.png and docs/img/source.png
    python scripts/report_screenshots.py --out DIR  # elsewhere

Needs Debian's chromium and chromium-driver (``apt-get install -y chromium chromium-driver``) and
Selenium (``pip install selenium``); it uses /usr/bin/chromedriver and never downloads a driver. The
site is built into a temporary folder and removed afterwards; nothing in the repository but the two
pictures is written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from casd.read.releases import open_release
from casd.report import build_site

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH = 1440


def browser() -> Any:
    for p in (CHROMIUM, CHROMEDRIVER):
        if not p.is_file():
            sys.exit(f"{p} is missing: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={WIDTH},1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def busiest_source(release: Any) -> str:
    counts: dict[str, int] = {}
    for ev in release.table("evidence", columns=["source_id"]).to_pylist():
        counts[ev["source_id"]] = counts.get(ev["source_id"], 0) + 1
    return max(sorted(counts), key=lambda s: counts[s])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img", help="where to write the pictures (default: docs/img)")
    parser.add_argument("--releases", type=Path, default=ROOT / "build/releases", help="the releases folder (default: the repository's)")
    args = parser.parse_args()
    release = open_release(None, base=args.releases)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / release.version
        build_site(release, site)
        driver = browser()
        try:
            driver.set_window_size(WIDTH, 1150)
            driver.get((site / "timeline.html").as_uri())
            driver.execute_script("document.getElementById('tl').scrollIntoView({block: 'start'}); window.scrollBy(0, -250)")
            driver.save_screenshot(str(args.out / "timeline.png"))

            driver.set_window_size(WIDTH, 1050)
            driver.get((site / f"sources/{busiest_source(release)}.html").as_uri())
            driver.execute_script(  # a span of a few overlapping quotes, below the page's head: its records open
                """
                var marks = Array.prototype.slice.call(document.querySelectorAll('#text mark.ev'));
                function n(m) { return m.getAttribute('data-ev').split(' ').length; }
                var pick = marks.filter(function (m) { var top = m.getBoundingClientRect().top; return n(m) >= 2 && n(m) <= 4 && top > 520 && top < 700; })[0] || marks[0];
                pick.click();
                """
            )
            driver.save_screenshot(str(args.out / "source.png"))
        finally:
            driver.quit()
    for name in ("timeline.png", "source.png"):
        print((args.out / name).as_posix())


if __name__ == "__main__":
    main()
