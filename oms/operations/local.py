"""Local mode: what `oms serve` prepares so that it runs on one machine with no configuration.

`prepare_local_mode` runs before Django starts (it must not import Django settings); the other
functions run after `django.setup()` and import what they need when called.
"""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from oms.settings.env import SECRET_KEY_FILE, data_dir

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD_FILE = "admin-password.txt"
OMNITRON_PUSH_USERNAME = "omnitron"
SANDBOX_CREDENTIALS_FILE = "sandbox-credentials.json"
SANDBOX_USERNAME = "oms"


def prepare_local_mode() -> None:
    """Generate a secret key for this data directory on first start (never a fixed one)."""
    if os.environ.get("OMS_SECRET_KEY"):
        return
    key_file = data_dir() / SECRET_KEY_FILE
    if not key_file.exists():
        write_private_file(key_file, secrets.token_urlsafe(50))


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by the owner only (mode 600) from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


@dataclass(frozen=True)
class AdminAccount:
    """The local admin: `password` is set only on the start that created it (shown once)."""

    username: str
    password_file: Path
    password: str | None
    created: bool
    password_file_valid: bool


def ensure_local_admin(data: Path) -> AdminAccount:
    """Create the superuser `admin` with a random password on first start.

    The password is returned once and written to `admin-password.txt` (mode 600) in the data
    directory. On later starts nothing changes; `password_file_valid` says whether the file still
    holds the current password (it does not after `oms changepassword admin`).
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    password_file = data / ADMIN_PASSWORD_FILE
    user = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        password = secrets.token_urlsafe(18)
        user_model.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
        write_private_file(password_file, password + "\n")
        return AdminAccount(ADMIN_USERNAME, password_file, password, created=True, password_file_valid=True)
    valid = password_file.exists() and user.check_password(password_file.read_text().strip())
    return AdminAccount(ADMIN_USERNAME, password_file, None, created=False, password_file_valid=valid)


def ensure_omnitron_push_user() -> str:
    """The service user the Omnitron sandbox pushes orders as; returns a new API key for it.

    It has no password (it cannot log in to the admin) and is not staff. Keys are stored hashed,
    so each start replaces the previous start's token with a new one.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from oms.core.tokens import api_token_create

    user, created = get_user_model().objects.get_or_create(
        username=OMNITRON_PUSH_USERNAME, defaults={"is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.api_tokens.all().delete()
    return api_token_create(user=user, now=timezone.now()).key


@dataclass(frozen=True)
class SandboxCredentials:
    """The user OMS logs in to the local Omnitron sandbox with."""

    username: str
    password: str


def sandbox_credentials(data: Path) -> SandboxCredentials:
    """Credentials for the local Omnitron sandbox, generated on first use and kept (mode 600)."""
    path = data / SANDBOX_CREDENTIALS_FILE
    if path.exists():
        stored = json.loads(path.read_text())
        return SandboxCredentials(username=stored["username"], password=stored["password"])
    credentials = SandboxCredentials(username=SANDBOX_USERNAME, password=secrets.token_urlsafe(24))
    write_private_file(
        path, json.dumps({"username": credentials.username, "password": credentials.password}, indent=2)
    )
    return credentials


def prepare_client_mode() -> None:
    """`oms demo` only talks HTTP to a running OMS: on a machine with no key of its own, a
    throwaway key lets Django start (it signs nothing)."""
    if os.environ.get("OMS_SECRET_KEY") or (data_dir() / SECRET_KEY_FILE).exists():
        return
    os.environ["OMS_SECRET_KEY"] = secrets.token_urlsafe(50)


def sandbox_numbering_options() -> list[str]:
    """`oms sandbox` options that make a (re)started sandbox number its orders and items past every
    Omnitron id OMS already holds: the sandbox forgets its orders when it stops, OMS does not."""
    from django.db.models import Max

    from oms.orders.models import Order, OrderItem

    last_order = Order.objects.aggregate(last=Max("omnitron_id"))["last"]
    last_item = OrderItem.objects.aggregate(last=Max("omnitron_id"))["last"]
    options = []
    if last_order is not None:
        options += ["--first-order-pk", str(last_order + 1)]
    if last_item is not None:
        options += ["--first-item-pk", str(last_item + 1)]
    return options
