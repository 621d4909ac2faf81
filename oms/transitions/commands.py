"""The closed registry of command codes a state transition may name.

The transition engine knows commands by code only: what each does lives in the app that owns it,
which registers it here from its `AppConfig.ready()` (the packages app registers the package
commands). Transitions are validated against this registry.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    """A command as transitions see it: its code, what it does, and the moves it allows."""

    code: str
    description: str
    sources: frozenset[int]
    destinations: frozenset[int]


_commands: dict[str, CommandSpec] = {}


def command_register(spec: CommandSpec) -> None:
    """Add a command to the registry (registering the same spec again changes nothing)."""
    known = _commands.get(spec.code)
    if known is not None and known != spec:
        raise ValueError(f"Command code {spec.code} is already registered with other moves.")
    _commands[spec.code] = spec


def command_get(code: str) -> CommandSpec | None:
    """The registered command with this code, or None."""
    return _commands.get(code)


def command_codes() -> list[str]:
    """Every registered command code, sorted."""
    return sorted(_commands)
