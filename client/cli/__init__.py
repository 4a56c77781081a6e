"""`ledgerhouse`: the one command for every role.

Failures print one line on stderr naming the error and its cause, and exit 1; never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from client.cli import admin, audit, bank, devnet, inspector, receipt, receivable, regulator, warehouse
from client.cli._context import CliContext, stderr
from client.cli.demo import demo_command
from client.cli.deploy import deploy_command
from client.cli.serve import serve_command
from client.errors import LedgerhouseError

app = typer.Typer(
    name="ledgerhouse",
    help="Ledgerhouse: a permissioned registry for warehouse receipts and receivables. "
    "Global options may also follow the command (ledgerhouse admin list --json).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    rpc: Annotated[
        str,
        typer.Option(
            "--rpc",
            envvar="LEDGERHOUSE_RPC",
            help="JSON-RPC URL of the chain; several nodes of it as URL,URL,... (the SDK fails over)",
        ),
    ] = ("http://127.0.0.1:8545"),
    deployment: Annotated[
        Path | None, typer.Option("--deployment", help="Deployment manifest (default: found by chain id)")
    ] = None,
    keystore: Annotated[
        Path | None,
        typer.Option(
            "--keystore",
            help="Encrypted JSON keystore; password from LEDGERHOUSE_KEYSTORE_PASSWORD or a prompt",
        ),
    ] = None,
    as_name: Annotated[
        str | None,
        typer.Option("--as", help="Devnet only: act as a named dev participant (admin, bank1, ...)"),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")] = False,
) -> None:
    ctx.obj = CliContext(
        rpc=rpc, deployment=deployment, keystore=keystore, as_name=as_name, json_output=json_output
    )


app.add_typer(devnet.app, name="devnet")
app.add_typer(admin.app, name="admin")
app.add_typer(inspector.app, name="inspector")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(receipt.app, name="receipt")
app.add_typer(bank.app, name="bank")
app.add_typer(receivable.app, name="receivable")
app.add_typer(regulator.app, name="regulator")
app.add_typer(audit.app, name="audit")
app.command("deploy")(deploy_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)


# Global options and whether they take a value. Users write them before or after the command
# (`ledgerhouse admin list --json`); click only parses a group's options before its subcommand.
_GLOBAL_OPTIONS = {"--rpc": True, "--deployment": True, "--keystore": True, "--as": True, "--json": False}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Moves global options found after the command to the front, where click expects them."""
    hoisted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_OPTIONS:
            takes_value = _GLOBAL_OPTIONS[name] and "=" not in arg
            hoisted.extend(argv[i : i + (2 if takes_value else 1)])
            i += 2 if takes_value else 1
            continue
        rest.append(arg)
        i += 1
    return hoisted + rest


def main(argv: list[str] | None = None) -> int:
    """Console entry point: runs the CLI and turns every failure into one line and exit code 1."""
    command = typer.main.get_command(app)
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="ledgerhouse", standalone_mode=False)
    except LedgerhouseError as exc:
        stderr.print(_one_line(exc), highlight=False, markup=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        stderr.print("aborted", highlight=False)
        return 1
    except typer.TyperException as exc:  # typer's own click: a usage error (missing option, bad value)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        stderr.print(f"UsageError: {message} (see --help)", highlight=False, markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except (
        Exception
    ) as exc:  # a bug of ours: still one line, never a traceback (LEDGERHOUSE_DEBUG=1 shows it)
        if os.environ.get("LEDGERHOUSE_DEBUG"):
            raise
        stderr.print(
            f"InternalError: {type(exc).__name__}: {exc} (set LEDGERHOUSE_DEBUG=1 for the traceback)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return 1
    return result if isinstance(result, int) else 0


def _one_line(exc: LedgerhouseError) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


if __name__ == "__main__":
    sys.exit(main())
