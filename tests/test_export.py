"""``casd export``: SQLite for Datasette, Croissant, Web Annotations and verified copies, from any
verified release (1.0.0 included) or the working build; the typed-CSV recipes of docs/exports.md."""

import asyncio
import datetime
import hashlib
import json
import math
import re
import sqlite3

import pytest

from casd.read.releases import open_release
from conftest import ROOT, cli, ok

# mlcroissant's own dependencies warn about their dependencies' deprecations: not ours to fix
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index is deprecated"),
]

DOCS = (ROOT / "docs/exports.md").read_text(encoding="utf-8")
REPO_RELEASES = ROOT / "build/releases"


def export(fmt, project, out, *options):
    return ok(cli("export", fmt, "--out", str(out), "-C", str(project), *options))


def release_with_an_open_conflict(project):
    """Release 0.1.1 of the released fixture, in which the two Bishkek death tolls are left unranked."""
    figure = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    figure.write_text(figure.read_text().replace("rank: preferred\n", ""))
    assert "released 0.1.1" in ok(cli("release", "-C", str(project))).stderr
    return "0.1.1"


def block(marker):
    """The Python code block after ``<!-- marker -->`` in docs/exports.md."""
    return re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", DOCS, flags=re.S)[1]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def typed(value):
    """A value with its type, recursively: 4 and 4.0, or 1 and True, do not compare equal."""
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


# --- SQLite ---------------------------------------------------------------------------------------

SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT", "array": "TEXT"}


def as_sqlite(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


def test_sqlite_holds_the_release_with_its_types_keys_indexes_search_and_views(released, tmp_path):
    out = export("sqlite", released, tmp_path / "db", "--version", "0.1.0")
    assert out.stdout.split() == ["casd.sqlite", "metadata.json"] and "datasette casd.sqlite -m metadata.json" in out.stderr
    release = open_release("0.1.0", released / "build/releases")
    db = sqlite3.connect(tmp_path / "db/casd.sqlite")
    for resource in release.descriptor()["resources"]:
        name, schema = resource["name"], resource["schema"]
        info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
        assert [(c[1], c[2]) for c in info] == [(f["name"], SQL_TYPES[f["type"]]) for f in schema["fields"]], name
        assert [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]] == schema["primaryKey"], name
        fks = {(fk[3], fk[2], fk[4]) for fk in db.execute(f'PRAGMA foreign_key_list("{name}")')}
        assert fks == {(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0]) for fk in schema.get("foreignKeys", [])}, name
        indexed = {db.execute(f'PRAGMA index_info("{i[1]}")').fetchone()[2] for i in db.execute(f'PRAGMA index_list("{name}")')}
        assert {fk["fields"][0] for fk in schema.get("foreignKeys", [])} <= indexed, name
        columns = [f["name"] for f in schema["fields"]]
        stored = db.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{name}"').fetchall()
        expected = [tuple(as_sqlite(row[c]) for c in columns) for row in release.table(name).to_pylist()]
        assert sorted(map(typed, stored), key=repr) == sorted(map(typed, expected), key=repr), name
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT date_start, date_uncertain FROM events WHERE id = 'csto-summit-2014-12-23'").fetchone() == ("2014-12-23", 1)
    assert db.execute("SELECT fields FROM evidence WHERE record_table = 'bases'").fetchone() == ('["established"]',)
    assert db.execute("SELECT a.id FROM actors_fts JOIN actors AS a ON a.rowid = actors_fts.rowid WHERE actors_fts MATCH 'putin'").fetchall() == [("vladimir-putin",)]
    quotes = [row["quote"] for row in release.table("evidence").to_pylist()]
    assert db.execute("SELECT count(*) FROM evidence_fts WHERE evidence_fts MATCH 'militants'").fetchone()[0] == sum("militant" in q.lower() for q in quotes) > 1
    labels = db.execute("SELECT record_table, record_id, record_label, source_title FROM evidence_with_records").fetchall()
    assert len(labels) == 18 and all(label and title for _, _, label, title in labels)
    assert ("bases", "kant-air-base", "Kant Air Base") in {row[:3] for row in labels}
    assert ("statements", "putin-csto-preventive-measures") in {row[:2] for row in labels}  # labelled by its quote
    subjects = db.execute("SELECT id, subject_label FROM figures_with_subjects ORDER BY id").fetchall()
    assert subjects == [("bishkek-raid-killed-4", "Security forces raid militants in Bishkek"), ("bishkek-raid-killed-4-total", "Security forces raid militants in Bishkek")]
    info = dict(db.execute("SELECT key, value FROM casd_export"))
    assert info["version"] == "0.1.0" and info["sums_sha256"] == release.entry["sums_sha256"] and info["sqlite_version"] == sqlite3.sqlite_version


def test_datasette_serves_the_export_with_links_search_descriptions_and_canned_queries(released, tmp_path):
    from datasette.app import Datasette

    version = release_with_an_open_conflict(released)
    export("sqlite", released, tmp_path / "db", "--version", version)
    metadata = json.loads((tmp_path / "db/metadata.json").read_text())
    assert set(metadata["databases"]["casd"]["queries"]) == {"record_evidence", "open_conflicts", "timeline"}

    async def run():
        ds = Datasette(files=[str(tmp_path / "db/casd.sqlite")], metadata=metadata, settings={"num_sql_threads": 0})  # (its threads would outlive the test)

        async def rows(path):
            r = await ds.client.get(path)
            assert r.status_code == 200, (path, r.text[:500])
            return r.json()

        event = (await rows("/casd/events.json?_labels=on&_shape=objects&id=bishkek-raid-2015-07-16"))["rows"][0]
        assert event["place_id"] == {"value": "bishkek", "label": "Bishkek"}  # a foreign key, resolved to its row
        page = await ds.client.get("/casd/events?id=bishkek-raid-2015-07-16")
        assert 'href="/casd/places/bishkek"' in page.text
        assert [a["id"] for a in await rows("/casd/actors.json?_search=putin&_shape=array")] == ["vladimir-putin"]
        table = await ds.client.get("/casd/evidence")
        assert "A passage of a source that supports a record" in table.text and "The exact text of the source at char_start:char_end." in table.text
        evidence = await rows("/casd/record_evidence.json?_shape=array&table=events&id=bishkek-raid-2015-07-16")
        assert [e["ordinal"] for e in evidence] == [1, 2, 3] and {e["record_label"] for e in evidence} == {"Security forces raid militants in Bishkek"}
        conflicts = await rows("/casd/open_conflicts.json?_shape=array")
        assert [(c["figure_id"], c["resolved"]) for c in conflicts] == [("bishkek-raid-killed-4", 0), ("bishkek-raid-killed-4-total", 0)]
        timeline = await rows("/casd/timeline.json?_shape=array")
        assert [e["id"] for e in timeline] == ["csto-summit-2014-12-23", "bishkek-raid-2015-07-16"]

    asyncio.run(run())


def test_open_conflicts_lists_only_unresolved_ones(released, tmp_path):
    export("sqlite", released, tmp_path / "db")  # 0.1.0: its one conflict is resolved (a figure is preferred)
    db = sqlite3.connect(tmp_path / "db/casd.sqlite")
    sql = json.loads((tmp_path / "db/metadata.json").read_text())["databases"]["casd"]["queries"]["open_conflicts"]["sql"]
    assert db.execute("SELECT count(*) FROM conflicts WHERE resolved = 1").fetchone()[0] == 2
    assert db.execute(sql).fetchall() == []


def test_sqlite_of_release_1_0_0_with_its_older_schema(tmp_path):
    export("sqlite", ROOT, tmp_path / "db", "--version", "1.0.0")
    db = sqlite3.connect(tmp_path / "db/casd.sqlite")
    meta = json.loads((tmp_path / "db/metadata.json").read_text())
    queries = meta["databases"]["casd"]["queries"]
    assert "no conflicts table" in queries["open_conflicts"]["description"] and "FROM figure_alternatives" in queries["open_conflicts"]["sql"]
    assert len(db.execute(queries["open_conflicts"]["sql"]).fetchall()) == 10  # 1.0.0 ranks no figure preferred
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'conflicts'").fetchone()[0] == 0
    timeline = db.execute(queries["timeline"]["sql"]).fetchall()
    starts = [row[7] for row in timeline]  # date_start
    dated = [s for s in starts if s is not None]
    assert len(timeline) == 83 and dated == sorted(dated) and starts[len(dated) :] == [None] * (len(starts) - len(dated)) and len(dated) < len(starts)
    assert len(db.execute(queries["record_evidence"]["sql"], {"table": "events", "id": "bishkek-lebedinovka-raids-2015-07-16"}).fetchall()) > 1
    assert db.execute("SELECT count(*) FROM evidence_with_records WHERE record_label IS NULL").fetchone()[0] == 0
    assert meta["license"].startswith("Creative Commons") and meta["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert meta["databases"]["casd"]["tables"]["events"]["columns"]["title"] == "A short title written by the curators."
    assert dict(db.execute("SELECT key, value FROM casd_export"))["version"] == "1.0.0"


# --- Croissant ------------------------------------------------------------------------------------


def plain(value):
    """A value mlcroissant yields, as casd.load's arrow values are: str, int, float, bool, date, list, None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (list, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


@pytest.mark.parametrize("which", ["fixture 0.1.0", "repository 1.0.0"])
def test_croissant_validates_and_every_record_set_loads_as_casd_load(which, released, tmp_path, monkeypatch):
    import mlcroissant as mlc

    import casd

    project, version = (released, "0.1.0") if which.startswith("fixture") else (ROOT, "1.0.0")
    monkeypatch.setenv("CASD_RELEASES", str(project / "build/releases"))
    folder = tmp_path / "croissant"
    export("croissant", project, folder, "--version", version)
    release = open_release(version, project / "build/releases")
    doc = json.loads((folder / "croissant.json").read_text())
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0" and doc["version"] == version
    described = {o["contentUrl"]: o for o in doc["distribution"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"croissant.json"}
    assert set(described) == on_disk and any(name.startswith("seeds/") for name in on_disk)
    for name, obj in described.items():
        assert obj["@type"] == "cr:FileObject" and obj["sha256"] == sha256(folder / name), name
        if name in release.sums:
            assert obj["sha256"] == release.sums[name], name

    dataset = mlc.Dataset(jsonld=folder / "croissant.json")  # raises on any validation error, checks every file's sha256
    warnings = dataset.metadata.ctx.issues.warnings
    assert all("datePublished" in str(w) for w in warnings), warnings
    tables = [r["name"] for r in release.descriptor()["resources"]]
    assert [rs["@id"] for rs in doc["recordSet"]] == tables
    for record_set in doc["recordSet"]:
        name = record_set["@id"]
        types = {f["name"]: f["dataType"] for f in record_set["field"]}
        expected = casd.load(name, version=version, format="arrow").to_pylist()
        loaded = [{key.split("/", 1)[1]: plain(value) for key, value in record.items()} for record in dataset.records(record_set=name)]
        assert typed(loaded) == typed(expected), name
        for field in next(r for r in release.descriptor()["resources"] if r["name"] == name)["schema"]["fields"]:
            want = {"string": "sc:Text", "integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean", "date": "sc:Date", "array": "sc:Text"}[field["type"]]
            assert types[field["name"]] == want, (name, field["name"])
        key = record_set["key"] if isinstance(record_set["key"], list) else [record_set["key"]]
        primary = next(r for r in release.descriptor()["resources"] if r["name"] == name)["schema"]["primaryKey"]
        assert [k["@id"] for k in key] == [f"{name}/{c}" for c in primary]


def test_croissant_doc_example_runs(released, tmp_path):
    export("croissant", released, tmp_path / "exports/croissant")
    code = block("example: croissant").replace('"exports/croissant', f'"{tmp_path}/exports/croissant')
    exec(compile(code, "docs/exports.md", "exec"), {})


# --- Web Annotations ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["fixture 0.1.0", "repository 1.0.0"])
def test_every_annotation_resolves_against_its_seed_without_casd(which, released, tmp_path):
    project, version = (released, "0.1.0") if which.startswith("fixture") else (ROOT, "1.0.0")
    folder = tmp_path / "annotations"
    export("annotations", project, folder, "--version", version)
    doc = json.loads((folder / "annotations.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"][0] == "http://www.w3.org/ns/anno.jsonld" and doc["type"] == "AnnotationCollection"
    assert "code points" in doc["description"] and "no normalisation" in doc["description"]
    items = doc["first"]["items"]
    evidence = open_release(version, project / "build/releases").table("evidence").to_pylist()
    assert doc["total"] == len(items) == len(evidence)
    multibyte = 0
    for item, row in zip(items, evidence, strict=True):
        assert item["type"] == "Annotation" and item["body"] == f"casd:{row['record_table']}/{row['record_id']}"
        data = (folder / item["target"]["source"]).read_bytes()  # plain Python from here: no casd code
        text = data.decode("utf-8")
        selectors = {s["type"]: s for s in item["target"]["selector"]}
        quote, chars, span = selectors["TextQuoteSelector"], selectors["TextPositionSelector"], selectors["DataPositionSelector"]
        exact = quote["exact"]
        assert text[chars["start"] : chars["end"]] == exact
        assert data[span["start"] : span["end"]].decode("utf-8") == exact
        prefix, suffix = quote.get("prefix", ""), quote.get("suffix", "")
        assert len(prefix) == min(32, chars["start"]) and text[chars["start"] - len(prefix) : chars["start"]] == prefix
        assert len(suffix) == min(32, len(text) - chars["end"]) and text[chars["end"] : chars["end"] + len(suffix)] == suffix
        multibyte += span["start"] != chars["start"]
    if version == "1.0.0":
        assert multibyte > 0  # seeds with typographic quotes: byte and code point offsets differ


def test_annotations_doc_example_runs(released, tmp_path):
    export("annotations", released, tmp_path / "exports/annotations")
    code = block("example: annotations").replace('"exports/annotations"', f'"{tmp_path}/exports/annotations"')
    exec(compile(code, "docs/exports.md", "exec"), {})


# --- verified copies ------------------------------------------------------------------------------


def test_files_are_verified_copies(released, tmp_path):
    out = tmp_path / "copy"
    r = export("files", released, out, "--version", "0.1.0")
    folder = released / "build/releases/0.1.0"
    sums = dict(line.split("  ", 1)[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    copied = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert copied == set(sums) | {"SHA256SUMS"} == set(r.stdout.split())
    assert (out / "SHA256SUMS").read_bytes() == (folder / "SHA256SUMS").read_bytes()
    for name, digest in sums.items():
        assert sha256(out / name) == digest and (out / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_copy_that_differs_after_writing_is_caught(released, tmp_path, monkeypatch):
    import casd.export.common as common

    real = common.write_atomic

    def corrupting(path, data):
        real(path, data + b"!" if path.name == "events.csv" else data)

    monkeypatch.setattr(common, "write_atomic", corrupting)
    r = cli("export", "files", "--out", str(tmp_path / "copy"), "-C", str(released))
    assert r.exit_code == 1 and "events.csv: sha256" in r.stderr and "after copying" in r.stderr


def test_a_tampered_release_is_refused(released, tmp_path):
    (released / "build/releases/0.1.0/events.parquet").write_bytes(b"PAR1 not the release")
    for fmt in ("sqlite", "files"):
        r = cli("export", fmt, "--out", str(tmp_path / fmt), "-C", str(released))
        assert r.exit_code == 1 and "events.parquet: sha256" in r.stderr, r.stderr


# --- source and output folder ---------------------------------------------------------------------


def test_bad_options_and_folders_are_refused_with_exit_2(released, tmp_path):
    for out in ("build/releases/mine", "build/releases", "build/releases/0.1.0/x", "build/current/x"):
        r = cli("export", "sqlite", "--out", str(released / out), "-C", str(released))
        assert r.exit_code == 2 and "inside" in r.stderr, (out, r.stderr)
    assert not (released / "build/releases/mine").exists() and not (released / "build/current/x").exists()
    r = cli("export", "sqlite", "--version", "0.1.0", "--current", "--out", str(tmp_path / "x"), "-C", str(released))
    assert r.exit_code == 2 and "not both" in r.stderr
    r = cli("export", "sqlite", "--version", "9.9.9", "--out", str(tmp_path / "x"), "-C", str(released))
    assert r.exit_code == 2 and "no release '9.9.9'" in r.stderr
    assert cli("export", "parquet", "--out", str(tmp_path / "x"), "-C", str(released)).exit_code == 2
    (tmp_path / "file").write_text("")
    r = cli("export", "files", "--out", str(tmp_path / "file"), "-C", str(released))
    assert r.exit_code == 2 and "not a folder" in r.stderr
    r = cli("export", "sqlite", "--out", str(tmp_path / "x"), "-C", str(tmp_path))
    assert r.exit_code == 2 and "not a casd project" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_working_build_exports_with_current(built, tmp_path):
    r = cli("export", "sqlite", "--out", str(tmp_path / "db"), "-C", str(built))
    assert r.exit_code == 2 and "no published release" in r.stderr  # no release yet: --current is the way
    r = export("sqlite", built, tmp_path / "db", "--current")
    assert "working build 0.1.0-dev" in r.stderr
    db = sqlite3.connect(tmp_path / "db/casd.sqlite")
    assert dict(db.execute("SELECT key, value FROM casd_export"))["version"] == "0.1.0-dev"
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    export("annotations", built, tmp_path / "anno", "--current")  # the seeds come from the project, checked against sources.sha256
    doc = json.loads((tmp_path / "anno/annotations.jsonld").read_text())
    assert doc["total"] == 18 and doc["id"] == "casd:annotations/0.1.0-dev"
    seed = built / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Kyrgyz", b"Kirgiz", 1))
    r = cli("export", "annotations", "--out", str(tmp_path / "anno2"), "--current", "-C", str(built))
    assert r.exit_code == 1 and "the sources table says" in r.stderr


def test_reproducible_outputs_are_byte_identical(released, tmp_path):
    for fmt, names in (("croissant", ["croissant.json"]), ("annotations", ["annotations.jsonld"]), ("sqlite", ["metadata.json"]), ("files", ["SHA256SUMS"])):
        export(fmt, released, tmp_path / "a" / fmt)
        export(fmt, released, tmp_path / "b" / fmt)
        for name in names:
            assert (tmp_path / "a" / fmt / name).read_bytes() == (tmp_path / "b" / fmt / name).read_bytes(), (fmt, name)
    assert not (released / "build/releases/0.1.0/casd.sqlite").exists()
    assert "casd.sqlite" not in (released / "build/releases/0.1.0/SHA256SUMS").read_text()


def test_export_has_help():
    r = ok(cli("export", "--help"))
    assert "Usage: casd export" in r.stdout and "--current" in r.stdout and "--out" in r.stdout


# --- the typed-CSV recipes of docs/exports.md -----------------------------------------------------


def recipe(name, folder):
    """Run a recipe of docs/exports.md (its example lines too, on ``folder``); its namespace."""
    code = block(f"recipe: {name}").replace("build/releases/1.0.0", str(folder))
    namespace = {"__name__": "__main__"}
    exec(compile(code, f"docs/exports.md ({name})", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("which", ["fixture 0.1.0", "repository 1.0.0"])
def test_csv_recipes_read_the_csv_twins_equal_to_the_parquet_files(which, released):
    import duckdb
    import pandas as pd
    import polars as pl

    folder = released / "build/releases/0.1.0" if which.startswith("fixture") else REPO_RELEASES / "1.0.0"
    resources = json.loads((folder / "datapackage.json").read_text())["resources"]
    polars_read, pandas_read, duckdb_read = (recipe(name, folder)["read_csv_typed"] for name in ("polars", "pandas", "duckdb"))
    con = duckdb.connect()
    for resource in resources:
        name, parquet = resource["name"], str(folder / resource["casd:parquet"]["path"])
        typed = polars_read(folder, name)
        twin = pl.read_parquet(parquet)
        assert typed.schema == twin.schema and typed.equals(twin), name
        pd.testing.assert_frame_equal(pandas_read(folder, name), pd.read_parquet(parquet, dtype_backend="pyarrow"), check_exact=True)
        relation, twin_relation = duckdb_read(folder, name, con), con.read_parquet(parquet)
        assert relation.columns == twin_relation.columns and relation.types == twin_relation.types, name
        assert relation.fetchall() == twin_relation.fetchall(), name


def test_the_descriptions_inside_a_release_are_the_exports_of_that_release(tmp_path):
    """2.0.1 carries croissant.json and annotations.jsonld: byte for byte what `casd export` writes
    for it, and mlcroissant reads the one inside the release folder directly."""
    import mlcroissant as mlc

    folder = ROOT / "build/releases/2.0.1"
    for fmt, name in (("croissant", "croissant.json"), ("annotations", "annotations.jsonld")):
        out = tmp_path / fmt
        export(fmt, ROOT, out, "--version", "2.0.1")
        assert (out / name).read_bytes() == (folder / name).read_bytes(), name
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")
    assert len(list(dataset.records(record_set="sources"))) == 5
