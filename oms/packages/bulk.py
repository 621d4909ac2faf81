"""One command on many packages: each runs through the command engine on its own."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.core.errors import NON_FIELD, DomainError
from oms.packages.models import Package
from oms.packages.services import package_command_run
from oms.transitions.models import CommandSource

BULK_COMMAND_LIMIT = 500


@dataclass(frozen=True)
class BulkOutcome:
    """What one package of a bulk command came to: done, or refused with the single command's error."""

    package_id: int
    errors: dict[str, list] | None = None
    status_code: int | None = None

    @property
    def done(self) -> bool:
        return self.errors is None


def _missing(package_id: int) -> BulkOutcome:
    return BulkOutcome(package_id, {NON_FIELD: [f"There is no package with id {package_id}."]}, 404)


def package_bulk_command_run(
    *,
    package_ids: Sequence[int],
    slug: str | None = None,
    transition_id: int | None = None,
    input_parameters: dict[str, Any] | None = None,
    actor=None,
    source: str = CommandSource.BULK,
    now: datetime,
) -> list[BulkOutcome]:
    """Run one command on each package, in the order given; one outcome per package.

    Each package goes through `package_command_run` as a single command would, in its own
    transaction (a savepoint when the caller holds one): a refused package changes nothing and
    undoes nothing of the others. Its refusal is recorded as a single command's is.
    """
    if len(package_ids) > BULK_COMMAND_LIMIT:
        raise DomainError(
            f"At most {BULK_COMMAND_LIMIT} packages per bulk command; {len(package_ids)} were sent. "
            "Split them into several requests.",
            field="packages",
        )
    if len(set(package_ids)) != len(package_ids):
        raise DomainError("Each package may appear once in a bulk command.", field="packages")
    existing = set(Package.objects.filter(pk__in=package_ids).values_list("pk", flat=True))
    outcomes: list[BulkOutcome] = []
    for package_id in package_ids:
        if package_id not in existing:
            outcomes.append(_missing(package_id))
            continue
        try:
            package_command_run(
                package_id=package_id,
                slug=slug,
                transition_id=transition_id,
                input_parameters=dict(input_parameters or {}),
                actor=actor,
                source=source,
                now=now,
            )
        except DomainError as exc:  # a refusal, or NotFoundError for a package deleted meanwhile
            outcomes.append(BulkOutcome(package_id, exc.errors, exc.status_code))
        else:
            outcomes.append(BulkOutcome(package_id))
    return outcomes
