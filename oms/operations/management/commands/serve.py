"""`oms serve`: everything on one machine, with embedded defaults.

Migrates the database, collects static files, makes sure the local admin and the Omnitron push
user exist, then runs and watches the child processes: gunicorn, one `celery worker -B` and (when
`OMNITRON_URL` is not set) the Omnitron sandbox. Ctrl-C or SIGTERM stops them all and exits 0; a
child that dies stops the others and exits non-zero.
"""

import hashlib
import os
import shlex
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms.operations.local import (
    SANDBOX_CREDENTIALS_FILE,
    AdminAccount,
    ensure_local_admin,
    ensure_omnitron_push_user,
    sandbox_credentials,
    sandbox_numbering_options,
)
from oms.operations.local_env import LocalMode, local_mode_record
from oms.operations.serve_processes import die_with_parent, in_use_message, run_forget, run_record
from oms.operations.serve_supervisor import STOP_TIMEOUT_SECONDS, ChildDied, StopRequested, Supervisor

# Nobody waits for a run whose parent died: a short grace, then SIGKILL (pending work is in the database).
ORPHANED_STOP_TIMEOUT_SECONDS = 2.0
WEB_READY_TIMEOUT_SECONDS = 90.0
SANDBOX_READY_TIMEOUT_SECONDS = 30.0
# gunicorn kills a request running longer than this; OMNITRON_REQUEST_DEADLINE_SECONDS stays well under it.
WEB_TIMEOUT_SECONDS = 60
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def _local_host(host: str) -> str:
    """The address to reach a server bound to `host` from this machine, as it goes in a URL."""
    if host in WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def _tcp_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=1):
            return True
    except OSError:
        return False


def _http_answers(url: str) -> bool:
    """True once the server at `url` gives any HTTP response."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own http:// URL
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


STATIC_FINGERPRINT_FILE = "static-fingerprint"


def _static_fingerprint() -> str:
    """A digest of every static source file's path, size and mtime, and of the static settings."""
    from django.contrib.staticfiles.finders import get_finders

    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            info = os.stat(storage.path(path))
            entries.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}")
    entries.append(f"{settings.STATIC_ROOT}\0{settings.STORAGES['staticfiles']}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def _collectstatic(data: Path) -> None:
    """`collectstatic`, skipped when no static file changed since the last run (it takes seconds)."""
    stamp = data / STATIC_FINGERPRINT_FILE
    fingerprint = _static_fingerprint()
    collected = Path(settings.STATIC_ROOT) / "admin"
    if collected.is_dir() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


@dataclass(frozen=True)
class Omnitron:
    """The Omnitron OMS talks to, as the banner shows it."""

    url: str
    description: str
    env: dict[str, str]


class Command(BaseCommand):
    help = (
        "Run OMS on this machine: migrate, then the web server (gunicorn), one Celery worker with "
        "beat, and, when OMNITRON_URL is not set, the Omnitron sandbox. Ctrl-C stops everything."
    )
    requires_system_checks: list[str] = []  # checked once below, before the children start

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="web server port (8000)")
        parser.add_argument(
            "--sandbox-port", type=int, default=8100, help="Omnitron sandbox port, when it runs (8100)"
        )
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (2)")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (2)")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        data = Path(settings.DATA_DIR)
        local = _local_host(host)
        base_url = f"http://{local}:{port}"

        die_with_parent()  # killing the wrapper (uv run, a terminal) stops everything, SIGKILL included
        parent = os.getppid()
        supervisor = Supervisor(env=self._child_env(), log=self._log)
        supervisor.install_signal_handlers()
        self.check(display_num_errors=False)
        in_use = in_use_message(data, host, port, "--port", port_free=_port_is_free(host, port))
        if in_use:
            raise CommandError(in_use)

        self._log("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        _collectstatic(data)
        admin = ensure_local_admin(data)
        push_token = ensure_omnitron_push_user()
        self._prepare_broker()
        if supervisor.stop_signal is not None:
            self._log("Stopped before starting anything.")
            return

        try:
            omnitron = self._start_omnitron(supervisor, data, base_url, push_token, options["sandbox_port"])
            supervisor.env.update(omnitron.env)
            local_mode_record(
                data,
                LocalMode(
                    oms_url=base_url,
                    omnitron_url=omnitron.env.get("OMNITRON_URL", ""),
                    omnitron_username=omnitron.env.get("OMNITRON_USERNAME", ""),
                    omnitron_password=omnitron.env.get("OMNITRON_PASSWORD", ""),
                ),
            )
            self._start_web(supervisor, host, port, options["web_workers"])
            self._start_worker(supervisor, data, options["concurrency"])
            supervisor.wait_until(
                lambda: _http_answers(f"{base_url}/admin/login/"), "The web server", WEB_READY_TIMEOUT_SECONDS
            )
            run_record(data, [os.getpid(), *(child.pid for child in supervisor.children)])
            self._banner(base_url, admin, omnitron, data)
            supervisor.run_forever()
        except StopRequested:
            received = signal.Signals(supervisor.stop_signal or signal.SIGTERM).name
            self._log(f"\nReceived {received}: stopping…")
            started = time.monotonic()
            orphaned = os.getppid() != parent
            supervisor.stop_all(ORPHANED_STOP_TIMEOUT_SECONDS if orphaned else STOP_TIMEOUT_SECONDS)
            self._log(f"Stopped in {time.monotonic() - started:.1f} s.")
        except ChildDied as died:
            self._log(f"{died}: stopping the other processes…")
            supervisor.stop_all()
            raise CommandError(f"{died} unexpectedly; stopped the others. Its output is above.") from None
        except BaseException:
            supervisor.stop_all()
            raise
        finally:
            run_forget(data)

    def _start_web(self, supervisor: Supervisor, host: str, port: int, workers: int) -> None:
        bind = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"
        options = [
            "-b",
            bind,
            "-w",
            str(workers),
            "--timeout",
            str(WEB_TIMEOUT_SECONDS),
            "--graceful-timeout",
            "5",
        ]
        options.append("--no-control-socket")  # gunicorn's default socket path is shared by every instance
        supervisor.start("web server (gunicorn)", [sys.executable, "-m", "gunicorn", "oms.wsgi", *options])

    def _start_worker(self, supervisor: Supervisor, data: Path, concurrency: int) -> None:
        options = ["-B", "-s", str(data / "celerybeat-schedule"), "--concurrency", str(concurrency)]
        argv = [sys.executable, "-m", "celery", "-A", "oms", "worker", *options, "--loglevel", "INFO"]
        supervisor.start("Celery worker and beat", argv)

    def _log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _child_env(self) -> dict[str, str]:
        """The environment every child gets: this one, plus what makes them share our setup."""
        env = dict(os.environ)
        env.update(
            OMS_DATA_DIR=str(settings.DATA_DIR),
            OMS_SECRET_KEY=settings.SECRET_KEY,
            DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "oms.settings.base"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def _prepare_broker(self) -> None:
        from kombu.exceptions import OperationalError
        from kombu.utils.url import maybe_sanitize_url

        from oms.celery import prepare_broker

        try:
            prepare_broker()
        except OperationalError as error:
            broker = maybe_sanitize_url(settings.CELERY_BROKER_URL)
            reason = str(error).rstrip(".")
            raise CommandError(
                f"Cannot reach the Celery broker {broker}: {reason}. Start it, or unset CELERY_BROKER_URL "
                "to use the embedded broker."
            ) from error

    def _start_omnitron(
        self, supervisor: Supervisor, data: Path, base_url: str, push_token: str, sandbox_port: int
    ) -> Omnitron:
        """Start the Omnitron sandbox unless OMNITRON_URL names a real Omnitron."""
        if settings.OMNITRON_URL:
            return Omnitron(settings.OMNITRON_URL, "from OMNITRON_URL", {})
        if "sandbox" not in get_commands():
            self.stderr.write(
                "The Omnitron sandbox (`oms sandbox`) is not available: OMS runs without an Omnitron. "
                "Set OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD to use a real one."
            )
            return Omnitron("", "not configured", {})
        in_use = in_use_message(
            data,
            "127.0.0.1",
            sandbox_port,
            "--sandbox-port",
            port_free=_port_is_free("127.0.0.1", sandbox_port),
        )
        if in_use:
            raise CommandError(in_use)
        credentials = sandbox_credentials(data)
        credentials_file = data / SANDBOX_CREDENTIALS_FILE
        url = f"http://127.0.0.1:{sandbox_port}"
        sandbox = ["--port", str(sandbox_port), "--push-url", f"{base_url}/api/v1/oms/omnitron/orders/"]
        sandbox += sandbox_numbering_options()
        # Credentials go in the sandbox's environment: a command line is visible to anyone (`ps`).
        credentials_env = {
            "OMNITRON_SANDBOX_USERNAME": credentials.username,
            "OMNITRON_SANDBOX_PASSWORD": credentials.password,
            "OMNITRON_SANDBOX_PUSH_TOKEN": push_token,
        }
        supervisor.start(
            "Omnitron sandbox",
            [sys.executable, "-m", "oms", "sandbox", *sandbox],
            env=credentials_env,
            stop_last=True,
        )
        supervisor.wait_until(
            lambda: _tcp_answers("127.0.0.1", sandbox_port),
            "The Omnitron sandbox",
            SANDBOX_READY_TIMEOUT_SECONDS,
        )
        return Omnitron(
            f"{url}/",
            f"sandbox; OMS logs in as {credentials.username!r}, password in {credentials_file}",
            {
                "OMNITRON_URL": url,
                "OMNITRON_USERNAME": credentials.username,
                "OMNITRON_PASSWORD": credentials.password,
            },
        )

    def _banner(self, base_url: str, admin: AdminAccount, omnitron: Omnitron, data: Path) -> None:
        data_env = f"OMS_DATA_DIR={shlex.quote(str(data))} " if os.environ.get("OMS_DATA_DIR") else ""
        change = f"{data_env}oms changepassword {admin.username}"
        if admin.created:
            login = [
                f"  user {admin.username}, password {admin.password}",
                f"  (shown this once; also saved in {admin.password_file}, readable only by you)",
            ]
        elif admin.password_file_valid:
            login = [f"  user {admin.username}, password in {admin.password_file}"]
        elif admin.password_file.exists():
            login = [
                f"  user {admin.username}, with the password you set ({admin.password_file} is out of date)",
            ]
        else:
            login = [f"  user {admin.username} (no password file in {data})"]
        login.append(f"  change the password: {change}")
        password_file = shlex.quote(str(admin.password_file))
        password_expr = f"$(cat {password_file})" if admin.password_file_valid else "YOUR-PASSWORD"
        lines = [
            "",
            "OMS is running.",
            "",
            f"  API        {base_url}/api/v1/oms/",
            f"  Admin      {base_url}/admin/",
            f"  API docs   {base_url}/api/docs/",
            f"  Omnitron   {omnitron.url or '-'} ({omnitron.description})",
            f"  Data       {data}",
            "",
            "Log in to the admin:",
            *login,
            "",
            "Get an API token (then send `Authorization: Token <key>`):",
            f"  curl -s -X POST {base_url}/api/v1/oms/auth/login/ -H 'Content-Type: application/json' \\",
            f'    -d "{{\\"username\\": \\"{admin.username}\\", \\"password\\": \\"{password_expr}\\"}}"',
            "",
            "Press Ctrl-C to stop.",
            "",
        ]
        self._log("\n".join(lines))
