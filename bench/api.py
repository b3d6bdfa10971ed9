"""Benchmark: the REST API against gunicorn and PostgreSQL.

100,000 items in ``jit_bench_api``; times GET /api/v1/items/ pages and
8-client POST /api/v1/movements/ throughput, then checks the ledger. Details,
targets and past results: bench/README.md.

Usage: .venv/bin/python bench/api.py [--items 100000] [--seconds 20] [--requests 200]
       [--db NAME] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
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


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default="jit_bench_api")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    setup_django(args.db, fresh=not args.reuse)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from items.models import Item

    if not args.reuse:
        print(f"Building {args.items:,} items …", flush=True)
        build(items=args.items, movements_per_item=10)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-api", defaults={"is_staff": True}
    )
    token = Token.objects.get_or_create(user=user)[0].key
    skus = list(
        Item.objects.filter(on_hand__gt=1000).values_list("sku", flat=True)[:200]
    )
    skus = skus or list(Item.objects.values_list("sku", flat=True)[:200])
    items = Item.objects.count()

    port = 19000 + secrets.randbelow(1000)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inventory_site.settings.base",
           "DJANGO_DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1"}  # fmt: skip
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "inventory_site.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", str(2 * os.cpu_count() + 1),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    rows = []
    try:
        wait_for_server(port)
        time.sleep(1)
        rng = random.Random(5)
        reads = {
            "GET items/ (page 1..20)": lambda: f"/api/v1/items/?page={rng.randint(1, 20)}",
            "GET items/?abc_class=A&policy=…": lambda: "/api/v1/items/?abc_class=A&policy=reorder_point",
            "GET items/?below_reorder_point=true": lambda: "/api/v1/items/?below_reorder_point=true",
            "GET items/<sku>/": lambda: f"/api/v1/items/{rng.choice(skus)}/",
        }  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for name, path in reads.items():
            for _ in range(5):
                request(conn, "GET", path(), token)
            times = []
            for _ in range(args.requests):
                status, ms = request(conn, "GET", path(), token)
                assert status == 200, (name, status)
                times.append(ms)
            rows.append((name, len(times), statistics.median(times),
                         percentile(times, 95), max(times), 0))  # fmt: skip

        posts: list[float] = []
        codes: dict[int, int] = {}
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def client(n):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local = random.Random(n)
            while time.monotonic() < deadline:
                body = {"sku": local.choice(skus), "kind": "issue", "quantity": "1"}
                status, ms = request(c, "POST", "/api/v1/movements/", token, body)
                with lock:
                    posts.append(ms)
                    codes[status] = codes.get(status, 0) + 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        errors = sum(v for k, v in codes.items() if k not in (201, 409))
        rows.append((f"POST movements/ × 8 clients, {elapsed:.0f} s", len(posts),
                     statistics.median(posts), percentile(posts, 95), max(posts), errors))  # fmt: skip
        throughput = len(posts) / elapsed
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print()
    print(
        f"REST API · gunicorn {2 * os.cpu_count() + 1} workers · PostgreSQL · {items:,} items"
    )
    print(
        f"{'request':<40} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}"
    )
    print("-" * 82)
    for name, count, p50, p95, worst, errs in rows:
        print(f"{name:<40} {count:>6} {p50:>8.1f} {p95:>8.1f} {worst:>8.1f} {errs:>7}")
    list_p95 = rows[0][3]
    print("-" * 82)
    print(
        f"items list p95 ≤ 50 ms: {'met' if list_p95 <= 50 else 'NOT met'} ({list_p95:.1f} ms)"
    )
    print(f"consumption POST throughput: {throughput:.0f} requests/s with 8 clients "
          f"(status codes {dict(sorted(codes.items()))})")  # fmt: skip
    call_command("check_ledger")
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
