"""Running package commands: one engine for the API, the admin and the operator commands."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from oms.core.errors import ConflictError, DomainError, NotFoundError
from oms.core.statuses import PackageStatus, status_name
from oms.packages.commands import COMMAND_CLASSES, CommandContext, PackageCommand
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


def package_command_run(
    *,
    package_id: int,
    slug: str | None = None,
    transition_id: int | None = None,
    input_parameters: Any = None,
    actor=None,
    now: datetime,
) -> StateTransitionLog:
    """Run a package command: plan it, move the package if its status is unchanged, work, log.

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


# How often a command is planned again when the package's status moved between the read it was
# planned on and the lock (a concurrent command won the race); then the answer is 409.
PLAN_ATTEMPTS = 3


@dataclass(frozen=True)
class _Plan:
    transition: StateTransition
    command: PackageCommand
    params: dict[str, Any]
    prepared: Any


def _plan(*, package: Package, transition: StateTransition, input_parameters: Any) -> _Plan:
    """Check the transition's command and input and let the command read what it needs, unlocked."""
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
    command = command_cls()
    return _Plan(transition, command, params, command.prepare(package=package, params=params))


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

    for _ in range(PLAN_ATTEMPTS):
        # Plan on an unlocked read: resolve the transition, validate, and let the command read and
        # check what it needs (items, route, tracking number, asking Omnitron if it must). The
        # package is locked only by the write that moves it, for the writes that follow: a slow
        # Omnitron never holds a lock, and on SQLite (one writer at a time) writers queue less.
        package = (
            Package.objects.filter(pk=package_id)
            .select_related("order", "order__channel", "order__cargo_company")
            .first()
        )
        if package is None:
            raise NotFoundError(f"There is no package with id {package_id}.")
        transition = _transition_resolve(package=package, slug=slug, transition_id=transition_id)
        plan = _plan(package=package, transition=transition, input_parameters=input_parameters)

        with transaction.atomic():
            # Compare and set: the move happens only if the package is still in the status the plan
            # was made for. The update holds the row (PostgreSQL) or the database (SQLite) until
            # commit, so the work below is done once, by whoever moved the package.
            moved = Package.objects.filter(pk=package_id, status=package.status).update(
                status=plan.transition.destination_state, modified_at=now
            )
            if moved:
                log = _plan_apply(
                    package=package, plan=plan, actor=actor, now=now, input_parameters=input_parameters
                )
                break
        # The package moved on (or went away) since it was read: plan again from what it is now.
    else:
        raise ConflictError(
            f"Package {package.number} kept changing while '{slug or transition_id}' was being prepared "
            "(other commands ran on it). Look at its status and send the command again if it still applies.",
            field="slug",
        )
    logger.info(
        "Package %s: %s %s -> %s", package.number, log.command, _state(log.old_state), _state(log.new_state)
    )
    return log


def _plan_apply(
    *, package: Package, plan: _Plan, actor, now: datetime, input_parameters: Any
) -> StateTransitionLog:
    """Do the planned work on the package just moved to the transition's destination; log it."""
    transition = plan.transition
    attributes = plan.command.run(
        CommandContext(
            package=package,
            destination=transition.destination_state,
            params=plan.params,
            now=now,
            prepared=plan.prepared,
        )
    )
    return StateTransitionLog.objects.create(
        package=package,
        transition=transition,
        command=plan.command.code,
        old_state=package.status,
        new_state=transition.destination_state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        input_parameters=input_parameters or {},
        attributes={"slug": transition.slug, "transition_id": transition.pk, **attributes},
        created_at=now,
    )
