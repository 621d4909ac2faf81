"""Set-up mistakes said in one line instead of a traceback: a missing key, an unmigrated database."""

#: Commands that run without a migrated database (they create it, or do not use it).
NO_DATABASE_COMMANDS = frozenset(
    {
        "migrate",
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "squashmigrations",
        "optimizemigration",
        "serve",
        "sandbox",
        "demo",
        "check",
        "collectstatic",
        "findstatic",
        "diffsettings",
        "dbshell",
        "shell",
        "test",
        "startapp",
        "startproject",
        "makemessages",
        "compilemessages",
        "sendtestemail",
        "help",
        "version",
    }
)
HELP_ARGUMENTS = frozenset({"", "help", "--help", "-h", "version", "--version"})


def database_problem(command: str) -> str | None:
    """What to do when `command` needs the database and it is unreachable or not migrated, else None."""
    if command in NO_DATABASE_COMMANDS or command in HELP_ARGUMENTS:
        return None
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    where = settings.DATABASES[DEFAULT_DB_ALIAS].get("NAME")
    try:
        if "django_migrations" not in connection.introspection.table_names():
            return f"The database ({where}) is not set up yet: run `oms migrate` or `bin/serve` first."
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return f"Cannot use the database ({where}): {str(error).strip()}."
    if pending:
        return (
            f"The database ({where}) lacks {len(pending)} migration(s): run `oms migrate` or `bin/serve` "
            "first."
        )
    return None
