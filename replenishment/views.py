from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inventory_site import formatting
from inventory_site.charts import pareto_chart, replay_chart, tradeoff_chart
from inventory_site.formatting import prefixed
from inventory_site.http import redirect_back, staff_only
from items.exports import ExportTable, export_format, export_links, export_response
from items.forms import MovementForm, UnmetDemandForm
from items.models import ClassificationRun, Policy, XyzClass
from items.selectors import items_for_list
from suppliers.models import DeliveryLine, Supplier
from suppliers.services import DeliveryError

from .backtest_runner import BacktestError, backtest_item_series, item_replay
from .digest import digest_subscription_set
from .forms import BacktestForm, DigestForm
from .generation import planning_params
from .models import Backtest, DigestSubscription, Suggestion
from .pages import dashboard, item_page
from .selectors import suggestions_by_supplier, suggestions_due_counts, suggestions_open
from .services import (
    SuggestionError,
    backtest_request,
    classification_run_request,
    draft_line_remove,
    suggestion_dismiss,
    suggestions_accept,
    suggestions_accept_due,
)


def overview(request):
    """The dashboard: stock health, suggestions and supplier risk at a glance."""
    context = dashboard()
    context["pareto_chart"] = pareto_chart(context["pareto"])
    return render(request, "replenishment/overview.html", context)


MOVEMENT_EXPORT_HEADERS = [
    "sku", "occurred_at", "kind", "quantity", "unit", "reference", "note",
    "delivery_line", "created_by",
]  # fmt: skip


def item_detail(request, sku):
    """The item page; ``export=csv|xlsx`` downloads all of its movements."""
    item = get_object_or_404(items_for_list(), sku=sku)
    if export_format(request):
        movements = item.movements.select_related("created_by").order_by(
            "-occurred_at", "-pk"
        )
        return export_response(
            request,
            ExportTable(
                name=f"movements-{item.sku}",
                headers=MOVEMENT_EXPORT_HEADERS,
                rows=(
                    [
                        item.sku,
                        m.occurred_at,
                        m.kind,
                        m.quantity,
                        item.unit,
                        m.reference,
                        m.note,
                        m.delivery_line_id,
                        m.created_by.username if m.created_by else "",
                    ]
                    for m in movements.iterator(chunk_size=2000)
                ),  # fmt: skip
            ),
        )
    context = {
        "item": item,
        "form": MovementForm(),
        "exports": export_links(request),
        "unmet_form": UnmetDemandForm(prefix=UnmetDemandForm.PREFIX),
        **item_page(item),
    }
    replay = item_replay(item)
    if replay:
        context["replay"] = replay["run"]
        context["replay_chart"] = replay_chart(
            start=replay["start"], series=replay["series"]
        )
    return render(request, "replenishment/item_detail.html", context)


SUGGESTION_EXPORT_HEADERS = [
    "supplier", "sku", "name", "quantity", "unit", "order_by", "expected_arrival",
    "policy", "due", "single_source_risk", "switched_source", "reason",
]  # fmt: skip


def _suggestions_export(request, suggestions):
    today = timezone.localdate()
    return export_response(
        request,
        ExportTable(
            name="suggestions",
            headers=SUGGESTION_EXPORT_HEADERS,
            rows=(
                [
                    s.supplier.code,
                    s.item.sku,
                    s.item.name,
                    s.quantity,
                    s.item.unit,
                    s.order_by,
                    s.expected_arrival,
                    s.policy,
                    s.order_by <= today,
                    s.single_source_risk,
                    s.switched_source,
                    s.reason,
                ]
                for s in suggestions.iterator(chunk_size=2000)
            ),  # fmt: skip
        ),
    )


def suggestion_list(request):
    """Grouped by supplier; ``?supplier=CODE`` lists one supplier's in full;
    ``export=csv|xlsx`` downloads every open suggestion (of that supplier)."""
    code = request.GET.get("supplier")
    if export_format(request):
        suggestions = suggestions_open()
        if code:
            suggestions = suggestions.filter(supplier__code=code)
        return _suggestions_export(request, suggestions)
    if code:
        supplier = get_object_or_404(Supplier, code=code)
        page = Paginator(
            suggestions_open().filter(supplier=supplier),
            100,
            allow_empty_first_page=True,
        ).get_page(request.GET.get("page"))
        groups = [
            {
                "supplier": supplier,
                "suggestions": page.object_list,
                "total": page.paginator.count,
            }
        ]
        query = f"supplier={code}"
        _add_due(groups)
        return render(
            request,
            "replenishment/suggestion_list.html",
            {
                "groups": groups,
                "page": page,
                "query": query,
                "one_supplier": True,
                "today": timezone.localdate(),
                "exports": export_links(request),
            },
        )
    groups, page = suggestions_by_supplier(page=request.GET.get("page"))
    _add_due(groups)
    return render(
        request,
        "replenishment/suggestion_list.html",
        {
            "groups": groups,
            "page": page,
            "query": "",
            "today": timezone.localdate(),
            "exports": export_links(request),
        },
    )


def _add_due(groups) -> None:
    due = suggestions_due_counts(g["supplier"].pk for g in groups)
    for group in groups:
        group["due"] = due.get(group["supplier"].pk, 0)
        group["early"] = group["total"] - group["due"]


def _posted_quantities(request, ids) -> tuple[dict[int, Decimal], list[str]]:
    """``quantity-<id>`` fields of the posted suggestions: a changed quantity per
    id (empty fields keep the suggested one), and the errors of unreadable ones."""
    quantities, errors = {}, []
    for pk in ids:
        raw = request.POST.get(f"quantity-{pk}", "").strip()
        if not raw:
            continue
        try:
            quantities[pk] = Decimal(raw)
        except InvalidOperation:
            errors.append(f"'{raw}' is not a quantity.")
    return quantities, errors


@require_POST
def suggestions_accept_view(request):
    """Accept suggestions into each supplier's draft: the row's own button
    (``only``), the checked ones (``suggestion``), or all of a supplier's due ones
    (``due_supplier``); ``quantity-<id>`` fields change quantities."""
    staff_only(request)
    due_code = request.POST.get("due_supplier", "")
    try:
        if due_code:
            supplier = get_object_or_404(Supplier, code=due_code)
            delivery, count = suggestions_accept_due(
                supplier=supplier,
                user=request.user,
                include_early=request.POST.get("include_early") in ("1", "on"),
            )
            deliveries = [delivery]
        else:
            only = request.POST.get("only", "")
            ids = (
                [int(only)]
                if only.isdigit()
                else [
                    int(pk) for pk in request.POST.getlist("suggestion") if pk.isdigit()
                ]
            )
            quantities, errors = _posted_quantities(request, ids)
            if errors:
                raise SuggestionError(" ".join(errors), code="invalid_quantity")
            count = len(ids)
            deliveries = suggestions_accept(
                suggestions=Suggestion.objects.filter(pk__in=ids),
                quantities=quantities,
                user=request.user,
            )
    except SuggestionError as error:
        messages.error(request, prefixed("Nothing accepted", error))
    else:
        refs = ", ".join(d.reference for d in deliveries)
        messages.success(
            request,
            f"Accepted {count} suggestion(s) into draft deliveries {refs}.",
        )
    return redirect_back(request, "suggestion_list")


@require_POST
def draft_line_remove_view(request, pk):
    """Remove a line from a draft; its suggestion is open again."""
    staff_only(request)
    line = get_object_or_404(
        DeliveryLine.objects.select_related("delivery", "item"), pk=pk
    )
    try:
        reopened = draft_line_remove(line=line, user=request.user)
    except DeliveryError as error:
        messages.error(request, str(error))
    else:
        again = " Its suggestion is open again." if reopened else ""
        messages.success(request, f"Removed {line.item.sku} from the draft.{again}")
    return redirect("delivery_detail", reference=line.delivery.reference)


@require_POST
def suggestion_dismiss_view(request, pk):
    staff_only(request)
    suggestion = get_object_or_404(Suggestion.objects.select_related("item"), pk=pk)
    try:
        suggestion = suggestion_dismiss(suggestion=suggestion, user=request.user)
    except SuggestionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Dismissed the suggestion for {suggestion.item.sku}; no new one "
            f"before {suggestion.snoozed_until:%d %b %Y}.",
        )
    return redirect_back(request, "suggestion_list")


@require_POST
def classification_run_create(request):
    """Reclassify now (superusers): start a background run, show its status."""
    if not request.user.is_superuser:
        raise PermissionDenied("Only administrators may start a classification run.")
    run = classification_run_request(requested_by=request.user)
    messages.success(request, "Classification started in the background.")
    return redirect("classification_run_detail", pk=run.pk)


ABC_LABELS = [
    ("A", "A — most of the annual value"),
    ("B", "B — the middle"),
    ("C", "C — the long tail"),
]
XYZ_LABELS = [*XyzClass.choices, ("unknown", "Unknown (under 8 weeks of history)")]
RUN_GROUPS = [
    ("abc", "ABC class", ABC_LABELS),
    ("xyz", "XYZ pattern", XYZ_LABELS),
    ("policy", "Policy", Policy.choices),
]


def classification_run_detail(request, pk):
    """A run's status and, once done, its items per class and policy under their
    names (the stored counts are keyed by code)."""
    run = get_object_or_404(ClassificationRun, pk=pk)
    groups = [
        {
            "label": title,
            "rows": [
                (formatting.label(code, choices), n)
                for code, n in (run.counts or {}).get(key, {}).items()
            ],
        }
        for key, title, choices in RUN_GROUPS
        if isinstance((run.counts or {}).get(key), dict)
    ]
    return render(
        request,
        "replenishment/classification_run_detail.html",
        {"run": run, "groups": groups},
    )


def digest_settings(request):
    """The signed-in user's daily digest e-mail: on or off."""
    subscription = DigestSubscription.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = DigestForm(request.POST)
        if form.is_valid():
            on = form.cleaned_data["daily_digest"]
            digest_subscription_set(user=request.user, daily_digest=on)
            messages.success(
                request,
                "You will get the daily digest by e-mail."
                if on
                else "The daily digest is off.",
            )
            return redirect("digest_settings")
    else:
        form = DigestForm(
            initial={"daily_digest": bool(subscription and subscription.daily_digest)}
        )
    return render(
        request,
        "replenishment/digest_settings.html",
        {"form": form, "subscription": subscription},
    )


def _superuser_only(request) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("Only administrators may run backtests.")


def backtest_list(request):
    """Backtests (superusers): start one with current or changed parameters."""
    _superuser_only(request)
    params = planning_params()
    if request.method == "POST":
        form = BacktestForm(request.POST, params=params)
        if form.is_valid():
            try:
                run = backtest_request(
                    days=form.cleaned_data["days"],
                    seed=form.cleaned_data["seed"],
                    skus=form.skus() or None,
                    overrides=form.overrides(),
                    requested_by=request.user,
                )
            except BacktestError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Backtest started in the background.")
                return redirect("backtest_detail", pk=run.pk)
    else:
        form = BacktestForm(params=params)
    runs = Backtest.objects.select_related("requested_by")[:20]
    return render(
        request,
        "replenishment/backtest_list.html",
        {"form": form, "runs": runs, "params": params},
    )


def backtest_detail(request, pk):
    _superuser_only(request)
    run = get_object_or_404(Backtest, pk=pk)
    context = {"run": run}
    report = run.results
    if report:
        by_class = [(f"class {k}", v) for k, v in report["by_class"].items()]
        by_pattern = [(f"pattern {k}", v) for k, v in report["by_pattern"].items()]
        context["rows"] = _result_rows([("overall", report), *by_class])
        context["pattern_rows"] = _result_rows(by_pattern)
        context["chart"] = tradeoff_chart(
            [("all", report), *((k, v) for k, v in report["by_class"].items())]
        )
        sku = request.GET.get("sku", "").strip()[:64]
        if sku:
            context["sku"] = sku
            replayed = backtest_item_series(run=run, sku=sku)
            context["item_chart"] = replayed and replay_chart(**replayed)
    return render(request, "replenishment/backtest_detail.html", context)


def _result_rows(groups) -> list[dict]:
    rows = []
    for label, group in groups:
        for n, run in enumerate(("policy", "baseline", "actual")):
            kpis = group[run]
            rows.append(
                {
                    "label": label if n == 0 else "",
                    "run": run,
                    "fill_pct": 100 * kpis["fill_rate"],
                    "csl_pct": 100 * kpis["cycle_service_level"],
                    **kpis,
                }
            )
    return rows
