"""The ``casd`` command: the curation side's front door. Imports the rest; imported by none."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

try:
    import typer
except ImportError as exc:  # a reading-only install (no curation extras)
    raise SystemExit("casd: the command line needs the curation toolchain: pip install 'casd[curate]'") from exc

from .errors import CasdError, render

app = typer.Typer(
    help="casd: validate, build and release the Central Asia Security Dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"casd {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the package version (the latest data release) and exit.")] = False,
) -> None:
    """casd: validate, build and release the Central Asia Security Dataset."""


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


ProjectOpt = Annotated[Path, typer.Option("--project", "-C", help="Project folder (holds dataset/, seeds/, build/).")]


def _project(project: Path) -> Path:
    """The project folder: the given one, or the nearest parent that holds dataset/ (run from anywhere inside)."""
    start = project.resolve()
    for folder in (start, *start.parents):
        if (folder / "dataset").is_dir():
            return folder
    return start


def _echo_issues(issues, fmt: Format) -> None:
    out = render(issues, fmt.value)
    if out:
        typer.echo(out)


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(exists=True, help="Only report issues in these files or folders (the whole dataset is always checked).")] = None,
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
    from .build import prepare, stale, write
    from .paths import CURRENT

    root = _project(project)
    try:
        rendered = prepare(root)
    except ValidationFailed as e:
        _echo_issues(e.issues, fmt)
        typer.echo(f"build failed: {len(e.issues)} problem(s); nothing was written", err=True)
        raise typer.Exit(1) from None
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


@app.command()
def release(
    spec: Annotated[str, typer.Argument(help="X.Y.Z, major, minor, patch, or auto (propose the bump from the changes).")] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the version and changes; write nothing.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Freeze the current build as an immutable release under build/releases/X.Y.Z/ (plus a .tar.gz).

    Updates build/releases/index.json, CHANGELOG.md, the package version and the working build.
    Refuses to rewrite a published version.
    """
    from . import diff as diffs
    from . import release as rel
    from .errors import ValidationFailed

    root = _project(project)
    try:
        plan = rel.plan(root, spec) if dry_run else None
        if dry_run:
            typer.echo(diffs.as_text(plan.diff).replace("casd diff", f"casd release {plan.version}:", 1))
            raise typer.Exit(0)
        plan, created = rel.release(root, spec)
    except ValidationFailed as e:
        _echo_issues(e.issues, Format.text)
        typer.echo(f"release refused: {len(e.issues)} problem(s)", err=True)
        raise typer.Exit(1) from None
    typer.echo(diffs.as_text(plan.diff))
    typer.echo(f"released {plan.version} in build/releases/{plan.version}/" if created else f"{plan.version} is already published with identical content", err=True)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="A published version.")],
    new: Annotated[Optional[str], typer.Argument(help="A published version; default: the working dataset.")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Show what changed between two versions (or a version and the working dataset): schema first, then records."""
    from . import diff as diffs
    from . import release as rel

    root = _project(project)
    d = rel.versions_diff(root, old, new) if new else rel.working_diff(root, old)
    typer.echo(diffs.as_text(d), nl=False)


@app.command()
def versions(project: ProjectOpt = Path(".")) -> None:
    """List published releases with their checksums."""
    from .paths import read_index

    for e in read_index(_project(project)):
        typer.echo(f"{e['version']}  sums:{e['sums_sha256'][:16]}  {e['archive']}")


@app.command()
def codebook() -> None:
    """Print the codebook (every table, field and vocabulary value) as Markdown."""
    from .codebook import codebook as render_codebook

    typer.echo(render_codebook(), nl=False)


@app.command()
def coverage(
    summary: Annotated[bool, typer.Option("--summary", help="Only the per-seed counts, not the lists.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 while any uncited sentence or flagged item remains.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Per seed: records citing it, share of sentences covered by evidence, uncited sentences,
    and what no record captures yet (quotations, numbers, dates, names).

    Boilerplate and deliberate omissions are listed, with reasons, in dataset/coverage.yaml.
    """
    from . import coverage as cov
    from .checks import validate as run

    root = _project(project)
    report = run(root)
    if report.issues:
        _echo_issues(report.issues, Format.text)
        typer.echo("coverage needs a valid dataset", err=True)
        raise typer.Exit(1)
    result, problems = cov.measure(root, report)
    _echo_issues(problems, Format.text)
    typer.echo(cov.as_text(result, show=not summary), nl=False)
    left = sum(len(c.uncited) + len(c.flags) for c in result)
    raise typer.Exit(1 if problems or (strict and left) else 0)


def main() -> None:
    try:
        app()
    except CasdError as e:
        from .errors import ValidationFailed

        if isinstance(e, ValidationFailed):
            typer.echo(render(e.issues))
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
