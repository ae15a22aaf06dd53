"""Check Data Package v2 descriptors against the official JSON Schema profiles.

Why this exists: frictionless-py implements little of Data Package v2 (it reads a v2
descriptor mostly as a v1 one and accepts, or silently rewrites, things v2 forbids), so a
descriptor that frictionless validates can still break the standard -- 1.0.0 shipped empty
``foreignKeys`` arrays that way. CI therefore checks every descriptor the build writes against
the official v2 profiles, a copy of which is kept beside this script (``scripts/profiles/datapackage-2.0``,
public domain: see that folder's LICENSE.md).

Usage::

    python scripts/check_profiles.py [--profiles DIR] DESCRIPTOR [DESCRIPTOR ...]

DIR holds ``datapackage.json``, ``dataresource.json``, ``tableschema.json`` and
``tabledialect.json``. A ``$ref`` between profiles (for example to
``https://datapackage.org/profiles/2.0/dataresource.json``) is resolved to the local file;
nothing is fetched over the network. Each descriptor is validated against the package profile,
and each resource's ``schema`` and ``dialect`` against the table schema and table dialect
profiles unless the package profile already covers them.

Every violation is printed as ``DESCRIPTOR: <json path>: <message>``, sorted, then a summary
line. Exit status: 0 no problem, 1 problems, 2 usage error (a file missing or not JSON, a
profile that cannot be used).

``format`` keywords are treated as annotations, as JSON Schema allows, so the result does not
depend on which optional format-checking libraries happen to be installed.

Standard library, ``jsonschema`` and ``referencing`` only.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import referencing
import referencing.exceptions
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from referencing.jsonschema import DRAFT7

PROFILES = ("datapackage.json", "dataresource.json", "tableschema.json", "tabledialect.json")
BASE_URL = "https://datapackage.org/profiles/2.0/"
#: the copy of the official profiles kept in the repository
PROFILES_DIR = Path(__file__).resolve().parent / "profiles" / "datapackage-2.0"
# keywords by which a subschema constrains an object's contents (not merely its type)
_STRUCTURAL = {"properties", "required", "patternProperties", "additionalProperties", "dependencies", "oneOf", "anyOf", "allOf", "not", "if"}
_WEAK = {"type", "required", "additionalProperties"}  # "this alternative does not fit at all"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class InputError(Exception):
    """A file cannot be used: missing, unreadable, not JSON; a profile not a schema or with an unresolvable $ref."""


# --- profiles --------------------------------------------------------------------------------


class _Profiles(NamedTuple):
    package: Validator
    schema: Validator | None  # None: the package profile already validates resource schemas
    dialect: Validator | None  # None: ... and dialects


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON: {e}") from None


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def _registry(contents: dict[str, Any]) -> referencing.Registry[Any]:
    """Every local profile under its canonical 2.0 URL, its ``$id`` and each absolute URL the
    profiles ``$ref`` it by (matched on the file name)."""
    resources = {name: referencing.Resource.from_contents(c, default_specification=DRAFT7) for name, c in contents.items()}
    uris: dict[str, str] = {}
    for name, c in contents.items():
        uris[BASE_URL + name] = name
        for key in ("$id", "id"):
            if isinstance(c.get(key), str) and c[key]:
                uris[c[key].split("#", 1)[0]] = name
    for c in contents.values():
        for ref in _refs(c):
            uri = ref.split("#", 1)[0]
            if "://" in uri and uri.rstrip("/").rsplit("/", 1)[-1] in contents:
                uris.setdefault(uri, uri.rstrip("/").rsplit("/", 1)[-1])

    def retrieve(uri: str) -> referencing.Resource[Any]:
        raise referencing.exceptions.NoSuchResource(ref=uri)  # no network: only the local files

    return referencing.Registry(retrieve=retrieve).with_resources((uri, resources[name]) for uri, name in uris.items())


def _resolve(node: Any, resolver: referencing.Resolver[Any]) -> tuple[Any, referencing.Resolver[Any]]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver


def _covers(package: dict[str, Any], key: str, registry: referencing.Registry[Any]) -> bool:
    """Whether the package profile constrains ``resources[*].<key>`` itself."""
    node, resolver = package, registry.resolver(base_uri=BASE_URL + "datapackage.json")
    for step in ("properties", "resources", "items", "properties", key):
        node, resolver = _resolve(node, resolver)
        if not isinstance(node, dict) or step not in node:
            return False
        node = node[step]
    node, _ = _resolve(node, resolver)
    return isinstance(node, dict) and bool(set(node) & _STRUCTURAL)


@functools.lru_cache(maxsize=8)
def _load(folder: Path) -> _Profiles:
    if not folder.is_dir():
        raise InputError(f"{folder}: no such profiles folder")
    contents: dict[str, dict[str, Any]] = {}
    for name in PROFILES:
        c = _read_json(folder / name)
        if not isinstance(c, dict):
            raise InputError(f"{folder / name}: not a JSON Schema (not an object)")
        contents[name] = c
    registry = _registry(contents)

    def validator(name: str) -> Validator:
        cls = jsonschema.validators.validator_for(contents[name], default=jsonschema.Draft7Validator)
        try:
            cls.check_schema(contents[name])
        except SchemaError as e:
            raise InputError(f"{folder / name}: not a valid JSON Schema: {e.message}") from None
        # validate through the canonical URL so relative $refs resolve against it
        return cls({"$ref": BASE_URL + name}, registry=registry)

    try:
        return _Profiles(
            package=validator("datapackage.json"),
            schema=None if _covers(contents["datapackage.json"], "schema", registry) else validator("tableschema.json"),
            dialect=None if _covers(contents["datapackage.json"], "dialect", registry) else validator("tabledialect.json"),
        )
    except referencing.exceptions.Unresolvable as e:
        raise InputError(f"{folder}: cannot resolve $ref {e}") from None


# --- messages --------------------------------------------------------------------------------


def json_path(path: Iterable[str | int]) -> str:
    out = "$"
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENTIFIER.match(step):
            out += f".{step}"
        else:
            out += f"[{json.dumps(step, ensure_ascii=False)}]"
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _hint(error: ValidationError) -> str:
    """For a failed oneOf/anyOf, the alternative that comes closest, or the allowed discriminator values."""
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for c in error.context or []:
        branches[c.relative_schema_path[0]].append(c)
    if len(branches) < 2:
        return "; ".join(_explain(c) for c in error.context or [])
    base = len(error.absolute_path)
    # a discriminator: every alternative rejects the same property by enum/const ("type": "strin")
    per_branch = [{tuple(c.absolute_path) for c in errs if c.validator in ("enum", "const")} for errs in branches.values()]
    common = set.intersection(*per_branch)
    if common:
        where = min(common, key=len)
        allowed: list[Any] = []
        for errs in branches.values():
            for c in errs:
                if tuple(c.absolute_path) == where:
                    values = c.validator_value if c.validator == "enum" else [c.validator_value]
                    allowed += [v for v in values if v not in allowed]
        bad = next(c.instance for c in error.context or [] if tuple(c.absolute_path) == where)
        return f"{json_path(where)}: {_short(bad)} is not one of {', '.join(json.dumps(v) for v in allowed)}"

    def score(errs: list[ValidationError]) -> tuple[int, int, int]:
        # deepest first problem (the alternative fits further), then fewest problems, then fewest weak ones
        return (-min(len(c.absolute_path) - base for c in errs), len(errs), sum(c.validator in _WEAK for c in errs))

    ranked = sorted(branches.values(), key=score)
    if len(ranked) > 1 and score(ranked[0]) == score(ranked[1]):
        return ""
    here = tuple(error.absolute_path)
    return "; ".join(
        _message(c) if tuple(c.absolute_path) == here else _explain(c)
        for c in sorted(ranked[0], key=lambda c: _sort_key(tuple(c.absolute_path)))
    )


def _message(error: ValidationError) -> str:
    """An error's message with a long instance shortened and, for oneOf/anyOf, a hint."""
    message = error.message.replace(repr(error.instance), _short(error.instance), 1)
    if error.validator in ("oneOf", "anyOf") and error.context:
        hint = _hint(error)
        if hint:
            message += f" (closest: {hint})"
    return message


def _explain(error: ValidationError) -> str:
    return f"{json_path(error.absolute_path)}: {_message(error)}"


def _sort_key(path: Sequence[str | int]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, s, "") if isinstance(s, int) else (1, 0, s) for s in path)


# --- checking --------------------------------------------------------------------------------


def check(descriptor: dict[str, Any], profiles: Path) -> list[str]:
    """Every violation of the v2 profiles in ``profiles`` as ``<json path>: <message>``, sorted by
    path (array indices numerically). Raises :class:`InputError` if the profiles cannot be used."""
    p = _load(Path(profiles).resolve())
    found: list[tuple[tuple[str | int, ...], str]] = []
    try:
        for e in p.package.iter_errors(descriptor):
            found.append((tuple(e.absolute_path), _message(e)))
        resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
        for i, r in enumerate(resources if isinstance(resources, list) else []):
            for key, validator in (("schema", p.schema), ("dialect", p.dialect)):
                if validator is not None and isinstance(r, dict) and isinstance(r.get(key), dict):
                    for e in validator.iter_errors(r[key]):
                        found.append((("resources", i, key, *e.absolute_path), _message(e)))
    except referencing.exceptions.Unresolvable as e:
        raise InputError(f"{profiles}: cannot resolve $ref {e}") from None
    unique = sorted(set(found), key=lambda f: (_sort_key(f[0]), f[1]))
    return [f"{json_path(path)}: {message}" for path, message in unique]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_profiles.py",
        description="Check Data Package v2 descriptors against the official JSON Schema profiles.",
    )
    parser.add_argument("--profiles", type=Path, default=PROFILES_DIR, metavar="DIR", help=f"folder with the four official v2 profiles (default: {PROFILES_DIR.relative_to(PROFILES_DIR.parents[2])})")
    parser.add_argument("descriptors", nargs="+", metavar="DESCRIPTOR", help="datapackage.json files to check")
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"check_profiles.py: error: {message}", file=sys.stderr)
        return 2

    descriptors: list[tuple[str, Any]] = []
    for name in args.descriptors:
        try:
            descriptors.append((name, _read_json(Path(name))))
        except InputError as e:
            return fail(str(e))
    problems: list[str] = []
    try:
        for name, descriptor in descriptors:
            problems += [f"{name}: {p}" for p in check(descriptor, args.profiles)]
    except InputError as e:
        return fail(str(e))
    for line in problems:
        print(line)
    print(f"{len(descriptors)} descriptor(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
