"""Schemathesis against the registry's own OpenAPI schema, over real HTTP: for every operation,
200 generated requests (valid and invalid), anonymous and signed in as an auditor.

Every answer must conform to the documented schema, no answer may be a 5xx, and every 4xx must be
an RFC 9457 problem (application/problem+json with type, title, status and detail); a 422 also
lists `errors` whose `field` names a parameter of the operation. Derandomized: CI sees the same
cases on every run.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

from registry.main import create_app
from registry.settings import Settings
from tests.registry.conftest import RunningRegistry

MAX_EXAMPLES = 200
# The API's handling of input does not depend on the database; PostgreSQL gets the same requests in
# test_api.py. Fuzzing once keeps CI inside its time budget.
pytestmark = pytest.mark.parametrize("registry_service", ["sqlite"], indirect=True)
PROBLEM = "application/problem+json"
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# The operations, read from the app itself (no lifespan, no chain), so each is its own test id.
_SPEC = create_app(Settings()).openapi()
OPERATIONS = [
    (method.upper(), path, op["operationId"], any(p["in"] == "header" for p in op.get("parameters", [])))
    for path, methods in _SPEC["paths"].items()
    for method, op in methods.items()
]
CASES: Counter[str] = Counter()


def _parameter_names(case: schemathesis.Case[Any]) -> set[str]:
    names = {p.name.lower() for p in case.operation.iter_parameters()}
    body = case.operation.definition.raw.get("requestBody")
    if body:
        names.add("body")
        for media in body.get("content", {}).values():
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema = _SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            names |= set(schema.get("properties", {}))
    return names


def _names_a_known(field: str, known: set[str]) -> bool:
    """`errors[].field` is a parameter or body key, or a path into one (`body.amount`); a key the
    client sent may itself contain dots (the fuzzer sends `client.cli.receipt`), named whole."""
    return field in known or field.split(".")[0] in known


@schemathesis.check
def problem_json(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> None:
    """4xx answers are problem documents; a 422 names the offending parameter in `errors[].field`."""
    if not 400 <= response.status_code < 500:
        return
    where = f"{case.operation.label} answered {response.status_code}"
    content_type = response.headers.get("content-type", [""])[0]
    if not content_type.startswith(PROBLEM):
        raise AssertionError(f"{where} as {content_type!r}: {response.text[:200]}")
    body = json.loads(response.text)
    missing = [key for key in ("type", "title", "status", "detail") if key not in body]
    if missing or body["status"] != response.status_code:
        raise AssertionError(f"{where} with a problem lacking {missing} or a wrong status: {body}")
    if response.status_code == 422:
        errors = body.get("errors")
        # A field the client invented (refused as an extra input) is named as sent.
        sent = set(case.body) if isinstance(case.body, dict) else set()
        known = _parameter_names(case) | {str(k).lower() for k in sent}
        if (
            not isinstance(errors, list)
            or not errors
            or not all(_names_a_known(str(e.get("field", "")).lower(), known) for e in errors)
        ):
            raise AssertionError(f"{where}: `errors` must name one of {sorted(known)}: {body}")
    return


@pytest.fixture(scope="module")
def api_schema(registry_service: RunningRegistry) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(registry_service.url + "/openapi.json")


@pytest.fixture(scope="module")
def bearer(registry_service: RunningRegistry) -> str:
    api = registry_service.signed_in("auditor1")
    return f"Bearer {api.token}"


@pytest.fixture(scope="module", autouse=True)
def case_report(registry_service: RunningRegistry) -> Iterator[None]:
    CASES.clear()
    # The service runs in this process: hand the GIL over sooner so a request does not wait out
    # hypothesis' generation (five-fold faster on two cores).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    yield
    sys.setswitchinterval(interval)
    lines = [f"{count:5d}  {name}" for name, count in sorted(CASES.items())]
    print("\nschemathesis cases per operation:\n" + "\n".join(lines))


@pytest.mark.parametrize(
    ("method", "path", "operation_id", "signed_in"),
    [pytest.param(*op[:3], False, id=f"{op[2]}-anonymous") for op in OPERATIONS]
    + [pytest.param(*op[:3], True, id=f"{op[2]}-signed-in") for op in OPERATIONS if op[3]],
)
def test_operation_survives_fuzzing(
    api_schema: schemathesis.BaseSchema,
    bearer: str,
    method: str,
    path: str,
    operation_id: str,
    signed_in: bool,
) -> None:
    operation = api_schema[path][method]
    fixed: dict[str, Any] = {"authorization": bearer} if signed_in else {}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE, headers=fixed or None)]
    if operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody"):
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, headers=fixed or None))
    label = f"{method} {path} ({'signed in' if signed_in else 'anonymous'})"
    http = requests.Session()
    http.trust_env = False  # no proxy or .netrc look-ups per request: loopback only
    # An empty file or a non-numeric receipt id is schema-valid yet refused (422, naming the field):
    # the commitment rules are not expressible in OpenAPI, so "valid data is accepted" does not apply.
    excluded: list[CheckFunction] = [positive_data_acceptance] if operation_id == "uploadDocument" else []

    @FUZZ_SETTINGS
    @given(case=st.one_of(strategies))
    def fuzz(case: schemathesis.Case[Any]) -> None:
        CASES[label] += 1
        case.call_and_validate(
            session=http, headers=fixed or None, additional_checks=[problem_json], excluded_checks=excluded
        )

    fuzz()
