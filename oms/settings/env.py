"""Reading the environment: one place that knows the variable names and their defaults."""

import os
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer from the environment; with `minimum`, a smaller value refuses to start."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} is too small: it must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def data_dir() -> Path:
    """OMS_DATA_DIR (default `var` at the project root), created on first use.

    The embedded database, broker, keys and the local mode `oms serve` records live here.

    It holds secrets (the database with its tokens' digests and the Omnitron password, the secret
    key, the admin password), so it is the owner's alone: the process umask becomes 077 (every file
    OMS creates from now on is 0600, every directory 0700, SQLite's -wal and -shm included), and
    what an earlier version left readable to others is made private.
    """
    os.umask(PRIVATE_UMASK)
    configured = env_str("OMS_DATA_DIR")
    path = Path(configured).resolve() if configured else project_root() / "var"
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    private_tree(path)
    return path


PROJECT_NAME_LINE = 'name = "oms"'


def project_root(start: Path | None = None) -> Path:
    """The checkout this command runs in: the nearest directory up from `start` (the working
    directory) whose pyproject.toml names the project; `start` itself outside a checkout.

    `./var` is resolved against it, so `oms` finds the same data directory from any subdirectory.
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        try:
            lines = (candidate / "pyproject.toml").read_text().splitlines()
        except OSError:
            continue
        if PROJECT_NAME_LINE in (line.strip() for line in lines):
            return candidate
    return here


def private_tree(root: Path) -> None:
    """Make `root` and everything in it that this user owns private (dirs 0700, files 0600)."""
    me = os.geteuid()
    _private(root, PRIVATE_DIR_MODE, me)
    for here, dirs, files in os.walk(root):
        for name in dirs:
            _private(Path(here, name), PRIVATE_DIR_MODE, me)
        for name in files:
            _private(Path(here, name), PRIVATE_FILE_MODE, me)


def _private(path: Path, mode: int, me: int) -> None:
    try:
        info = os.lstat(path)
        current = stat.S_IMODE(info.st_mode)
        if info.st_uid == me and not stat.S_ISLNK(info.st_mode) and current & 0o077:
            os.chmod(path, current & mode)
    except FileNotFoundError:
        pass  # removed meanwhile (SQLite's -shm, a cache file): nothing left to protect


SECRET_KEY_FILE = "secret_key"


def secret_key(data: Path) -> str:
    """OMS_SECRET_KEY, else the key `oms serve` generated for this data directory.

    Anything else refuses to start: a default key would sign sessions anyone can forge.
    """
    key = env_str("OMS_SECRET_KEY")
    if key:
        return key
    key_file = data / SECRET_KEY_FILE
    if key_file.exists():
        return key_file.read_text().strip()
    raise ImproperlyConfigured(
        "OMS_SECRET_KEY is not set. Set it (e.g. OMS_SECRET_KEY=$(python -c "
        "'import secrets; print(secrets.token_urlsafe(50))')), or run `oms serve` once, "
        f"which generates a local key in {key_file}."
    )
