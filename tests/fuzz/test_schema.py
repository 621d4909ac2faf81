"""Schema-driven fuzzing: every operation of the served OpenAPI schema, against the running service.

The schema is read from `{live_server.url}/api/schema/` (the one integrators see) and every operation
gets a bounded number of generated requests, sent over HTTP with a staff token. Two checks:

- `not_a_server_error`: no request, however odd, answers 5xx ("No endpoint answers 500 to bad input").
- `response_schema_conformance`: a documented answer has the documented shape.

Requests are generated both from the schema (positive mode) and against it (negative mode: wrong
types, missing required fields), since bad input must not answer 500 either.

Data exists before each operation's run (a channel, a cargo company, a condition, the marketplace
transitions and settings, a packed order with its shipment, a waiting package, observations), and
about half of the generated ids are replaced by the id of that real row, so detail endpoints are
exercised on rows and not only on 404s. OMS talks to the Omnitron sandbox
(`OMNITRON_CLIENT_SETTINGS` points at it), so `POST /omnitron/orders/` and
`POST /packages/{id}/command/` run for real instead of being excluded.

Why not `schemathesis.pytest.from_fixture`: with pytest 9 its lazy loader fails
(`'Function' object has no attribute '_nodeid'`, schemathesis 4.32). So the operations are listed at
collection time from the schema drf-spectacular generates in-process (one pytest item per operation,
so a known bug can be marked on its own operation), and each test loads the schema from the live
server and runs the operation's hypothesis strategy itself.
`test_the_served_schema_has_the_collected_operations` keeps the two lists equal.

Inputs that once answered 500 here (a '%' in `?status=`, 64-bit overflow in foreign-key number
filters) have deterministic regression tests in test_query_filters.py. A new failure found here is
a product bug: add it to `KNOWN_BUGS` (strict xfail on its operation) with a reproduction, and fix it.

Hypothesis: 25 examples per operation (both modes mixed), no deadline (each example is a real HTTP
round trip), `too_slow` and `function_scoped_fixture` health checks suppressed (the rows are set up
once for all examples of an operation on purpose: examples share them as clients would).
"""

from decimal import Decimal, InvalidOperation

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from oms.configuration.services import application_setting_set
from tests.security.rows import every_row, staff_user_make
from tests.tokens import token_for

CHECKS = [not_a_server_error, response_schema_conformance]
MAX_EXAMPLES = 25
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# Bugs reported to the lead; each xfail is strict, so the test says when the fix lands.
KNOWN_BUGS: dict[str, str] = {}


def _collected_operations() -> list[str]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in HTTP_METHODS
    ]


OPERATIONS = _collected_operations()


def _param(label: str):
    if label in KNOWN_BUGS:
        return pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[label]))
    return label


@pytest.fixture
def fuzz_rows(transactional_db, omnitron_sandbox_settings):
    rows = every_row()
    sandbox = omnitron_sandbox_settings
    application_setting_set(
        key="OMNITRON_CLIENT_SETTINGS",
        value={"url": sandbox.url, "username": sandbox.username, "password": sandbox.password},
    )
    return rows


@pytest.fixture
def auth_headers(transactional_db) -> dict[str, str]:
    return {"Authorization": f"Token {token_for(staff_user_make())}"}


@pytest.fixture
def served_schema(live_server, auth_headers):
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", headers=auth_headers)


def _real_ids(rows) -> dict[str, int]:
    return {
        "/api/v1/oms/channels/{id}/": rows.channel.pk,
        "/api/v1/oms/cargo-companies/{id}/": rows.cargo_company.pk,
        "/api/v1/oms/cargo-company-conditions/{id}/": rows.condition.pk,
        "/api/v1/oms/state-transitions/{id}/": rows.transition.pk,
        "/api/v1/oms/settings/application_settings/{id}/": rows.setting.pk,
        "/api/v1/oms/orders/{id}/": rows.order.pk,
        "/api/v1/oms/packages/{id}/": rows.package.pk,
        "/api/v1/oms/packages/{id}/command/": rows.waiting_package.pk,
        "/api/v1/oms/shipments/{id}/": rows.shipment.pk,
        "/api/v1/oms/shipment-observations/{id}/": rows.observation.pk,
        "/api/v1/oms/tracking-number-changes/{id}/": rows.tracking_change.pk,
    }


def _values(value) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


def _beyond_int64(text: str) -> bool:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return False
    return number.is_finite() and abs(number) > 2**63 - 1


def _strategy(operation, rows):
    strategies = []
    real = _real_ids(rows).get(operation.path)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if real is not None:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters={"id": real}))
    return st.one_of(strategies)


def test_the_served_schema_has_the_collected_operations(served_schema):
    served = sorted(result.ok().label for result in served_schema.get_all_operations())

    assert served == sorted(OPERATIONS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("label", [_param(label) for label in OPERATIONS])
def test_every_operation_answers_without_server_errors_and_as_documented(
    label, served_schema, fuzz_rows, auth_headers
):
    method, path = label.split(" ", 1)
    operation = served_schema[path][method]

    @given(case=_strategy(operation, fuzz_rows))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def run(case):
        case.call_and_validate(headers=auth_headers, checks=CHECKS)

    run()
