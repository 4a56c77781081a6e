"""The SDK's public surface (issue 18 item 4): users import from `client`, every public module says
what it exports, the typed contract errors are reachable from the package, `client` imports nothing
from `registry`, and the registry's services do not reach into its HTTP layer."""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

import pytest

import client
from client import _contract_errors
from client.errors import ContractRevert

ROOT = Path(__file__).resolve().parents[2]
# The SDK's modules, the audit package's included; the CLI (client/cli/) is the shell over them.
SDK_FILES = [p for p in (ROOT / "client").rglob("*.py") if p.relative_to(ROOT / "client").parts[0] != "cli"]
PUBLIC_MODULES = sorted(
    ".".join(p.relative_to(ROOT / "client").with_suffix("").parts).removesuffix(".__init__")
    for p in SDK_FILES
    if not p.stem.startswith("_") or (p.stem == "__init__" and p.parent != ROOT / "client")
)
WITHOUT_ALL_YET: set[str] = set()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_name_the_package_exports_resolves() -> None:
    for name in client.__all__:
        assert getattr(client, name) is not None, name


def test_every_typed_contract_error_is_reachable_from_the_package() -> None:
    errors = set(_contract_errors.ERRORS_BY_SELECTOR.values())
    assert len(errors) > 100
    for error in errors:
        assert getattr(client, error.__name__) is error
    assert client.MemberSuspended.__mro__[1] is ContractRevert
    with pytest.raises(AttributeError):
        client.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("module", [m for m in PUBLIC_MODULES if m not in WITHOUT_ALL_YET])
def test_every_public_client_module_declares_what_it_exports(module: str) -> None:
    loaded = import_module(f"client.{module}")
    exported = getattr(loaded, "__all__", None)
    assert exported, f"client/{module}.py has no __all__"
    for name in exported:
        assert hasattr(loaded, name), f"client.{module}.__all__ names {name!r}, which it lacks"


def test_the_sdk_imports_nothing_from_registry() -> None:
    """A bank installs the SDK without the server's dependencies (the CLI's `serve` and `devnet up`
    commands start the service, and import it when run)."""
    for path in SDK_FILES:  # every client/*.py, and the SDK's packages (audit/)
        leaked = {m for m in _imports(path) if m == "registry" or m.startswith("registry.")}
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"


def test_registry_services_do_not_import_the_api_layer() -> None:
    for path in (ROOT / "registry" / "services").glob("*.py"):
        leaked = {m for m in _imports(path) if m.startswith(("registry.api", "fastapi"))}
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"
