from django import forms

from items.limits import column_max

from .models import DeliveryLine, DeliveryStatus


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "To order and open"),
            ("open", "Open (ordered, not all received)"),
            ("late", "Late"),
            ("all", "All"),
            *DeliveryStatus.choices,
        ],
    )
    q = forms.CharField(label="Reference or supplier", required=False, max_length=64)


class LineReceiptForm(forms.Form):
    """One delivery line at incoming inspection."""

    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity_received = forms.DecimalField(
        label="Received now",
        min_value=0,
        max_value=column_max(DeliveryLine, "quantity_received"),
        max_digits=16,
        decimal_places=3,
        initial=0,
    )
    quantity_rejected = forms.DecimalField(
        label="Rejected at inspection",
        min_value=0,
        max_value=column_max(DeliveryLine, "quantity_rejected"),
        max_digits=16,
        decimal_places=3,
        initial=0,
    )
    rejection_reason = forms.CharField(label="Reason", required=False, max_length=255)

    def clean(self):
        data = super().clean()
        received = data.get("quantity_received")
        rejected = data.get("quantity_rejected")
        if received is not None and rejected is not None:
            if rejected > received:
                self.add_error(
                    "quantity_rejected", "Cannot reject more than was received."
                )
            if rejected and not data.get("rejection_reason"):
                self.add_error("rejection_reason", "Say why parts were rejected.")
        return data


LineReceiptFormSet = forms.formset_factory(LineReceiptForm, extra=0)


class ReceiveOptionsForm(forms.Form):
    close = forms.BooleanField(
        label="Close the delivery (accept a short shipment)", required=False
    )


class PlaceOrderForm(forms.Form):
    promised_date = forms.DateField(
        label="Requested delivery date",
        required=False,
        help_text="Empty: today + the quoted lead time.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason for cancelling", max_length=255)


class LineQuantityForm(forms.Form):
    quantity = forms.DecimalField(
        label="Quantity", min_value=0, max_digits=16, decimal_places=3
    )
