"""Existing DRF authtoken keys become hashed API tokens, and the table of clear keys is dropped.

Clients keep working with the keys they have: each key's digest is stored, never the key. The
table `authtoken_token` is read with plain SQL (the authtoken app is no longer installed) and only
if it exists: a database created after this change never had it.
"""

import hashlib

from django.db import migrations

AUTHTOKEN_TABLE = "authtoken_token"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def authtoken_keys_hash(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if AUTHTOKEN_TABLE not in connection.introspection.table_names(cursor):
            return
        cursor.execute(f"SELECT key, user_id, created FROM {AUTHTOKEN_TABLE}")
        rows = cursor.fetchall()
    api_token = apps.get_model("core", "ApiToken")
    api_token.objects.bulk_create(
        [
            api_token(user_id=user_id, digest=_digest(key), prefix=key[:8], created_at=created, last_used_at=created)
            for key, user_id, created in rows
        ]
    )
    schema_editor.execute(f"DROP TABLE {AUTHTOKEN_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_api_token")]

    # Irreversible on purpose: the clear keys are gone, and must stay gone.
    operations = [migrations.RunPython(authtoken_keys_hash, migrations.RunPython.noop)]
