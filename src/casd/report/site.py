"""Render the site: every page through a Jinja2 template (autoescape on), written in one atomic swap.

The output depends only on the release: no timestamps, no absolute paths, every iteration sorted, so
two builds of one release are identical byte for byte.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..errors import CasdError
from ..fs import swap_folders
from ..read.releases import Release
from . import data, network, pages
from .data import Dataset

HERE = Path(__file__).resolve().parent
MARKER = ".casd-site"
STATIC = ("site.css", "site.js")
#: Files of a release offered for download besides the tables, when the release has them.
DOCUMENTS = ("datapackage.json", "README.md", "DATASHEET.md", "CODEBOOK.md", "CITATION.cff", "changes.csv", "SHA256SUMS")


@dataclass(frozen=True)
class Built:
    out: Path
    version: str
    files: int
    records: int
    sources: int


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["n"] = lambda v: f"{float(v):.1f}".rstrip("0").rstrip(".")
    env.filters["num"] = pages.number
    env.filters["plain"] = pages.plain
    env.filters["words"] = lambda v: str(v).replace("_", " ").replace("-", " ")
    env.filters["doc"] = doc
    env.filters["untick"] = lambda v: str(v).replace("``", "")
    env.globals["when"] = data.when
    env.globals["evidence_key"] = pages.evidence_key
    return env


_LITERAL = re.compile(r"``(.+?)``")


def doc(text: object) -> Markup:
    """A description from the descriptor: escaped, its ````literals```` set as code."""
    return Markup(_LITERAL.sub(r"<code>\1</code>", str(escape(str(text)))))


class Renderer:
    """Renders pages into memory (path -> bytes) with the links right for each page's depth."""

    def __init__(self, ds: Dataset, downloads: list[dict[str, Any]]):
        self.ds = ds
        self.env = environment()
        self.files: dict[str, bytes] = {}
        self.downloads = downloads

    def page(self, path: str, template: str, **context: Any) -> None:
        root = "../" * path.count("/")
        base = {
            "root": root,
            "L": pages.Linker(self.ds, root),
            "ds": self.ds,
            "version": self.ds.version,
            "working": self.ds.working,
            "path": path,
            "title_of": self.ds.descriptor.get("title") or "casd",
            "label_of": functools.partial(data.record_label, self.ds),
        }
        html = self.env.get_template(template).render(**base, **context)
        self.files[path] = html.encode("utf-8")


def _downloads(ds: Dataset, release: Release, out: Path) -> list[dict[str, Any]]:
    """The release's own files, linked by their path relative to the site (nothing copied)."""
    folder = os.path.relpath(release.folder.resolve(), out.resolve()).replace(os.sep, "/")
    items: list[dict[str, Any]] = []
    for t in ds.tables.values():
        links = [(fmt, name) for fmt, name in (("CSV", t.csv), ("Parquet", t.parquet)) if name and name in release.sums]
        if links:
            items.append({"name": t.name, "rows": len(t.rows), "links": [(fmt, f"{folder}/{name}") for fmt, name in links]})
    docs = [(name, f"{folder}/{name}") for name in DOCUMENTS if name in release.sums or (name == "SHA256SUMS" and (release.folder / name).is_file())]
    archive = release.entry.get("archive")
    if archive and (release.folder.parent / str(archive)).is_file():
        docs.append((str(archive), os.path.relpath((release.folder.parent / str(archive)).resolve(), out.resolve()).replace(os.sep, "/")))
    return [{"tables": items, "documents": docs, "folder": folder}]


def search_index(ds: Dataset) -> bytes:
    entries = []
    for name in ds.entity_tables:
        for row in ds.rows(name):
            extra = " ".join(str(a) for a in row.get("aliases") or [])
            entries.append([data.label(ds, name, row), name, row["id"], pages.record_href(name, row["id"]), extra])
    for s in ds.rows("sources"):
        entries.append([f"{s['title']} (annotated text)", "source text", s["id"], pages.source_href(s["id"]), ""])
    body = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    return f"window.CASD_INDEX = {body};\n".encode()


def render(ds: Dataset, release: Release, out: Path) -> dict[str, bytes]:
    """Every file of the site, by its path inside the site."""
    r = Renderer(ds, _downloads(ds, release, out))
    tl = pages.build_timeline(ds)
    start, end, undated = pages.period(ds)
    conflicts = ds.rows("conflicts")
    open_conflicts = sorted({c["conflict_id"] for c in conflicts if not c.get("resolved")})
    r.page(
        "index.html", "index.html", page="index", tl=tl, period=(start, end, undated), downloads=r.downloads[0], citation=pages.citation(ds),
        conflicts=sorted({c["conflict_id"] for c in conflicts}), open_conflicts=open_conflicts, top=max([len(t.rows) for t in ds.tables.values()] + [1]),
        log_scale=pages.log_scale, sources=_sources(ds),
    )  # fmt: skip
    r.page("timeline.html", "timeline.html", page="timeline", tl=tl)
    actors = pages.actor_infos(ds)
    graph = network.layout(ds)
    colours = pages.kind_colours([str(a.get("kind")) for a in ds.rows("actors")])
    r.page("actors.html", "actors.html", page="actors", groups=actors, graph=graph, colours=colours)
    r.page("bases.html", "bases.html", page="bases", chart=pages.build_bases(ds))
    groups = pages.figure_groups(ds)
    r.page("figures.html", "figures.html", page="figures", groups=groups, alts=pages.alternatives(ds))
    r.page("sources.html", "sources.html", page="sources", sources=_sources(ds))
    r.page("codebook.html", "codebook.html", page="codebook")
    r.page("records.html", "records.html", page="records")
    idx = pages.Indexes(ds)
    for name in ds.entity_tables:
        table = ds.table(name)
        r.page(f"records/{name}.html", "table.html", page="records", table=table)
        for row in table.rows:
            r.page(pages.record_href(name, row["id"]), "record.html", page="records", rec=idx.page(table, row), alts=idx.alts)
    for s in ds.rows("sources"):
        r.page(pages.source_href(s["id"]), "source.html", page="sources", sp=pages.source_page(ds, s))
    files = dict(r.files)
    for name in STATIC:
        files[f"static/{name}"] = (HERE / "static" / name).read_bytes()
    files["search-index.js"] = search_index(ds)
    files[MARKER] = f"casd report site for {ds.version}\n".encode()
    return files


def _sources(ds: Dataset) -> list[dict[str, Any]]:
    out = []
    counts: dict[str, int] = defaultdict(int)
    for ev in ds.rows("evidence"):
        counts[ev["source_id"]] += 1
    for s in ds.rows("sources"):
        out.append({"row": s, "quotes": counts.get(s["id"], 0), "chars": len(ds.texts[s["id"]])})
    return out


def _check_out(out: Path, release: Release, working: bool) -> None:
    target = out.resolve()
    forbidden = [release.folder.resolve()] + ([] if working else [release.folder.resolve().parent])
    for folder in forbidden:
        if target == folder or folder in target.parents:
            raise CasdError(f"{out}: the site cannot be written inside {folder} (a release or build folder)")
    if target.exists() and not target.is_dir():
        raise CasdError(f"{out}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise CasdError(f"{out}: a folder that is neither empty nor a casd site; refusing to overwrite it")


def write(files: dict[str, bytes], out: Path) -> None:
    """Write the site to a temporary folder beside ``out``, then swap it into place."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        for rel in sorted(files):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[rel])
        if out.exists():
            if not swap_folders(tmp, out):
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                out.rename(old)
                tmp.rename(out)
                tmp = old
        else:
            tmp.rename(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)


def build_site(release: Release, out: Path, seeds_root: Path | None = None, working: bool | None = None) -> Built:
    """Build the site for a verified ``release`` (or the working build) into ``out``.

    ``seeds_root``: the project folder, where a working build's seeds are (``sources.file`` is
    relative to it); a release carries its own seeds.
    """
    ds = data.load(release, seeds_root, working)
    _check_out(Path(out), release, ds.working)
    files = render(ds, release, Path(out))
    write(files, Path(out))
    records = sum(len(ds.rows(t)) for t in ds.entity_tables)
    return Built(Path(out), ds.version, len(files), records, len(ds.rows("sources")))
