"""The SDK's public methods raise only typed errors: the reader's error policy, applied to methods.

Every public method of the SDK's contract clients (and the audit and reconcile entry points) is
wrapped by `typed_errors`, so a caller catches `LedgerhouseError` and nothing else: a contract's
refusal becomes its generated `ContractRevert` subclass, a node's error `NodeError` (a past block's
state it no longer holds: `StateUnavailable`), a lost connection `ChainUnavailable`. What each raw
failure becomes is `client.reader.node_error`, the same policy the reader's batched reads follow.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from web3.exceptions import ContractLogicError, Web3Exception

from client import errors
from client.reader import decode_revert, node_error

__all__ = ["node_error", "typed_errors", "typed_methods"]

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)


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
