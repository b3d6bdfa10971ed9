from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inventory_site.charts import pareto_chart, replay_chart, tradeoff_chart
from inventory_site.http import redirect_back, staff_only
from items.forms import MovementForm
from items.models import ClassificationRun
from items.selectors import items_for_list
from suppliers.models import DeliveryLine, Supplier
from suppliers.services import DeliveryError

from .backtest_runner import BacktestError, backtest_item_series, item_replay
from .forms import BacktestForm
from .generation import planning_params
from .models import Backtest, Suggestion
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


def item_detail(request, sku):
    item = get_object_or_404(items_for_list(), sku=sku)
    context = {"item": item, "form": MovementForm(), **item_page(item)}
    replay = item_replay(item)
    if replay:
        context["replay"] = replay["run"]
        context["replay_chart"] = replay_chart(
            start=replay["start"], series=replay["series"]
        )
    return render(request, "replenishment/item_detail.html", context)


def suggestion_list(request):
    """Grouped by supplier; ``?supplier=CODE`` lists one supplier's in full."""
    code = request.GET.get("supplier")
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
            },
        )
    groups, page = suggestions_by_supplier(page=request.GET.get("page"))
    _add_due(groups)
    return render(
        request,
        "replenishment/suggestion_list.html",
        {"groups": groups, "page": page, "query": "", "today": timezone.localdate()},
    )


def _add_due(groups) -> None:
    due = suggestions_due_counts(g["supplier"].pk for g in groups)
    for group in groups:
        group["due"] = due.get(group["supplier"].pk, 0)


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
                supplier=supplier, user=request.user
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
        messages.error(request, f"Nothing accepted: {error}")
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


def classification_run_detail(request, pk):
    run = get_object_or_404(ClassificationRun, pk=pk)
    groups = [("abc", "ABC"), ("xyz", "XYZ"), ("policy", "Policy")]
    return render(
        request,
        "replenishment/classification_run_detail.html",
        {"run": run, "groups": groups},
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
