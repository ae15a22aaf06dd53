"""What the commands share: the project and format options, and printing issues."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..curate.issues import Issue, ValidationFailed, errors, render
from ..paths import find_project


class Format(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


ProjectOpt = Annotated[Path, typer.Option("--project", "-C", help="Start the search for the project here (default: the current folder; casd walks up to the folder holding dataset/package.yaml).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Problems as text (path:line:col: code: message), json, github annotations or junit XML.")]


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback that draws a bar on a terminal (stderr), or None when output is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def root(project: Path) -> Path:
    """The project root (a ProjectError, exit 2, outside a casd project)."""
    return find_project(project)


def echo_issues(issues: Iterable[Issue], fmt: Format, files: Iterable[str] = ()) -> None:
    out = render(issues, fmt.value, files)
    if out:
        typer.echo(out)


def summary(issues: list[Issue]) -> str:
    n_err = len(errors(issues))
    n_warn = len(issues) - n_err
    return f"{n_err} problem(s)" + (f" and {n_warn} warning(s)" if n_warn else "")


@contextmanager
def refusing_on_issues(fmt: Format, what: str) -> Iterator[None]:
    """Print the issues of a :class:`ValidationFailed` and exit 1 (``what``: what was refused)."""
    try:
        yield
    except ValidationFailed as e:
        echo_issues(e.issues, fmt)
        typer.echo(f"{what}: {summary(e.issues)}; nothing was written", err=True)
        raise typer.Exit(1) from None
