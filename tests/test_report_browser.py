"""`casd report` in a real browser: Debian's chromium driven by Selenium through /usr/bin/chromedriver.

The pages are opened from disk (file://), as a reader would: no console error, no failed request, no
request that leaves the disk; a highlighted span leads to its record and the record back to the span;
the timeline filters; the search finds. A screenshot of each page goes to tests/.screenshots/.

Slow (``python -m pytest -m slow tests/test_report_browser.py``). It fails, never skips, when the
browser is missing: ``apt-get install -y chromium chromium-driver`` and ``pip install selenium``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casd.read.releases import open_release
from casd.report import build_site
from conftest import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).parent / ".screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the latest release in the repository."""
    release = open_release(None, base=ROOT / "build/releases")
    out = tmp_path_factory.mktemp("browser") / release.version
    build_site(release, out)
    return out


def rows(table: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = open_release(None, base=ROOT / "build/releases").table(table).to_pylist()
    return result


def busiest(column: str, table: str = "evidence", **where: str) -> str:
    """The value of ``column`` most frequent among the rows of ``table`` (ties: the first in order)."""
    counts: dict[str, int] = {}
    for row in rows(table):
        if all(row[k] == v for k, v in where.items()):
            counts[row[column]] = counts.get(row[column], 0) + 1
    return max(sorted(counts), key=lambda k: counts[k])


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(f"the browser test needs Debian's chromium and chromium-driver ({', '.join(missing)} missing): apt-get install -y chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("the browser test needs Selenium: pip install selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)  # the given driver: nothing is downloaded
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


def url(site: Path, page: str) -> str:
    return (site / page).as_uri()


def problems(driver: Any) -> list[str]:
    """Console errors and failed or off-disk requests since the last call."""
    found = [f"console: {e['message']}" for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg["method"] == "Network.loadingFailed" and not params.get("canceled"):
            found.append(f"failed request: {params.get('errorText')} ({params.get('requestId')})")
        if msg["method"] == "Network.requestWillBeSent":
            target = params["request"]["url"]
            if not target.startswith(("file://", "data:")):
                found.append(f"a request off the disk: {target}")
    return found


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 4000)")
    driver.set_window_size(1280, max(height, 800))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def wait(driver: Any, condition: Any, timeout: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def test_overview_loads_clean_with_its_search_index(driver, site):
    driver.get(url(site, "index.html"))
    assert driver.execute_script("return window.CASD_INDEX.length") > 300
    assert driver.find_element("css selector", "h1").text.startswith("Central Asia Security Dataset")
    assert problems(driver) == []
    shot(driver, "overview")


def test_search_finds_a_record_and_opens_it(driver, site):
    from selenium.webdriver.common.keys import Keys

    base = rows("bases")[0]
    driver.get(url(site, "index.html"))
    box = driver.find_element("id", "q")
    box.send_keys(base["name"].lower())
    first = wait(driver, lambda d: d.find_element("css selector", "#q-results a"))
    assert base["name"] in first.text
    box.send_keys(Keys.ARROW_DOWN)
    assert driver.switch_to.active_element == first
    first.send_keys(Keys.ENTER)
    wait(driver, lambda d: f"records/bases/{base['id']}.html" in d.current_url)
    assert problems(driver) == []


def test_timeline_draws_and_filters(driver, site):
    driver.get(url(site, "timeline.html"))
    marks = driver.find_elements("css selector", "#tl g.ev-row")
    undated = driver.find_elements("css selector", "#undated li")
    events = rows("events")
    assert len(marks) + len(undated) == len(events)
    shot(driver, "timeline")
    from selenium.webdriver.support.ui import Select

    dated = [e for e in events if e["date_start"] or e["date_end"]]
    kind = max(sorted({e["kind"] for e in dated}), key=lambda k: sum(e["kind"] == k for e in dated))
    Select(driver.find_element("id", "f-kind")).select_by_value(kind)
    shown = [r for r in marks if r.get_attribute("display") != "none"]
    assert len(shown) == len([e for e in dated if e["kind"] == kind]) > 0
    assert f"kind={kind}" in driver.current_url
    driver.find_element("id", "f-reset").click()
    assert all(r.get_attribute("display") != "none" for r in marks)
    marks[0].find_element("css selector", "a").click()  # SVG links work
    wait(driver, lambda d: "/records/events/" in d.current_url)
    assert problems(driver) == []


def test_record_page(driver, site):
    driver.get(url(site, f"records/events/{busiest('record_id', record_table='events')}.html"))
    assert driver.find_elements("css selector", "figure.quote mark")
    assert driver.find_elements("css selector", "table.fields th")
    assert problems(driver) == []
    shot(driver, "record")


def test_from_a_highlighted_span_to_its_record_and_back(driver, site):
    source = busiest("source_id")
    driver.get(url(site, f"sources/{source}.html"))
    assert problems(driver) == []
    mark = driver.find_elements("css selector", "#text mark.ev")[3]
    key = mark.get_attribute("data-ev").split()[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", mark)
    mark.click()
    pop = driver.find_element("id", "pop")
    wait(driver, lambda d: pop.is_displayed())
    shot(driver, "source")
    link = next(a for a in pop.find_elements("css selector", "a.rec") if a.get_attribute("href").endswith("#" + key))
    record_url = link.get_attribute("href").split("#")[0]
    link.click()
    wait(driver, lambda d: d.current_url.split("#")[0] == record_url)
    quote = driver.find_element("id", key)
    assert quote.find_element("css selector", "mark").text.strip()
    quote.find_element("css selector", "a.in-source").click()
    wait(driver, lambda d: d.current_url.endswith(f"sources/{source}.html#{key}"))
    targets = wait(driver, lambda d: d.find_elements("css selector", "#text mark.ev.target"))
    assert all(key in t.get_attribute("data-ev").split() for t in targets)
    assert "".join(t.text for t in targets).strip()
    driver.back()
    wait(driver, lambda d: d.current_url.split("#")[0] == record_url)
    assert problems(driver) == []


def test_keyboard_opens_a_span_and_reaches_its_records(driver, site):
    from selenium.webdriver.common.keys import Keys

    driver.get(url(site, f"sources/{busiest('source_id')}.html"))
    mark = driver.find_elements("css selector", "#text mark.ev")[1]
    driver.execute_script("arguments[0].focus()", mark)
    assert driver.find_element("id", "pop").is_displayed()  # focus alone shows the records
    mark.send_keys(Keys.ENTER)
    active = driver.switch_to.active_element
    assert active.tag_name == "a" and "records/" in active.get_attribute("href")
    active.send_keys(Keys.ESCAPE)
    assert not driver.find_element("id", "pop").is_displayed()
    assert driver.switch_to.active_element == mark
    assert problems(driver) == []


def test_every_page_kind_loads_without_errors(driver, site):
    actor = busiest("actor_id", "event_participants")
    for page in ("actors.html", "bases.html", "figures.html", "sources.html", "records.html", "codebook.html", f"records/actors/{actor}.html", "records/figures.html"):
        driver.get(url(site, page))
        assert driver.find_element("css selector", "h1").text
        assert problems(driver) == [], page
