from celery import shared_task

from .services import delivery_send_order


@shared_task(
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def delivery_send_order_task(delivery_id: int) -> bool:
    """E-mail a placed purchase order that could not be sent at once."""
    return delivery_send_order(delivery_id=delivery_id, raise_errors=True)
