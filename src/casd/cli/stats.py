"""``casd stats``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .app import app
from .common import Format, FormatOpt, ProjectOpt, refusing_on_issues, root


@app.command()
def stats(fmt: FormatOpt = Format.text, project: ProjectOpt = Path(".")) -> None:
    """The dataset at a glance: counts per table and kind, dates covered, open conflicts.

    Also events dated and undated, aggregates, and evidence quotes per source."""
    from ..curate.validate import validate
    from ..packaging.stats import as_text
    from ..packaging.stats import stats as compute

    with refusing_on_issues(fmt, "stats needs a valid dataset"):
        v = validate(root(project)).valid()
    s = compute(v)
    typer.echo(json.dumps(s, indent=2, ensure_ascii=False) if fmt is Format.json else as_text(s), nl=fmt is Format.json)
