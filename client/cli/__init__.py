"""`ledgerhouse`: the one command for every role.

Failures print one line on stderr naming the error and its cause, and exit 1; never a traceback.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer
from typer import _click as click  # typer 0.29 vendors its own click
from typer.core import TyperGroup

from client.cli._context import CliContext, stderr
from client.errors import LedgerhouseError

# Every command, its module and its one-line help. The root imports a command's module only when that
# command runs: `ledgerhouse --help` never imports web3 (see scripts/bench_startup.py).
# name -> (module, attribute, short help); an attribute `app` is a group, anything else a command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "devnet": (
        "client.cli.devnet",
        "app",
        "A local development chain (anvil, or a multi-node geth Clique network) with Ledgerhouse deployed.",
    ),
    "admin": (
        "client.cli.admin",
        "app",
        "Consortium registrar: admit, suspend, reinstate, revoke and list members.",
    ),
    "inspector": (
        "client.cli.inspector",
        "app",
        "Inspector: attest the stock physically present per warehouse and lot.",
    ),
    "warehouse": (
        "client.cli.warehouse",
        "app",
        "Warehouse: mint receipts for attested goods and release goods on delivery.",
    ),
    "receipt": (
        "client.cli.receipt",
        "app",
        "Receipt owner: show, transfer, split, merge, pledge, request delivery.",
    ),
    "bank": ("client.cli.bank", "app", "Lender: check a receipt, accept, release and foreclose pledges."),
    "receivable": (
        "client.cli.receivable",
        "app",
        "Receivables: credit lines, payable vouchers split tier by tier, discount, settlement.",
    ),
    "oracle": (
        "client.cli.oracle",
        "app",
        "Price publisher: post commodity prices; anyone: a price, its age and each publisher's post.",
    ),
    "supplier": (
        "client.cli.supplier",
        "app",
        "Supplier: consent for a lender to read your credit profile, revoke it, see who read it.",
    ),
    "regulator": ("client.cli.regulator", "app", "Regulator: judicial freeze and unfreeze."),
    "audit": (
        "client.cli.audit",
        "app",
        "Auditor: chain-only reports (no registry) — a receipt's life, a voucher tree, a borrower's "
        "exposure, a warehouse's stock — and the registry reconciled against the chain.",
    ),
    "deploy": (
        "client.cli.deploy",
        "deploy_command",
        "Deploy the contracts to any chain and write its manifest.",
    ),
    "serve": ("client.cli.serve", "serve_command", "Run the registry service: indexer and REST API."),
    "demo": ("client.cli.demo", "demo_command", "Run the Ledgerhouse story on a fresh devnet."),
    "iot": (
        "client.cli.iot",
        "app",
        "IoT: devices vouched for on chain, the MQTT gateway that posts stocktakes, a sensor simulator.",
    ),
    "consortium": (
        "client.cli.consortium",
        "app",
        "Consortium chain kits: genesis, node keys and node configuration for a production network.",
    ),
}


def _plain_placeholders() -> None:
    """Help as people read it: a flag shows no `<bool>` value (it takes none: `--json`, never
    `--json true`), and a required argument shows as FILE in the usage line, not `{FILE}`."""
    from typer.core import TyperArgument, TyperOption

    value_type = TyperOption.display_type_rich

    def flag_without_value(self: TyperOption, ctx: click.Context) -> str | None:
        return None if self.is_flag else value_type(self, ctx)

    def usage_name(self: TyperArgument) -> str:
        name = self.display_name_raw if self.metavar is not None else self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    TyperOption.display_type_rich = flag_without_value  # type: ignore[method-assign]
    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]


_plain_placeholders()


def load_command(name: str) -> click.Command:
    """The click command `name`, importing its module now."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(import_module(module), attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even when it has one command (devnet up)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists every command from COMMANDS and loads one only when it is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"ledgerhouse {version('ledgerhouse')}")
        except PackageNotFoundError:
            print("ledgerhouse (not installed as a package)")
        raise typer.Exit(0)


app = typer.Typer(
    name="ledgerhouse",
    cls=LazyGroup,
    help="Ledgerhouse: a permissioned registry for warehouse receipts and receivables. "
    "Global options may also follow the command (ledgerhouse admin list --json).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
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
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit"),
    ] = False,
) -> None:
    ctx.obj = CliContext(
        rpc=rpc, deployment=deployment, keystore=keystore, as_name=as_name, json_output=json_output
    )


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
    if not args:  # `ledgerhouse` alone: the help, as --help prints it, and success
        args = ["--help"]
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
