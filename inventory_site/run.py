"""``make run``: prepare the embedded setup and run web + Celery worker + beat.

Embedded defaults: SQLite and Celery's filesystem broker under ``var/``; no server
needed. Migrates (which creates the cache table), loads demo data on first start, makes
sure the demo users exist, then supervises three processes. Ctrl-C or SIGTERM stops
all three; if one dies, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the parent exits (``make`` killed with SIGTERM does
    not pass the signal on), so no process is left behind."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings.base")
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def _prepare(env: dict[str, str]) -> None:
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("seed_demo", env=env)
    _manage("demo_users", env=env)
    # Plan once now, so the first visit shows classes and suggestions instead of
    # waiting for the nightly run.
    for command in ("reclassify", "suggest"):
        _manage(command, env=env)


def _processes(port: str) -> dict[str, list[str]]:
    return {
        "web": [
            str(BIN / "gunicorn"),
            "inventory_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "2"),
            "--access-logfile",
            "-",
        ],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "inventory_site",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            os.environ.get("CELERY_CONCURRENCY", "2"),
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "inventory_site",
            "beat",
            "--loglevel",
            "INFO",
        ],
    }


def main() -> int:
    _die_with_parent()
    parent = os.getppid()
    env = _env()
    port = env.get("PORT", "8000")
    _prepare(env)

    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    for name, cmd in _processes(port).items():
        children[name] = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=env, preexec_fn=_die_with_parent
        )
    print(
        f"\nJIT Inventory is running at http://127.0.0.1:{port}/ "
        "(web, Celery worker and beat). Press Ctrl-C to stop.\n",
        flush=True,
    )

    exit_code = 0
    while not stopping:
        if os.getppid() != parent:  # make went away without telling us
            break
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with code {child.returncode}; stopping.")
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.5)

    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("Stopped web, worker and beat.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
