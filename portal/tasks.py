from celery import shared_task

from .services import firm_zone_alert_send


@shared_task(
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def firm_zone_alert_task(confirmation_ids: list[int]) -> int:
    """E-mail the buyer about a supplier's firm-zone changes (retried while the
    mail server is down; changes already alerted are not sent again)."""
    return firm_zone_alert_send(confirmation_ids=confirmation_ids)
