"""Answers already given are recorded on their delivery lines (the columns
``suppliers`` added: latest answer, confirmed quantity and date, shipped
quantity, latest arrival, the delivery's first answer), and confirmations from
before alerts existed count as alerted, so nobody is e-mailed about old news."""

from django.db import migrations, models
from django.db.models import Min, Sum


def fill_line_answers(apps, schema_editor):
    LineConfirmation = apps.get_model("portal", "LineConfirmation")
    ShipNotice = apps.get_model("portal", "ShipNotice")
    ShipNoticeLine = apps.get_model("portal", "ShipNoticeLine")
    DeliveryLine = apps.get_model("suppliers", "DeliveryLine")
    Delivery = apps.get_model("suppliers", "Delivery")
    latest = {}
    for answer in LineConfirmation.objects.order_by("line_id", "-created_at", "-id"):
        latest.setdefault(answer.line_id, answer)
    for line_id, answer in latest.items():
        DeliveryLine.objects.filter(pk=line_id).update(
            response=answer.action,
            confirmed_quantity=answer.quantity,
            confirmed_date=answer.date,
        )
    shipped = ShipNoticeLine.objects.values("line_id").annotate(total=Sum("quantity"))
    for row in shipped:
        notice = (
            ShipNotice.objects.filter(lines__line_id=row["line_id"])
            .order_by("-created_at", "-id")
            .first()
        )
        DeliveryLine.objects.filter(pk=row["line_id"]).update(
            quantity_shipped=row["total"], ship_arrival=notice.arrival
        )
    first = {}
    for row in (
        LineConfirmation.objects.values("line__delivery_id")
        .annotate(at=Min("created_at"))
        .values_list("line__delivery_id", "at")
    ):
        first[row[0]] = row[1]
    for delivery_id, at in ShipNotice.objects.values("delivery_id").annotate(
        at=Min("created_at")
    ).values_list("delivery_id", "at"):
        first[delivery_id] = min(at, first.get(delivery_id, at))
    for delivery_id, at in first.items():
        Delivery.objects.filter(pk=delivery_id).update(first_response_at=at)
    LineConfirmation.objects.filter(alerted_at__isnull=True).update(
        alerted_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("suppliers", "0008_supplier_answers_on_lines_and_time_to_confirm"),
    ]

    operations = [
        migrations.AddField(
            model_name="lineconfirmation",
            name="alerted_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the buyer was e-mailed about this firm-zone change.",
                null=True,
            ),
        ),
        migrations.RunPython(fill_line_answers, migrations.RunPython.noop),
    ]
