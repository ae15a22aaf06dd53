"""The ``casd`` command: the curation side's front door. Imports the rest; imported by none."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import CasdError, render

app = typer.Typer(
    help="casd: validate, build and release the Central Asia Security Dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


ProjectOpt = Annotated[Path, typer.Option("--project", "-C", help="Project folder (holds dataset/, seeds/, build/).")]


def _project(project: Path) -> Path:
    return project.resolve()


def _echo_issues(issues, fmt: Format) -> None:
    out = render(issues, fmt.value)
    if out:
        typer.echo(out)


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Only report issues in these files or folders (the whole dataset is always checked).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output: text (path:line:col: code: message), json, or github annotations.")] = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Check every record: types, vocabularies, dates, references, seed hashes, evidence quotes.

    Prints every problem at once and exits 1 if there is any, 0 otherwise.
    """
    from .checks import only, validate as run

    root = _project(project)
    report = run(root)
    issues = only(report.issues, [str(p) for p in paths], root) if paths else report.issues
    _echo_issues(issues, fmt)
    n = sum(len(t) for t in report.dataset.tables.values())
    if fmt is Format.text:
        typer.echo(f"{len(issues)} problem(s) in {n} record file(s)" if issues else f"ok: {n} record file(s) valid", err=True)
    raise typer.Exit(1 if issues else 0)


@app.command()
def build(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the committed build differs from a fresh one.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format for problems.")] = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Validate, then write build/current/ (CSV + Parquet + datapackage.json + SHA256SUMS) and ./datapackage.json.

    Validation problems are printed and nothing is written. The swap into place is atomic.
    """
    from .errors import ValidationFailed
    from .package import CURRENT, prepare, stale, write

    root = _project(project)
    try:
        rendered = prepare(root)
    except ValidationFailed as e:
        _echo_issues(e.issues, fmt)
        typer.echo(f"build failed: {len(e.issues)} problem(s); nothing was written", err=True)
        raise typer.Exit(1)
    tables = sum(1 for n in rendered.files if n.endswith(".csv"))
    if check:
        problems = stale(root, rendered)
        _echo_issues(problems, fmt)
        typer.echo(f"build is stale: {len(problems)} file(s) differ; run `casd build`" if problems else "build is current", err=True)
        raise typer.Exit(1 if problems else 0)
    changed = write(root, rendered)
    typer.echo(f"{'built' if changed else 'up to date'}: {tables} tables in {CURRENT.as_posix()}/ (CSV + Parquet), datapackage.json", err=True)


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if schema/ differs from the models.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Generate schema/: Frictionless table schemas (schema/tables/) and JSON Schemas of the YAML records (schema/records/)."""
    from . import schemas

    root = _project(project)
    if check:
        problems = schemas.drift(root)
        _echo_issues(problems, Format.text)
        typer.echo("schema/ is stale; run `casd schema`" if problems else "schema/ is current", err=True)
        raise typer.Exit(1 if problems else 0)
    n = schemas.write(root)
    typer.echo(f"wrote {n} schema files under schema/", err=True)


def main() -> None:
    try:
        app()
    except CasdError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
