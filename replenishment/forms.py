from decimal import Decimal

from django import forms

from .backtest_runner import CLASSES, DEFAULT_DAYS, DEFAULT_SEED


class BacktestForm(forms.Form):
    """Start a backtest with the current parameters, or changed ones (what if).

    Blank what-if fields keep the current policy parameters."""

    days = forms.IntegerField(min_value=7, max_value=1095, initial=DEFAULT_DAYS)
    seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=DEFAULT_SEED)
    items = forms.CharField(
        required=False,
        max_length=20000,
        help_text="SKUs separated by commas; blank replays every active item.",
    )
    service_level = forms.DecimalField(
        label="service target",
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal("0.9999"),
        decimal_places=4,
        help_text="e.g. 0.98, for every class; sets z to the normal quantile "
        "(blank: each class's own target).",
    )

    def __init__(self, *args, params=None, **kwargs):
        super().__init__(*args, **kwargs)
        for abc in CLASSES:
            current_st = params.min_safety_time(abc) if params else None
            current_t = params.interval(abc) if params else None
            self.fields[f"min_safety_time_{abc}"] = forms.IntegerField(
                label=f"safety time minimum {abc} (days)",
                required=False,
                min_value=0,
                max_value=365,
                help_text=f"current {current_st}" if params else "",
            )
            self.fields[f"delivery_interval_{abc}"] = forms.IntegerField(
                label=f"delivery interval {abc} (days)",
                required=False,
                min_value=1,
                max_value=365,
                help_text=f"current {current_t}" if params else "",
            )
        if params is not None:
            current = ", ".join(
                f"{abc} {params.service_target(abc)} (z {params.z_for(abc)})"
                for abc in CLASSES
            )
            self.fields["service_level"].help_text += f" Current: {current}."

    def overrides(self) -> dict:
        data = self.cleaned_data
        overrides: dict = {}
        if data.get("service_level") is not None:
            overrides["service_level"] = str(data["service_level"])
        for key, prefix in (
            ("min_safety_time_days", "min_safety_time_"),
            ("delivery_interval_days", "delivery_interval_"),
        ):
            per_class = {
                abc: data[prefix + abc]
                for abc in CLASSES
                if data.get(prefix + abc) is not None
            }
            if per_class:
                overrides[key] = per_class
        return overrides

    def skus(self) -> list[str]:
        return [s.strip() for s in self.cleaned_data["items"].split(",") if s.strip()]


class DigestForm(forms.Form):
    daily_digest = forms.BooleanField(
        label="E-mail me the daily digest",
        required=False,
        help_text="Every morning after the nightly planning run: the suggestions "
        "due by supplier, late deliveries, stockouts and items at or below the "
        "reorder point.",
    )
