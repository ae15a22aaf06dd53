"""The committed dataset, build and schemas: valid, current, and accepted by Frictionless."""

import json

import polars as pl
from frictionless import validate as fl_validate

from conftest import ROOT, cli


def test_committed_dataset_validates():
    r = cli("validate", "-C", str(ROOT))
    assert r.exit_code == 0, r.stdout[-3000:]


def test_committed_build_is_current():
    r = cli("build", "--check", "-C", str(ROOT))
    assert r.exit_code == 0, r.stdout[-3000:] + r.stderr


def test_committed_schemas_match_the_models():
    r = cli("schema", "--check", "-C", str(ROOT))
    assert r.exit_code == 0, r.stdout + r.stderr


def test_schema_check_catches_drift(tmp_path):
    import shutil

    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "dataset").mkdir()
    shutil.copy(ROOT / "dataset/package.yaml", tmp_path / "dataset/package.yaml")
    path = tmp_path / "schema/tables/events.json"
    path.write_text(path.read_text().replace('"title"', '"headline"', 1))
    (tmp_path / "schema/tables/stray.json").write_text("{}")
    r = cli("schema", "--check", "-C", str(tmp_path))
    assert r.exit_code == 1
    assert "schema/tables/events.json:1:1: schema-drift" in r.stdout and "stray.json" in r.stdout


def test_root_descriptor_is_valid_with_frictionless():
    report = fl_validate(str(ROOT / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:20]


def test_every_core_record_has_anchored_evidence():
    ev = pl.read_parquet(ROOT / "build/current/evidence.parquet")
    for table in ("places", "actors", "events", "bases", "statements", "figures"):
        ids = set(pl.read_parquet(ROOT / f"build/current/{table}.parquet")["id"])
        cited = set(ev.filter(pl.col("record_table") == table)["record_id"])
        assert ids and ids <= cited, (table, sorted(ids - cited)[:5])


def test_foreign_keys_join_in_polars():
    cur = ROOT / "build/current"
    st = pl.read_parquet(cur / "statements.parquet")
    actors = pl.read_parquet(cur / "actors.parquet")
    joined = st.join(actors.select(pl.col("id").alias("speaker_id"), pl.col("name").alias("speaker")), on="speaker_id", how="left")
    assert joined["speaker"].null_count() == 0
    dp = json.loads((ROOT / "datapackage.json").read_text())
    assert dp["version"].endswith("-dev")


def test_editor_settings_map_every_table_to_its_json_schema():
    from casd.model.records import TABLES

    settings = json.loads((ROOT / ".vscode/settings.json").read_text())["yaml.schemas"]
    for table in TABLES:
        assert settings[f"./schema/records/{table}.json"] == [f"dataset/{table}/*.yaml"]
        assert (ROOT / f"schema/records/{table}.json").is_file()


def test_diff_against_1_0_0_shows_no_false_foreign_key_change():
    r = cli("diff", "1.0.0", "-C", str(ROOT))
    assert r.exit_code == 0, r.stderr
    for table in ("sources", "actors"):  # empty foreignKeys in 1.0.0, none now: no change (claims gained one)
        assert f"{table}: foreign keys changed" not in r.stdout
    assert "[major] places.external_latitude retyped string -> number" in r.stdout  # the erratum's fix


def test_bad_dataset_metadata_is_reported_at_its_line(project):
    meta = project / "dataset/package.yaml"
    meta.write_text(meta.read_text().replace("name: casd\n", "name: Not A Slug\n").replace("software_license: MIT\n", ""))
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 1
    assert "dataset/package.yaml:1:7: invalid-value: name: String should match pattern" in r.stdout
    assert "dataset/package.yaml:1:1: missing-field: missing required field 'software_license'" in r.stdout
    assert cli("build", "-C", str(project)).exit_code == 1
