"""Compile the Solidity contracts and write the SDK's generated package data.

Writes, from `contracts/`:
  client/abi/<Contract>.json      ABI + creation bytecode of every deployable contract
  client/_contract_errors.py      one typed Python exception per custom Solidity error, whose
                                  message template is the error's NatSpec @notice

`--check` compiles in memory and fails (exit 1) when any committed file differs, so CI catches
artifacts that were not regenerated after a contract change.

The compiler is scripts/solc.js (solcjs behind a native-looking CLI); optimizer and EVM settings
are read from foundry.toml so forge and the SDK build the same bytecode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import solcx

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
ABI_DIR = ROOT / "client" / "abi"
ERRORS_MODULE = ROOT / "client" / "_contract_errors.py"
SOLC = ROOT / "scripts" / "solc.js"

# EIP-170 allows 24,576 bytes of runtime code; the build fails well before it, so that a change that
# grows a contract toward the limit is seen while there is still room to restructure.
MAX_RUNTIME_BYTES = 24_000

_PY_TYPES = {"address": "str", "bool": "bool", "string": "str"}
_TEMPLATE_FIELD = re.compile(r"\{(\w+)(?::\w+)?\}")


def _settings() -> dict[str, Any]:
    profile = tomllib.loads((ROOT / "foundry.toml").read_text())["profile"]["default"]
    return {
        "optimizer": {
            "enabled": bool(profile.get("optimizer", True)),
            "runs": int(profile["optimizer_runs"]),
        },
        "evmVersion": profile["evm_version"],
        "viaIR": bool(profile.get("via_ir", False)),
        "metadata": {"bytecodeHash": profile.get("bytecode_hash", "none"), "appendCBOR": False},
        "remappings": list(profile.get("remappings", [])),
        "outputSelection": {
            "contracts/**": {
                "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc", "devdoc"]
            },
            "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc", "devdoc"]},
        },
    }


def compile_contracts() -> dict[str, Any]:
    sources = {
        path.relative_to(ROOT).as_posix(): {"content": path.read_text()}
        for path in sorted(CONTRACTS.rglob("*.sol"))
    }
    standard_input = {"language": "Solidity", "sources": sources, "settings": _settings()}
    try:
        output: dict[str, Any] = solcx.compile_standard(
            standard_input, solc_binary=SOLC, base_path=str(ROOT), allow_paths=[str(ROOT)]
        )
    except solcx.exceptions.SolcError as exc:  # compile errors: show solc's own messages, not a traceback
        output = json.loads(exc.stdout_data or "{}")
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise SystemExit("\n".join(e["formattedMessage"] for e in errors))
    output["_sourceHash"] = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    return output


def _deployables(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Contracts under contracts/ (not interfaces or libraries) that have creation bytecode."""
    found: dict[str, dict[str, Any]] = {}
    for source, contracts in output["contracts"].items():
        if not source.startswith("contracts/") or "/interfaces/" in source or "/libraries/" in source:
            continue
        for name, artifact in contracts.items():
            if artifact["evm"]["bytecode"]["object"]:
                found[name] = artifact
    return found


def _artifact_files(output: dict[str, Any]) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for name, artifact in sorted(_deployables(output).items()):
        body = {
            "contractName": name,
            "abi": artifact["abi"],
            "bytecode": "0x" + artifact["evm"]["bytecode"]["object"],
            "sourceHash": output["_sourceHash"],
        }
        files[ABI_DIR / f"{name}.json"] = json.dumps(body, indent=2, sort_keys=True) + "\n"
    return files


def _error_templates(output: dict[str, Any]) -> dict[str, str]:
    """NatSpec @notice of every custom error, keyed by signature (from userdoc)."""
    templates: dict[str, str] = {}
    for contracts in output["contracts"].values():
        for artifact in contracts.values():
            for signature, docs in artifact.get("userdoc", {}).get("errors", {}).items():
                notice = docs[0].get("notice") if docs else None
                if notice:
                    templates[signature] = " ".join(notice.split())
    return templates


def _errors_module(output: dict[str, Any]) -> str:
    from eth_utils.crypto import keccak  # web3 dependency; imported late to keep --help fast

    templates = _error_templates(output)
    errors: dict[str, dict[str, Any]] = {}
    for artifact in _deployables(output).values():
        for item in artifact["abi"]:
            if item["type"] != "error":
                continue
            types = ",".join(i["type"] for i in item["inputs"])
            errors[f"{item['name']}({types})"] = item
    names = [e["name"] for e in errors.values()]
    clashes = {n for n in names if names.count(n) > 1}
    if clashes:
        raise SystemExit(f"custom errors with the same name but different arguments: {sorted(clashes)}")

    lines = [
        '"""Typed exceptions for every custom Solidity error in Ledgerhouse contracts.',
        "",
        "GENERATED by scripts/compile.py from the contracts' ABIs and NatSpec; do not edit.",
        '"""',
        "",
        "from client.errors import ContractRevert",
        "",
        "",
    ]
    by_selector: list[str] = []
    for signature in sorted(errors, key=lambda s: errors[s]["name"]):
        item = errors[signature]
        selector = "0x" + keccak(text=signature)[:4].hex()
        arg_names = tuple(i["name"] for i in item["inputs"])
        arg_types = tuple(i["type"] for i in item["inputs"])
        template = templates.get(signature)
        if template is not None:
            unknown = set(_TEMPLATE_FIELD.findall(template)) - set(arg_names)
            if unknown:
                raise SystemExit(f"NatSpec of {signature} names unknown fields {sorted(unknown)}")
        lines.append(f"class {item['name']}(ContractRevert):")
        lines.append(f'    """Solidity `{signature}`."""')
        lines.append("")
        for arg_name, arg_type in zip(arg_names, arg_types, strict=True):
            py_type = _PY_TYPES.get(arg_type, "int" if arg_type.startswith(("uint", "int")) else "bytes")
            lines.append(f"    {arg_name}: {py_type}")
        if arg_names:
            lines.append("")
        lines.append(f"    signature = {signature!r}")
        lines.append(f"    selector = {selector!r}")
        lines.append(f"    arg_names = {arg_names!r}")
        lines.append(f"    arg_types = {arg_types!r}")
        lines.append(f"    template = {template!r}")
        lines.append("")
        lines.append("")
        by_selector.append(f"    {selector!r}: {item['name']},")
    lines.append("ERRORS_BY_SELECTOR: dict[str, type[ContractRevert]] = {")
    lines.extend(by_selector)
    lines.append("}")
    return "\n".join(lines) + "\n"


def runtime_sizes(output: dict[str, Any]) -> dict[str, int]:
    """Runtime (deployed) code size in bytes of every deployable contract."""
    return {
        name: len(artifact["evm"].get("deployedBytecode", {}).get("object", "")) // 2
        for name, artifact in _deployables(output).items()
    }


def check_sizes(output: dict[str, Any]) -> None:
    """Fails the build when any contract's runtime code passes MAX_RUNTIME_BYTES."""
    sizes = runtime_sizes(output)
    over = {name: size for name, size in sizes.items() if size > MAX_RUNTIME_BYTES}
    if over:
        listed = ", ".join(f"{name} {size:,} bytes" for name, size in sorted(over.items()))
        every = ", ".join(f"{name} {size:,}" for name, size in sorted(sizes.items()))
        raise SystemExit(
            f"runtime code over {MAX_RUNTIME_BYTES:,} bytes (EIP-170 allows 24,576): {listed} (all: {every})"
        )
    print("runtime sizes: " + ", ".join(f"{n} {s:,}" for n, s in sorted(sizes.items())), file=sys.stderr)


def generated_files() -> dict[Path, str]:
    output = compile_contracts()
    check_sizes(output)
    files = _artifact_files(output)
    files[ERRORS_MODULE] = _errors_module(output)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if committed artifacts are stale")
    args = parser.parse_args()

    files = generated_files()
    expected_abis = {p for p in files if p.parent == ABI_DIR}
    leftovers = {p for p in ABI_DIR.glob("*.json")} - expected_abis
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
        stale += sorted(leftovers)
        if stale:
            rel = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            print(f"stale generated artifacts: {rel}; run `make compile` and commit them", file=sys.stderr)
            return 1
        print(f"artifacts current ({len(files)} files)")
        return 0
    ABI_DIR.mkdir(parents=True, exist_ok=True)
    for path in leftovers:
        path.unlink()
    for path, text in files.items():
        path.write_text(text)
    print(f"wrote {len(files)} files: " + ", ".join(str(p.relative_to(ROOT)) for p in sorted(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
