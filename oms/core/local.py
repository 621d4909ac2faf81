"""Local mode: what `oms serve` prepares before Django starts, so it runs with no configuration."""

import os
import secrets

from oms.settings.env import SECRET_KEY_FILE, data_dir


def prepare_local_mode() -> None:
    """Generate a secret key for this data directory on first start (never a fixed one)."""
    if os.environ.get("OMS_SECRET_KEY"):
        return
    key_file = data_dir() / SECRET_KEY_FILE
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
