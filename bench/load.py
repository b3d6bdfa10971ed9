"""Load test: 50 concurrent staff sessions against gunicorn and PostgreSQL.

``jit_bench_load`` (10,000 items by default); simulated staff log in, browse and
post consumption for 60 s; latency per kind of request, errors, then
``check_ledger``. Details, target and past results: bench/README.md.

Usage: .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--items 10000]
       [--workers N] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import (  # noqa: E402
    ROOT,
    build,
    drop_database,
    percentile,
    setup_django,
    wait_for_server,
)

DB = "jit_bench_load"
PASSWORD = "load-test-password-2026"


class Session:
    """One browser: cookies, CSRF token, keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                # The server closed an idle keep-alive connection: reconnect and
                # send again once, as browsers do.
                self.conn.close()
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30
                )
                if attempt == 2:
                    raise
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location"), content


def log_in(port, username, errors, logins) -> Session | None:
    """Staff log in once a shift; logins (PBKDF2, deliberately slow) are timed apart
    from the browsing they are followed by."""
    session = Session(port)
    started = time.perf_counter()
    try:
        session.request("GET", "/accounts/login/")
        status, _, _ = session.request(
            "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
        )
    except Exception as error:  # noqa: BLE001
        errors.append(f"{username}: login failed: {error}")
        return None
    logins.append((time.perf_counter() - started) * 1000)
    if status != 302:
        errors.append(f"{username}: login answered {status}")
        return None
    return session


def staff_member(session, skus, deadline, results, errors, rng):
    if session is None:
        return
    actions = [
        ("dashboard", 3, lambda: ("GET", "/", None)),
        ("item list", 3, lambda: ("GET", f"/items/?page={rng.randint(1, 20)}", None)),
        ("item page", 4, lambda: ("GET", f"/items/{rng.choice(skus)}/", None)),
        ("suggestions", 1, lambda: ("GET", "/suggestions/", None)),
        ("deliveries", 1, lambda: ("GET", "/deliveries/", None)),
        (
            "post consumption",
            3,
            lambda: (
                "POST",
                f"/items/{rng.choice(skus)}/movements/",
                {"kind": "issue", "quantity": "1", "note": "load test"},
            ),
        ),
    ]
    names = [a[0] for a in actions]
    weights = [a[1] for a in actions]
    makers = {a[0]: a[2] for a in actions}
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        method, path, form = makers[name]()
        started = time.perf_counter()
        try:
            status, location, _ = session.request(method, path, form)
        except Exception as error:  # noqa: BLE001
            errors.append(f"{name} {path}: {error}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        ok = status == 200 or (method == "POST" and status == 302)
        if not ok or (location and "login" in location):
            errors.append(f"{name} {path}: HTTP {status} {location or ''}")
        results[name].append(elapsed)
        time.sleep(rng.uniform(1.0, 4.0))  # a person reads before the next click


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    setup_django(DB)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from items.models import Item

    print(f"Building {args.items:,} items …", flush=True)
    build(items=args.items, movements_per_item=40, sources_per_item=2, suppliers=50)
    User = get_user_model()
    for n in range(args.users):
        user = User(username=f"staff{n:02d}", is_staff=True)
        user.set_password(PASSWORD)
        user.save()
    skus = list(Item.objects.order_by("?").values_list("sku", flat=True)[:2000])
    call_command("collectstatic", "--noinput", verbosity=0)

    port = 18000 + secrets.randbelow(1000)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_site.settings.base",
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "inventory_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_server(port)
        results: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        logins: list[float] = []
        sessions: list[Session | None] = [None] * args.users

        def start_shift(n):
            sessions[n] = log_in(port, f"staff{n:02d}", errors, logins)

        login_threads = [
            threading.Thread(target=start_shift, args=(n,)) for n in range(args.users)
        ]
        for thread in login_threads:
            thread.start()
        for thread in login_threads:
            thread.join()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=staff_member,
                args=(sessions[n], skus, deadline, results, errors, random.Random(n)),
            )
            for n in range(args.users)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        duration = time.monotonic() - started
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    everything = [v for values in results.values() for v in values]
    print()
    print(f"{args.users} staff sessions · {duration:.0f} s · gunicorn {args.workers} "
          f"workers × 4 threads · PostgreSQL · {args.items:,} items")  # fmt: skip
    print(f"{'request':<20} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print("-" * 56)
    for name, values in sorted(results.items()):
        print(f"{name:<20} {len(values):>7} {statistics.median(values):>8.1f} "
              f"{percentile(values, 95):>8.1f} {max(values):>8.1f}")  # fmt: skip
    print("-" * 56)
    p95 = percentile(everything, 95)
    print(f"{'all':<20} {len(everything):>7} {statistics.median(everything):>8.1f} "
          f"{p95:>8.1f} {max(everything):>8.1f}")  # fmt: skip
    print(
        f"throughput: {len(everything) / duration:.1f} requests/s; errors: {len(errors)}"
    )
    for error in errors[:10]:
        print("  ", error)
    print(f"target p95 ≤ 300 ms and no errors: "
          f"{'met' if p95 <= 300 and not errors else 'NOT met'}")  # fmt: skip
    call_command("check_ledger")
    if not args.keep:
        drop_database(DB)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
