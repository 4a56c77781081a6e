"""The one place where raw web3 and transport errors become the SDK's typed errors.

Every public method of the SDK's contract clients (and the audit and reconcile entry points) is
wrapped by `typed_errors`, so a caller catches `LedgerhouseError` and nothing else: a contract's
refusal becomes its generated `ContractRevert` subclass, a node's error `NodeError` (a past block's
state it no longer holds: `StateUnavailable`), a lost connection `ChainUnavailable`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from web3.exceptions import ContractLogicError, MismatchedABI, Web3Exception, Web3ValidationError

from client import errors

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)

# What nodes say when asked for the state of a block they no longer (or never) kept.
_STATE_GONE = (
    "blockoutofrange",
    "block height is",
    "missing trie node",
    "header not found",
    "historical state",
    "required historical state unavailable",
    "world state unavailable",
    "state not available",
)


def node_error(exc: BaseException) -> errors.LedgerhouseError:
    """The typed error for a raw web3 (or transport) failure."""
    if isinstance(exc, errors.LedgerhouseError):
        return exc
    if isinstance(exc, ContractLogicError):
        from client.chain import decode_revert

        return decode_revert(exc.data)
    message = _message(exc)
    if isinstance(exc, MismatchedABI | Web3ValidationError):
        return errors.InvalidInput(f"a value does not fit the contract's types: {message}")
    if isinstance(exc, OSError):
        return errors.ChainUnavailable(f"lost the JSON-RPC node: {message}")
    if any(marker in message.lower() for marker in _STATE_GONE):
        return errors.StateUnavailable(
            f"the node no longer holds that block's state: {message} "
            "(reading a past block needs an archive node)"
        )
    return errors.NodeError(f"the node refused the request: {message}")


def _message(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    first = args[0] if args else exc
    if isinstance(first, dict):
        return str(first.get("message", first))
    return " ".join(str(first).split()) or type(exc).__name__


def typed_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Wraps `fn` so that only `LedgerhouseError`s leave it."""
    if getattr(fn, "__typed_errors__", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except errors.LedgerhouseError:
            raise
        except ContractLogicError as exc:
            from client.chain import decode_revert

            labels_of = getattr(args[0], "_labels", None) if args else None
            labels = labels_of() if callable(labels_of) else None
            raise decode_revert(exc.data, labels) from None
        except (Web3Exception, OSError) as exc:
            raise node_error(exc) from exc

    wrapper.__typed_errors__ = True  # type: ignore[attr-defined]
    return wrapper


def typed_methods(cls: C) -> C:
    """Wraps every public method defined on `cls` with `typed_errors` (a class decorator)."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, typed_errors(member))
    return cls
