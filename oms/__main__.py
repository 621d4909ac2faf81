"""The `oms` console script: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve":
        from oms.operations.local import prepare_local_mode

        prepare_local_mode()
    elif command == "demo":
        from oms.operations.local import prepare_client_mode

        prepare_client_mode()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
