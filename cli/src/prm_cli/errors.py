"""What a user can fix is one red line and exit code 1, not a traceback: every command's errors go through
`reported_errors`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import typer
from prm_contracts.problem import AppError
from pydantic import ValidationError
from rich.markup import escape
from sqlalchemy.exc import DBAPIError

from prm_cli.console import console


class UserFixable(Exception):
    """A refusal whose message says what to do (a database not migrated, shared, or not there)."""


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        console.print(f"[red]Invalid PRM_* settings:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from error
    except (UserFixable, AppError) as error:
        console.print(f"[red]{escape(str(error))}[/]", soft_wrap=True)
        raise typer.Exit(1) from error
    except (OSError, DBAPIError) as error:
        console.print(f"[red]Cannot use the database:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from error
    except httpx.HTTPError as error:
        report_transport_error(error)
        raise typer.Exit(1) from error


def report_transport_error(error: httpx.HTTPError) -> None:
    # some errors (a connection closed mid-upload) have no message of their own: their kind says what happened
    console.print(
        f"[red]Calling the gateway failed:[/] {escape(str(error) or type(error).__name__)}", soft_wrap=True
    )
