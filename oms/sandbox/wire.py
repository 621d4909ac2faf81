"""The sandbox's wire format: refusals as Omnitron answers them, statuses, dates, money and ids.

Shared by the store, the routes and the fault board. No Django here.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

STATUS_CODES = frozenset({50, 100, 200, 300, 350, 400, 450, 500, 510, 520, 540, 544, 545, 546, 547, 550, 600})


class SandboxError(Exception):
    """A request the sandbox refuses, with the HTTP status and JSON body to answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def not_found() -> SandboxError:
    """The 404 Omnitron (DRF) answers for an unknown resource."""
    return SandboxError(404, {"detail": "Not found."})


def invalid(field: str, message: str) -> SandboxError:
    """A 400 naming one field, in DRF's `{"<field>": ["..."]}` shape."""
    return SandboxError(400, {field: [message]})


def wire_datetime(moment: datetime) -> str:
    """A UTC date-time as Omnitron writes it (`2026-11-20T09:31:12.123456Z`)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(value: str, field: str) -> datetime:
    """An ISO-8601 date-time from a request; naive values are UTC."""
    # A '+' of an offset that was not URL-encoded arrives as a space.
    text = str(value).strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(field, f"Enter a valid date/time, not {value!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wire_status(value: Any, field: str = "status", *, strict: bool = False) -> str:
    """A status code as a string of digits; `strict` refuses anything but a string (the wire format)."""
    if strict and not isinstance(value, str):
        raise invalid(field, f'A status is a string of digits such as "450", not {value!r}.')
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise invalid(field, f"{value!r} is not a valid status code.")
    code = int(value)
    if code not in STATUS_CODES:
        raise invalid(field, f'"{code}" is not a valid choice.')
    return str(code)


def money(value: Any, field: str) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise invalid(field, f"A valid number is required, not {value!r}.") from None
    if not amount.is_finite():
        raise invalid(field, f"A valid number is required, not {value!r}.")
    return str(amount.quantize(Decimal("0.01")))


def pk_of(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(field, f"A positive integer is required, not {value!r}.")
    return value


def text_of(data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(key, f"A string is required, not {value!r}.")
    return value
