"""`casd report`: the static site for a release, parsed back: every link resolves, every record and
source has its page, the timeline holds every event, every evidence span is highlighted at its
offsets, and two builds are identical byte for byte."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from casd.read.releases import Release, open_current, open_release
from casd.report import build_site
from conftest import ROOT, cli, ok

EXTERNAL = ("http://", "https://", "mailto:", "data:")


class Page(HTMLParser):
    """One HTML file: its ids, its links, and the annotated text of a source page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.scripts: dict[str, str] = {}
        self.rows: list[dict[str, str]] = []  # timeline rows (g.ev-row)
        self.undated: list[str] = []
        self.options: dict[str, set[str]] = {}
        self.text: list[str] = []  # pieces of the source text, in order
        self.marks: list[tuple[int, int, list[str]]] = []
        self.anchors: dict[str, int] = {}
        self.uncited: list[tuple[int, int]] = []
        self._unc: int | None = None
        self._text_depth = 0
        self._mark: tuple[int, list[str]] | None = None
        self._script: str | None = None
        self._select: str | None = None
        self._in_undated = False

    @property
    def position(self) -> int:
        return sum(len(t) for t in self.text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("href", "src"):
            if key in a and tag in ("a", "link", "script", "img"):
                self.links.append(a[key])
        if tag == "script" and a.get("type") == "application/json":
            self._script = a.get("id", "")
            self.scripts[self._script] = ""
        self._timeline(tag, a)
        self._source_text(tag, a)

    def _timeline(self, tag: str, a: dict[str, str]) -> None:
        if tag == "g" and "ev-row" in a.get("class", "").split():
            self.rows.append(a)
        if tag == "ul" and a.get("id") == "undated":
            self._in_undated = True
        if tag == "li" and self._in_undated:
            self.undated.append(a["data-id"])
        if tag == "select":
            self._select = a.get("name", "")
            self.options[self._select] = set()
        if tag == "option" and self._select is not None:
            self.options[self._select].add(a.get("value", ""))

    def _source_text(self, tag: str, a: dict[str, str]) -> None:
        if self._text_depth:
            if tag in ("div", "span", "mark"):
                self._text_depth += 1
            if tag == "span" and a.get("class") == "anchor":
                self.anchors[a["id"]] = self.position
            if tag == "mark":
                self._mark = (self.position, a.get("data-ev", "").split())
            if tag == "span" and a.get("class") == "unc":
                self._unc = self.position
        elif tag == "div" and a.get("id") == "text":
            self._text_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None
        if tag == "ul":
            self._in_undated = False
        if tag == "select":
            self._select = None
        if self._text_depth and tag in ("div", "span", "mark"):
            self._text_depth -= 1
            if tag == "mark" and self._mark is not None:
                self.marks.append((self._mark[0], self.position, self._mark[1]))
                self._mark = None
            if tag == "span" and self._unc is not None:
                self.uncited.append((self._unc, self.position))
                self._unc = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data
        if self._text_depth:
            self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


class Site:
    """A built site, its pages parsed once."""

    def __init__(self, out: Path, release: Release):
        self.out = out
        self.release = release
        self.pages = {p.relative_to(out).as_posix(): parse(p) for p in sorted(out.rglob("*.html"))}

    def table(self, name: str) -> list[dict]:
        names = self.release.table_names()
        return self.release.table(name).to_pylist() if name in names else []

    def seed(self, source: dict) -> str:
        if source["file"] in self.release.sums:
            return self.release.read_bytes(source["file"]).decode("utf-8")
        return (self.release.folder.parents[1] / source["file"]).read_text(encoding="utf-8")


def build(release: Release, out: Path, seeds_root: Path | None = None) -> Site:
    build_site(release, out, seeds_root=seeds_root)
    return Site(out, release)


@pytest.fixture(scope="module")
def site_100(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The site of release 1.0.0, the repository's own (no conflicts table, no aggregate column)."""
    release = open_release("1.0.0", base=ROOT / "build/releases")
    return build(release, tmp_path_factory.mktemp("site") / "1.0.0")


@pytest.fixture
def site_010(released: Path) -> Site:
    release = open_release("0.1.0", base=released / "build/releases")
    return build(release, released / "build/site/0.1.0")


both = pytest.mark.parametrize("site", ["site_010", "site_100"], indirect=True)


@pytest.fixture
def site(request: pytest.FixtureRequest) -> Site:
    """The site named by the test's parameter (``site_010`` or ``site_100``)."""
    result: Site = request.getfixturevalue(request.param)
    return result


# --- links -----------------------------------------------------------------------------------------


def broken_links(site: Site) -> list[str]:
    problems = []
    for rel, page in site.pages.items():
        here = (site.out / rel).parent
        for link in page.links:
            if link.startswith(EXTERNAL):
                continue
            path, _, fragment = link.partition("#")
            target = (here / unquote(path)).resolve() if path else (site.out / rel).resolve()
            if not target.is_file():
                problems.append(f"{rel}: {link} (no such file)")
                continue
            if not fragment or target.suffix != ".html":
                continue
            page_to = site.pages[target.relative_to(site.out.resolve()).as_posix()]
            if "=" in fragment and target.name == "timeline.html":  # a filter state: kind=…&actor=…
                for part in fragment.split("&"):
                    key, _, value = part.partition("=")
                    if unquote(value) not in page_to.options.get(key, set()):
                        problems.append(f"{rel}: {link} (no {key} {value!r} to filter by)")
            elif unquote(fragment) not in page_to.ids:
                problems.append(f"{rel}: {link} (no id {fragment!r} there)")
    return problems


@both
def test_every_internal_link_and_anchor_resolves(site):
    assert broken_links(site) == []
    assert sum(len(p.links) for p in site.pages.values()) > 1000


@both
def test_ids_are_unique_on_every_page(site):
    for rel, page in site.pages.items():
        dupes = {i for i in page.ids if page.ids.count(i) > 1}
        assert not dupes, f"{rel}: {sorted(dupes)[:5]}"


@both
def test_every_record_and_source_has_a_page(site):
    for name in site.release.table_names():
        schema = next(r["schema"] for r in site.release.descriptor()["resources"] if r["name"] == name)
        if schema.get("primaryKey") == ["id"]:
            for row in site.table(name):
                assert f"records/{name}/{row['id']}.html" in site.pages, f"{name}/{row['id']}"
    for source in site.table("sources"):
        assert f"sources/{source['id']}.html" in site.pages
    for page in ("index.html", "timeline.html", "actors.html", "bases.html", "figures.html", "sources.html", "records.html", "codebook.html"):
        assert page in site.pages


@both
def test_the_site_is_self_contained(site):
    for rel, page in site.pages.items():
        for link in page.links:
            assert not link.startswith("//"), f"{rel}: {link}"
        html = (site.out / rel).read_text()
        assert '<script src="http' not in html and '<link rel="stylesheet" href="http' not in html and "fetch(" not in html
    js = (site.out / "static/site.js").read_text()
    assert "fetch(" not in js and "XMLHttpRequest" not in js and "http" not in js.replace("https://", "")


@both
def test_record_pages_show_every_field_claim_and_quote(site):
    claims = site.table("claims")
    for name in ("events", "actors", "figures"):
        rows = site.table(name)
        if not rows:
            continue
        row = rows[0]
        html = (site.out / f"records/{name}/{row['id']}.html").read_text()
        for column in site.release.table(name).column_names:
            assert f'#{name}-{column}"' in html, column
    for c in claims:
        html = (site.out / f"records/{c['record_table']}/{c['record_id']}.html").read_text()
        assert f'id="claim-{c["ordinal"]}"' in html and f"rank-{c['rank']}" in html
    for ev in site.table("evidence"):
        page = site.pages[f"records/{ev['record_table']}/{ev['record_id']}.html"]
        key = f"q-{ev['record_table']}-{ev['record_id']}-{ev['ordinal']}"
        assert key in page.ids
        assert f"../../sources/{ev['source_id']}.html#{key}" in page.links


@both
def test_conflicting_figures_side_by_side(site):
    for alt in site.table("figure_alternatives"):
        html = (site.out / f"records/figures/{alt['figure_id']}.html").read_text()
        assert "Conflicting figures" in html and f"records/figures/{alt['alternative_id']}.html" in html.replace("../../", "")
    if site.table("figure_alternatives"):
        assert "sources disagree" in (site.out / "figures.html").read_text()


# --- the timeline -------------------------------------------------------------------------------------


@both
def test_timeline_holds_every_dated_event_and_lists_the_others(site):
    page = site.pages["timeline.html"]
    events = site.table("events")
    dated = {e["id"] for e in events if e["date_start"] is not None or e["date_end"] is not None}
    on_axis = [r["data-id"] for r in page.rows]
    assert sorted(on_axis) == sorted(dated)
    assert sorted(page.undated) == sorted({e["id"] for e in events} - dated)
    assert {e["id"] for e in events if e["date"] is None} <= set(page.undated)
    kinds = {e["id"]: e["kind"] for e in events}
    assert all(r["data-kind"] == kinds[r["data-id"]] for r in page.rows)
    assert page.options["kind"] == {""} | set(kinds.values())


def test_timeline_marks_precision_and_aggregates(site_100, tmp_path):
    html = (site_100.out / "timeline.html").read_text()
    assert "p-day" in html and "p-month" in html and "p-year" in html and "p-interval" in html
    assert 'class="mk open' in html  # an open interval runs to the edge
    assert "uncertain" in html and "approximate" in html
    assert "aggregate" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # 1.0.0 has no aggregate column
    release = open_release(None, base=ROOT / "build/releases")  # the latest release: 2.0.0 has aggregates
    if "aggregate" not in release.table("events").column_names:
        pytest.skip(f"release {release.version} has no aggregate column")
    site = build(release, tmp_path / release.version)
    aggregates = {e["id"] for e in site.table("events") if e["aggregate"] and (e["date_start"] or e["date_end"])}
    rows = {r["data-id"]: r["class"].split() for r in site.pages["timeline.html"].rows}
    assert aggregates and all("aggregate" in rows[a] for a in aggregates)
    assert all("aggregate" not in rows[e] for e in rows if e not in aggregates)


# --- the sources ----------------------------------------------------------------------------------------


@both
def test_every_evidence_span_is_highlighted_at_its_offsets(site):
    evidence = site.table("evidence")
    assert evidence
    for source in site.table("sources"):
        page = site.pages[f"sources/{source['id']}.html"]
        text = "".join(page.text)
        assert text == site.seed(source), f"{source['id']}: the page's text is not the seed's"
        data = json.loads(page.scripts["ev-data"])
        covered: dict[str, list[tuple[int, int]]] = {}
        for start, end, keys in page.marks:
            for k in keys:
                covered.setdefault(k, []).append((start, end))
        mine = [ev for ev in evidence if ev["source_id"] == source["id"]]
        assert set(covered) == {f"q-{e['record_table']}-{e['record_id']}-{e['ordinal']}" for e in mine} == set(data)
        for ev in mine:
            key = f"q-{ev['record_table']}-{ev['record_id']}-{ev['ordinal']}"
            pieces = sorted(covered[key])
            assert pieces[0][0] == ev["char_start"] and pieces[-1][1] == ev["char_end"], key
            assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False)), f"{key}: not contiguous"
            assert "".join(text[a:b] for a, b in pieces) == ev["quote"]
            assert page.anchors[key] == ev["char_start"]
            assert data[key][:2] == [ev["record_table"], ev["record_id"]]


@both
def test_uncited_sentences_are_marked(site):
    """Marked text overlaps no quote, and every line no quote touches is marked whole."""
    evidence = site.table("evidence")
    marked = 0
    for source in site.table("sources"):
        page = site.pages[f"sources/{source['id']}.html"]
        spans = [(e["char_start"], e["char_end"]) for e in evidence if e["source_id"] == source["id"]]
        for a, b in page.uncited:
            assert not any(s < b and e > a for s, e in spans), f"{source['id']}: {a}:{b} is cited but marked uncited"
        flagged = {i for a, b in page.uncited for i in range(a, b)}
        text = site.seed(source)
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            if line.strip() and not any(s < end and e > start for s, e in spans):
                assert all(i in flagged for i in range(start, end) if not text[i].isspace()), f"{source['id']}: line {line[:40]!r} is not marked"
            start = end + 1
        marked += len(page.uncited)
    assert marked


# --- search, reproducibility ------------------------------------------------------------------------------


@both
def test_search_index_names_every_record_and_loads_without_fetch(site):
    raw = (site.out / "search-index.js").read_text()
    assert raw.startswith("window.CASD_INDEX = ") and raw.endswith(";\n")
    entries = json.loads(raw[len("window.CASD_INDEX = ") : -2])
    urls = {e[3] for e in entries}
    for _label, _table, _rid, url, _extra in entries:
        assert (site.out / url).is_file()
    for a in site.table("actors"):
        assert f"records/actors/{a['id']}.html" in urls
    assert '<script src="search-index.js" defer></script>' in (site.out / "index.html").read_text()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(site_010):
    first = snapshot(site_010.out)
    build_site(site_010.release, site_010.out)
    assert snapshot(site_010.out) == first
    assert not [p for p in site_010.out.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"


def test_1_0_0_builds_byte_identical_too(site_100, tmp_path):
    again = tmp_path / "1.0.0"
    build_site(site_100.release, again)
    a, b = snapshot(site_100.out), snapshot(again)
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k] and b"/releases/1.0.0/" not in a[k]]  # the downloads' relative path differs by folder
    assert differ == []


def test_no_timestamps_or_absolute_paths(site_010):
    for rel in site_010.pages:
        html = (site_010.out / rel).read_text()
        assert str(site_010.out) not in html and str(ROOT) not in html


# --- downloads and overview ------------------------------------------------------------------------------


def test_overview_counts_cites_and_links_downloads(site_010):
    html = (site_010.out / "index.html").read_text()
    page = site_010.pages["index.html"]
    desc = site_010.release.descriptor()
    for lic in desc["licenses"]:
        assert lic["name"] in html
    assert "How to cite" in html and desc["version"] in html
    for name in ("events", "evidence"):
        assert f"../../releases/0.1.0/{name}.csv" in page.links and f"../../releases/0.1.0/{name}.parquet" in page.links
    assert "codebook.html" in page.links
    for kind in {e["kind"] for e in site_010.table("events")}:
        assert f"timeline.html#kind={kind}" in page.links


def test_1_0_0_without_newer_tables(site_100):
    names = site_100.release.table_names()
    assert "conflicts" not in names and "aggregate" not in site_100.release.table("events").column_names
    assert "Disagreements" not in (site_100.out / "index.html").read_text()


# --- the command ---------------------------------------------------------------------------------------


def said(stderr: str) -> str:
    """A message as one line, out of the box typer draws around usage errors."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", stderr).split())


def test_cli_writes_the_latest_release_to_build_site(released):
    r = ok(cli("report", "-C", str(released)))
    out = released / "build/site/0.1.0"
    assert r.stdout.strip() == (out / "index.html").as_posix()
    assert (out / "timeline.html").is_file() and (out / "static/site.css").is_file()
    assert broken_links(Site(out, open_release("0.1.0", base=released / "build/releases"))) == []


@pytest.mark.parametrize("inside", ["build/releases/site", "build/releases", "build/current/site", "build/releases/0.1.0"])
def test_cli_refuses_an_out_folder_inside_the_folders_it_reads(released, inside):
    before = snapshot(released / "build")
    r = cli("report", "-C", str(released), "--out", str(released / inside))
    assert r.exit_code == 2 and "never written into the folders it reads" in said(r.stderr)
    assert snapshot(released / "build") == before


def test_cli_refuses_to_overwrite_a_folder_that_is_not_a_site(released, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    r = cli("report", "-C", str(released), "--out", str(other))
    assert r.exit_code == 2 and "refusing" in r.stderr
    assert (other / "keep.txt").read_text() == "mine"


def test_cli_unknown_version_and_both_sources(released):
    assert cli("report", "-C", str(released), "--version", "9.9.9").exit_code == 2
    assert cli("report", "-C", str(released), "--version", "0.1.0", "--current").exit_code == 2


def test_cli_builds_the_working_build_from_the_project_seeds(built, tmp_path):
    out = tmp_path / "site"
    ok(cli("report", "--current", "-C", str(built), "--out", str(out)))
    site = Site(out, open_current(built / "build/current"))
    assert "working build" in (out / "index.html").read_text()
    assert broken_links(site) == []
    for s in site.table("sources"):
        assert "".join(site.pages[f"sources/{s['id']}.html"].text) == (built / s["file"]).read_text(encoding="utf-8")


def test_a_changed_seed_is_refused_for_the_working_build(built, tmp_path):
    source = open_current(built / "build/current").table("sources").to_pylist()[0]
    seed = built / source["file"]
    seed.write_text(seed.read_text() + "tampered")
    r = cli("report", "--current", "-C", str(built), "--out", str(tmp_path / "site"))
    assert r.exit_code == 1 and "sha256" in r.stderr
    assert not (tmp_path / "site").exists()


def test_text_is_escaped(project, tmp_path):
    event = project / "dataset/events/csto-summit-2014-12-23.yaml"
    event.write_text(event.read_text() + 'notes: "<script>alert(1)</script> & <b>bold</b>"\n')
    ok(cli("build", "-C", str(project)))
    out = tmp_path / "site"
    ok(cli("report", "--current", "-C", str(project), "--out", str(out)))
    html = (out / "records/events/csto-summit-2014-12-23.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert" not in html
