"""The `oms` console script: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    from django.core.exceptions import ImproperlyConfigured

    from oms.operations.local_env import OMNITRON_COMMANDS, local_mode_apply, sandbox_down_message
    from oms.operations.preflight import HELP_ARGUMENTS, database_problem
    from oms.settings.env import data_dir

    try:
        data = data_dir()
        mode = None
        if command == "serve":
            from oms.operations.local import prepare_local_mode

            prepare_local_mode()
        else:
            mode = local_mode_apply(data)
        if command == "demo":
            from oms.operations.local import prepare_client_mode

            prepare_client_mode()
        if command not in HELP_ARGUMENTS:
            import django

            django.setup()
    except ImproperlyConfigured as error:
        _stop(str(error))
    problem = database_problem(command)
    if problem is None and mode is not None and command in OMNITRON_COMMANDS:
        problem = sandbox_down_message(mode, data)
    if problem:
        _stop(problem)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _stop(message: str) -> None:
    sys.stderr.write(f"oms: {message}\n")
    sys.exit(2)


if __name__ == "__main__":
    main()
