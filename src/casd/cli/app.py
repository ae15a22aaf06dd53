"""The ``casd`` application object, its global options and its exit-code policy."""

from __future__ import annotations

import gc
import os
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from ..errors import CasdError

EXIT_CODES = (
    "Exit codes: 0 success; "
    "1 problems found (validation issues, a stale build, a tampered release); "
    "2 usage or environment error (not in a casd project, unknown version, bad option); "
    "3 internal error (a bug: the traceback is shown with --debug)."
)


class CasdGroup(TyperGroup):
    """Turns casd's exceptions into messages and documented exit codes, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click privately)
        collecting = gc.isenabled()
        gc.disable()  # a command builds many small objects and no cycles worth collecting: the collector only costs time
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # typer's own: usage errors (exit 2), exits
            raise
        except CasdError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(e.exit_code) from None
        except OSError as e:  # the environment: a full disk, a read-only folder, permissions
            where = f"{e.filename}: " if e.filename else ""
            typer.echo(f"error: {where}{e.strerror or e} (nothing half-written is trusted; run the command again once fixed)", err=True)
            raise typer.Exit(2) from None
        except MemoryError:  # the environment, not a bug: the dataset needs more memory than this machine gives
            typer.echo("error: out of memory (casd holds every record in memory: see benchmarks/RESULTS.md for what a size needs)", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as e:
            if ctx.params.get("debug") or os.environ.get("CASD_DEBUG"):
                typer.echo("".join(traceback.format_exception(e)), err=True)
            typer.echo(f"internal error: {type(e).__name__}: {e}\nThis is a bug in casd; run again with --debug for the traceback.", err=True)
            raise typer.Exit(3) from None
        finally:
            if collecting:
                gc.enable()


app = typer.Typer(
    cls=CasdGroup,
    help="casd: validate, build and release the Central Asia Security Dataset.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"casd {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the package version (the latest data release) and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the Python traceback of an internal error.")] = False,
) -> None:
    """casd: validate, build and release the Central Asia Security Dataset."""
