"""The daily digest: an e-mail after the nightly run to the users who opted in.

What it says (``digest_content``): the suggestions due today by supplier, the late
deliveries, the stockouts and the items at or below the reorder point, each with
a count and the first rows, and links to the filtered pages.

How it is sent: the nightly suggestion step records how many chunks it queued
(``digest_night_start``); every chunk that finishes counts itself
(``digest_chunk_done``, an ``F()`` update), and the one that completes the count
queues ``digest_send_task`` through the jobs outbox, once (a conditional update on
``queued_at``). ``digest_send`` writes one message per subscriber through Django's
e-mail framework (embedded default: files under ``var/mail/``) and records the day
on each subscription, so a second run the same day sends nothing again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F
from django.template.loader import render_to_string
from django.utils import timezone

from items.models import Item
from jobs.services import job_enqueue
from suppliers.models import Delivery

from .models import DigestSubscription, NightlyDigest, Suggestion

logger = logging.getLogger(__name__)
ROWS = 10  # rows per section; the count and the link cover the rest
DIGEST_TASK = "replenishment.tasks.digest_send_task"


def digest_content(*, today: date | None = None, rows: int = ROWS) -> dict:
    """Everything the digest shows, as of ``today`` (a few small queries)."""
    today = today or timezone.localdate()
    due = (
        Suggestion.objects.open()
        .filter(order_by__lte=today)
        .select_related("item", "supplier")
        .order_by("supplier__code", "order_by", "item__sku")
    )
    totals = dict(
        due.order_by()
        .values("supplier_id")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "n")
    )
    by_supplier: dict = defaultdict(list)
    for suggestion in due[:500]:
        by_supplier[suggestion.supplier].append(suggestion)
    late = Delivery.objects.late(today=today).select_related("supplier")
    stockouts = Item.objects.active().stocked_out().order_by("-annual_value", "sku")
    below = Item.objects.active().below_reorder_point().order_by("on_hand", "sku")
    return {
        "today": today,
        "due_count": sum(totals.values()),
        "due_groups": [
            {
                "supplier": supplier,
                "suggestions": items[:rows],
                "total": totals.get(supplier.pk, len(items)),
            }
            for supplier, items in by_supplier.items()
        ],
        "late_count": late.count(),
        "late": list(late.order_by("promised_date", "reference")[:rows]),
        "stockout_count": stockouts.count(),
        "stockouts": list(stockouts[:rows]),
        "below_count": below.count(),
        "below": list(below[:rows]),
        "site_url": settings.SITE_URL.rstrip("/"),
    }


def digest_message(*, user, content: dict) -> EmailMultiAlternatives:
    context = {**content, "user": user}
    subject = (
        f"JIT Inventory {content['today']:%d %b %Y}: "
        f"{content['due_count']} due, {content['late_count']} late, "
        f"{content['stockout_count']} stocked out"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("replenishment/digest_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("replenishment/digest_email.html", context), "text/html"
    )
    return message


def digest_recipients(*, today: date):
    """Active users who opted in, have an address and got nothing today."""
    return (
        get_user_model()
        .objects.filter(is_active=True, digest__daily_digest=True)
        .exclude(email="")
        .exclude(digest__last_sent_on=today)
        .order_by("pk")
    )


def digest_send(*, today: date | None = None) -> int:
    """Send today's digest to every subscriber not yet served today; returns how
    many were sent. One connection for all; a subscriber is marked served only
    after their message went out."""
    today = today or timezone.localdate()
    users = list(digest_recipients(today=today))
    if not users:
        return 0
    content = digest_content(today=today)
    sent = 0
    with get_connection() as connection:
        for user in users:
            message = digest_message(user=user, content=content)
            message.connection = connection
            message.send()
            DigestSubscription.objects.filter(user=user).update(last_sent_on=today)
            sent += 1
    NightlyDigest.objects.filter(day=today).update(
        sent_at=timezone.now(), recipients=F("recipients") + sent
    )
    logger.info("Daily digest for %s sent to %s users.", today, sent)
    return sent


def digest_subscription_set(*, user, daily_digest: bool) -> DigestSubscription:
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"daily_digest": daily_digest}
    )
    return subscription


def digest_night_start(*, today: date, chunks: int) -> None:
    """The nightly suggestion step queued ``chunks`` chunks for ``today`` (none:
    the digest is queued at once)."""
    NightlyDigest.objects.update_or_create(
        day=today, defaults={"chunks_total": chunks, "chunks_done": 0}
    )
    if chunks == 0:
        _queue(today)


def digest_chunk_done(*, today: date) -> bool:
    """Count one finished chunk; the one that completes the night queues the
    digest. True when this call queued it."""
    NightlyDigest.objects.filter(day=today).update(chunks_done=F("chunks_done") + 1)
    night = NightlyDigest.objects.filter(day=today).first()
    if night is None or night.chunks_done < night.chunks_total:
        return False
    return _queue(today)


def _queue(today: date) -> bool:
    with transaction.atomic():
        claimed = NightlyDigest.objects.filter(
            day=today, queued_at__isnull=True
        ).update(queued_at=timezone.now())
        if claimed:
            job_enqueue(task_name=DIGEST_TASK, args=[today.isoformat()])
    return bool(claimed)
