"""scripts/check_profiles.py against the official Data Package v2 profiles.

The profiles are kept in the repository (``scripts/profiles/datapackage-2.0``, copied from the
official ones); without them these tests fail rather than skip, so a broken checkout cannot pass
unnoticed.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "scripts" / "profiles" / "datapackage-2.0"
SCRIPT = ROOT / "scripts" / "check_profiles.py"
CURRENT = ROOT / "build" / "current" / "datapackage.json"
RELEASE = ROOT / "build" / "releases" / "1.0.0" / "datapackage.json"


@pytest.fixture(scope="module")
def profiles() -> Path:
    names = ["datapackage.json", "dataresource.json", "tableschema.json", "tabledialect.json"]
    missing = [n for n in names if not (PROFILES / n).is_file()]
    if missing:
        pytest.fail(
            f"the Data Package v2 profiles are missing from {PROFILES} ({', '.join(missing)}): "
            "restore them from git",
            pytrace=False,
        )
    return PROFILES


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_profiles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def index(descriptor: dict[str, Any], name: str) -> int:
    return next(i for i, r in enumerate(descriptor["resources"]) if r["name"] == name)


def paths(problems: list[str]) -> list[str]:
    return [p.split(": ", 1)[0] for p in problems]


@pytest.mark.parametrize("descriptor", [ROOT / "datapackage.json", CURRENT], ids=["root", "build-current"])
def test_current_descriptors_conform(checker: ModuleType, profiles: Path, descriptor: Path) -> None:
    assert checker.check(load(descriptor), profiles) == []


def test_release_1_0_0_erratum_is_caught(checker: ModuleType, profiles: Path) -> None:
    """1.0.0 wrote empty foreignKeys arrays, which v2 forbids (minItems 1); the checker must say so."""
    release = load(RELEASE)
    problems = checker.check(release, profiles)
    empty = [i for i, r in enumerate(release["resources"]) if r["schema"].get("foreignKeys") == []]
    assert empty == [0, 2, 14]
    # every empty array, nothing else, sorted by index numerically (2 before 14)
    assert paths(problems) == [f"$.resources[{i}].schema.foreignKeys" for i in empty]
    assert all("foreignKeys" in p and "non-empty" in p for p in problems)


def test_path_outside_the_package_is_reported(checker: ModuleType, profiles: Path) -> None:
    descriptor = copy.deepcopy(load(CURRENT))
    i = index(descriptor, "actors")
    descriptor["resources"][i]["path"] = "../x.csv"
    problems = checker.check(descriptor, profiles)
    assert paths(problems) == [f"$.resources[{i}].path"]
    assert "'../x.csv'" in problems[0]
    assert "does not match" in problems[0]  # the hint names the pattern the path breaks


def test_empty_foreign_keys_are_reported(checker: ModuleType, profiles: Path) -> None:
    descriptor = copy.deepcopy(load(CURRENT))
    i = index(descriptor, "actors")
    assert "foreignKeys" not in descriptor["resources"][i]["schema"]
    descriptor["resources"][i]["schema"]["foreignKeys"] = []
    assert paths(checker.check(descriptor, profiles)) == [f"$.resources[{i}].schema.foreignKeys"]


def test_field_type_typo_lists_the_types(checker: ModuleType, profiles: Path) -> None:
    descriptor = copy.deepcopy(load(CURRENT))
    descriptor["resources"][0]["schema"]["fields"][1]["type"] = "strin"
    (problem,) = checker.check(descriptor, profiles)
    assert problem.startswith("$.resources[0].schema.fields[1]: ")
    assert "$.resources[0].schema.fields[1].type: 'strin' is not one of \"string\", \"number\"" in problem


def test_every_problem_is_reported(checker: ModuleType, profiles: Path) -> None:
    descriptor = copy.deepcopy(load(CURRENT))
    descriptor["name"] = 5
    descriptor["resources"][3]["dialect"]["delimiter"] = 3
    descriptor["resources"][12]["schema"]["foreignKeys"] = []
    descriptor["resources"][2]["schema"]["foreignKeys"] = []
    assert paths(checker.check(descriptor, profiles)) == [
        "$.name",
        "$.resources[2].schema.foreignKeys",
        "$.resources[3].dialect.delimiter",
        "$.resources[12].schema.foreignKeys",
    ]


def _copy_profiles(src: Path, dest: Path, edit: Any) -> Path:
    dest.mkdir()
    for f in src.iterdir():
        shutil.copy(f, dest / f.name)
    package = load(dest / "datapackage.json")
    edit(package)
    (dest / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return dest


def test_refs_between_profiles_resolve_locally(checker: ModuleType, profiles: Path, tmp_path: Path) -> None:
    """A package profile that $refs the resource profile by URL (no network) or by relative path."""
    descriptor = copy.deepcopy(load(CURRENT))
    descriptor["resources"][2]["schema"]["foreignKeys"] = []
    for n, ref in enumerate(["https://datapackage.org/profiles/2.0/dataresource.json", "dataresource.json#"]):

        def edit(package: dict[str, Any], ref: str = ref) -> None:
            package["properties"]["resources"]["items"] = {"$ref": ref}

        folder = _copy_profiles(profiles, tmp_path / str(n), edit)
        assert checker.check(load(CURRENT), folder) == []
        assert paths(checker.check(descriptor, folder)) == ["$.resources[2].schema.foreignKeys"]


def test_unresolvable_ref_is_an_input_error(checker: ModuleType, profiles: Path, tmp_path: Path) -> None:
    def edit(package: dict[str, Any]) -> None:
        package["properties"]["resources"]["items"] = {"$ref": "https://example.org/nowhere.json"}

    folder = _copy_profiles(profiles, tmp_path / "p", edit)
    with pytest.raises(checker.InputError, match="nowhere.json"):
        checker.check(load(CURRENT), folder)


def test_schema_and_dialect_checked_separately_when_the_package_profile_does_not(
    checker: ModuleType, profiles: Path, tmp_path: Path
) -> None:
    def edit(package: dict[str, Any]) -> None:
        props = package["properties"]["resources"]["items"]["properties"]
        props["schema"] = {"title": "Table Schema", "type": ["string", "object"]}
        props["dialect"] = {"title": "Table Dialect", "type": "object"}

    folder = _copy_profiles(profiles, tmp_path / "p", edit)
    descriptor = copy.deepcopy(load(CURRENT))
    descriptor["resources"][2]["schema"]["foreignKeys"] = []
    descriptor["resources"][3]["dialect"]["delimiter"] = 3
    assert paths(checker.check(descriptor, folder)) == ["$.resources[2].schema.foreignKeys", "$.resources[3].dialect.delimiter"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--profiles", str(PROFILES), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_script_exit_codes(profiles: Path) -> None:
    ok = run("datapackage.json")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "1 descriptor(s) checked, 0 problem(s)\n", "")

    bad = run("build/releases/1.0.0/datapackage.json")
    assert bad.returncode == 1, bad.stderr
    lines = bad.stdout.splitlines()
    assert lines[-1] == "1 descriptor(s) checked, 3 problem(s)"
    assert [line.rsplit(": ", 1)[0] for line in lines[:-1]] == [
        f"build/releases/1.0.0/datapackage.json: $.resources[{i}].schema.foreignKeys" for i in (0, 2, 14)
    ]

    missing = run("datapackage.json", "no-such-descriptor.json")
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.splitlines() == ["check_profiles.py: error: no-such-descriptor.json: no such file"]
