"""Running package commands: one engine for the API, the admin and the operator commands."""

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from rest_framework.exceptions import NotFound

from oms.core.db import lock_rows
from oms.core.errors import DomainError, ServiceUnavailable
from oms.core.statuses import PackageStatus, status_name
from oms.packages.commands import (
    COMMAND_CLASSES,
    ChannelBasedCompletePackagingCommand,
    CommandContext,
    PackageCommand,
)
from oms.packages.models import Package
from oms.transitions.models import RefusedCommand, StateTransition, StateTransitionLog, TransitionModel

logger = logging.getLogger(__name__)


def _state(code: int) -> str:
    return status_name(PackageStatus, code)


def _allowed_from(status: int) -> str:
    slugs = sorted(
        StateTransition.objects.filter(model=TransitionModel.PACKAGE, source_state=status)
        .values_list("slug", flat=True)
        .distinct()
    )
    return ", ".join(slugs) if slugs else "none"


def _transition_resolve(*, package: Package, slug: str | None, transition_id: int | None) -> StateTransition:
    """The transition to run from the package's current status, or a 400 that says why not."""
    transitions = StateTransition.objects.filter(model=TransitionModel.PACKAGE)
    if transition_id is not None:
        transition = transitions.filter(pk=transition_id).first()
        if transition is None:
            raise DomainError(
                f"There is no package state transition with id {transition_id}. "
                "List them with GET /api/v1/oms/state-transitions/.",
                field="transition",
            )
        if slug is not None and transition.slug != slug:
            raise DomainError(
                f"Transition {transition_id} is '{transition.slug}', not '{slug}'. Send one of them.",
                field="transition",
            )
        if transition.source_state != package.status:
            raise DomainError(
                f"Transition {transition_id} ('{transition.slug}') runs from "
                f"'{_state(transition.source_state)}', but package {package.number} is "
                f"'{_state(package.status)}'. Commands allowed from '{_state(package.status)}': "
                f"{_allowed_from(package.status)}.",
                field="transition",
            )
        return transition

    transition = transitions.filter(slug=slug, source_state=package.status).first()
    if transition is not None:
        return transition
    if not transitions.filter(slug=slug).exists():
        raise DomainError(
            f"Unknown command '{slug}': no package state transition has this slug. Commands allowed "
            f"from '{_state(package.status)}': {_allowed_from(package.status)}. Define the "
            "transition with POST /api/v1/oms/state-transitions/ or `oms setup_marketplace`.",
            field="slug",
        )
    raise DomainError(
        f"'{slug}' cannot run on package {package.number}: it is '{_state(package.status)}' and no "
        f"'{slug}' transition starts there. Commands allowed from '{_state(package.status)}': "
        f"{_allowed_from(package.status)}.",
        field="slug",
    )


def _params_validate(command: type[PackageCommand], input_parameters: Any) -> dict[str, Any]:
    if input_parameters is None:
        input_parameters = {}
    serializer = command.input_serializer(data=input_parameters)
    if not serializer.is_valid():
        raise DomainError({"input_parameters": [_flatten(serializer.errors)]})
    return dict(serializer.validated_data)


def _flatten(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in errors.items())
    if isinstance(errors, list):
        return " ".join(_flatten(value) for value in errors)
    return str(errors)


def _tracking_number_fetch(order_omnitron_id: int) -> str:
    """Before locking: the order has no tracking number in OMS, so read the order from Omnitron once.

    Done outside the package lock so a slow Omnitron never holds a row lock.
    """
    from oms.omnitron.client import omnitron_client_get
    from oms.omnitron.errors import OmnitronError, OmnitronNotFound, OmnitronUnavailable

    try:
        client = omnitron_client_get()
        try:
            omnitron_order = client.order_get(order_omnitron_id)
        finally:
            client.close()
    except OmnitronNotFound:
        return ""
    except OmnitronUnavailable as exc:
        raise ServiceUnavailable(
            f"The order has no tracking number in OMS and Omnitron could not be asked for it: {exc}. "
            "Nothing was changed; try again shortly."
        ) from exc
    except OmnitronError as exc:
        raise DomainError(
            f"The order has no tracking number in OMS and reading it from Omnitron failed: {exc}",
            field="tracking_number",
        ) from exc
    return omnitron_order.tracking_number or ""


def package_command_run(
    *,
    package_id: int,
    slug: str | None = None,
    transition_id: int | None = None,
    input_parameters: Any = None,
    actor=None,
    now: datetime,
) -> StateTransitionLog:
    """Run a package command: lock the package, check its status, validate, work, log.

    Side effects outside the database (the report to Omnitron) happen after commit. A refusal
    changes nothing but is recorded (who asked for what, and why it was refused) for the timeline.
    """
    try:
        return _command_run(
            package_id=package_id,
            slug=slug,
            transition_id=transition_id,
            input_parameters=input_parameters,
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        if exc.status_code < 500:
            _refusal_record(
                package_id=package_id,
                slug=slug,
                transition_id=transition_id,
                input_parameters=input_parameters,
                actor=actor,
                reason=exc,
                now=now,
            )
        raise


def _refusal_record(*, package_id, slug, transition_id, input_parameters, actor, reason, now) -> None:
    status = Package.objects.filter(pk=package_id).values_list("status", flat=True).first()
    if status is None:
        return
    RefusedCommand.objects.create(
        package_id=package_id,
        slug=slug or "",
        transition_id=transition_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        input_parameters=input_parameters if isinstance(input_parameters, dict) else {},
        package_state=status,
        reason=" ".join(message for messages in reason.errors.values() for message in map(str, messages)),
        created_at=now,
    )


def _command_run(
    *,
    package_id: int,
    slug: str | None = None,
    transition_id: int | None = None,
    input_parameters: Any = None,
    actor=None,
    now: datetime,
) -> StateTransitionLog:
    if slug is None and transition_id is None:
        raise DomainError("Send the command's 'slug' (or the 'transition' id).", field="slug")

    # Read without locking first: the command to run, and whether it needs Omnitron (which is asked
    # before the lock is taken, so a slow Omnitron never holds a row lock).
    peek = (
        Package.objects.filter(pk=package_id)
        .values_list("status", "order__omnitron_id", "order__tracking_number")
        .first()
    )
    if peek is None:
        raise NotFound(f"There is no package with id {package_id}.")
    peeked_status, order_omnitron_id, order_tracking_number = peek
    candidate = _transition_peek(package_status=peeked_status, slug=slug, transition_id=transition_id)
    fetched_tracking_number = ""
    if (
        candidate is not None
        and candidate.command == ChannelBasedCompletePackagingCommand.code
        and not order_tracking_number
    ):
        fetched_tracking_number = _tracking_number_fetch(order_omnitron_id)

    with transaction.atomic():
        package = (
            lock_rows(Package.objects.filter(pk=package_id))
            .select_related("order", "order__channel", "order__cargo_company")
            .first()
        )
        if package is None:
            raise NotFound(f"There is no package with id {package_id}.")
        if candidate is not None and candidate.source_state == package.status:
            # Transitions are configuration, not locked: the row read a moment ago is as current as
            # a second read would be. Only the package's status had to be checked under the lock.
            transition = candidate
        else:
            transition = _transition_resolve(package=package, slug=slug, transition_id=transition_id)
        command_cls = COMMAND_CLASSES.get(transition.command)
        if command_cls is None:
            raise DomainError(
                f"Transition '{transition.slug}' names command '{transition.command}', which OMS does "
                f"not have. Fix the transition (valid commands: {', '.join(sorted(COMMAND_CLASSES))}).",
                field="slug",
            )
        if transition.destination_state not in command_cls.destinations:
            raise DomainError(
                f"Transition '{transition.slug}' leads to '{_state(transition.destination_state)}', "
                f"which {command_cls.code} cannot do. Fix the transition.",
                field="slug",
            )
        params = _params_validate(command_cls, input_parameters)
        old_state = package.status
        ctx = CommandContext(
            package=package,
            destination=transition.destination_state,
            params=params,
            now=now,
            fetched_tracking_number=fetched_tracking_number,
        )
        attributes = command_cls().run(ctx)
        Package.objects.filter(pk=package.pk).update(status=transition.destination_state, modified_at=now)
        log = StateTransitionLog.objects.create(
            package=package,
            transition=transition,
            command=command_cls.code,
            old_state=old_state,
            new_state=transition.destination_state,
            actor=actor if actor is not None and actor.is_authenticated else None,
            input_parameters=input_parameters or {},
            attributes={"slug": transition.slug, "transition_id": transition.pk, **attributes},
            created_at=now,
        )
    logger.info(
        "Package %s: %s %s -> %s", package.number, command_cls.code, _state(old_state), _state(log.new_state)
    )
    return log


def _transition_peek(
    *, package_status: int, slug: str | None, transition_id: int | None
) -> StateTransition | None:
    """The transition a request would run, read before the package is locked (None: refused later)."""
    transitions = StateTransition.objects.filter(model=TransitionModel.PACKAGE)
    if transition_id is not None:
        transition = transitions.filter(pk=transition_id).first()
        if transition is None or (slug is not None and transition.slug != slug):
            return None
        return transition
    return transitions.filter(slug=slug, source_state=package_status).first()
