from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from import_export.admin import ImportExportModelAdmin

from .forms import ImportFileForm
from .import_runs import (
    ImportAlreadyApplied,
    import_run_claim,
    import_run_record,
    import_run_start,
)
from .imports import (
    ADMIN_FORMATS,
    ImportFileError,
    TooManyRows,
    count_rows,
    result_issues,
)
from .models import (
    BillOfMaterialsLine,
    ClassificationRun,
    ImportRun,
    Item,
    ItemClassChange,
    PlannedDemand,
    StockMovement,
    UnmetDemand,
)
from .resources import ItemResource, MovementResource, PlannedDemandResource

ERRORS_IN_MESSAGE = 10  # errors listed when a confirmed import fails after all


class BulkImportAdmin(ImportExportModelAdmin):
    """Import and export through our resources (CSV and XLSX, all or nothing).

    Importing needs the model's explicit ``import_<model>`` permission (plain
    staff may not). A file of up to ``IMPORT_BACKGROUND_ROWS`` rows gets the
    library's dry-run preview and confirm step; a larger one is handed to a
    Celery worker at once and the admin is sent to the run's progress page, so
    no request works for minutes (the request reads at most
    ``IMPORT_BACKGROUND_ROWS`` + 1 rows to decide, and counts CSV records
    without parsing them further).

    Each upload is imported at most once: confirming a preview claims the
    preview's key (``import_run_claim``) in the import's transaction, and a
    background upload carries the upload form's key, so a double click, a
    resent form or a second tab gets "already imported" and writes nothing.
    """

    formats = ADMIN_FORMATS
    import_form_class = ImportFileForm
    import_template_name = "admin/items/bulk_import.html"

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid():
                try:
                    run = self.import_in_background(request, form)
                except ImportAlreadyApplied as already:
                    self.message_user(request, str(already), messages.WARNING)
                    if already.run is not None:
                        return redirect("admin:items_importrun_change", already.run.pk)
                    return redirect(self.changelist_url())
                if run is not None:
                    return redirect("admin:items_importrun_change", run.pk)
        return super().import_action(request, **kwargs)

    def import_in_background(self, request, form) -> ImportRun | None:
        """Queue a large file; None when it is small (or unreadable: the usual
        path then shows the problem on the form)."""
        upload = form.cleaned_data["import_file"]
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        data = upload.read()
        upload.seek(0)
        try:
            input_format.create_dataset(data, max_rows=settings.IMPORT_BACKGROUND_ROWS)
        except TooManyRows:
            pass  # a large file: for a worker
        except ImportFileError:
            return None  # shown on the form by the usual path
        else:
            return None
        extension = input_format.get_extension()
        try:
            rows = count_rows(data, extension)
        except ImportFileError as error:
            form.add_error("import_file", str(error))
            return None
        run = import_run_start(
            resource_class=self.choose_import_resource_class(form, request),
            model_label=str(self.opts.verbose_name_plural),
            file_name=upload.name,
            file_format=extension,
            content=data,
            rows_total=rows or 0,
            user=request.user,
            upload_key=form.submission_key(),
        )
        self.message_user(
            request,
            (f"{rows:,} rows" if rows else "A large file")
            + ": a background worker imports them now, all or nothing. "
            "This page follows it.",
        )
        return run

    def add_data_read_fail_error_to_form(self, form, e):
        """Our readers' own message ("not UTF-8 text", "no data rows", …), not
        the library's generic "… encountered while trying to read file"."""
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def changelist_url(self) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
            current_app=self.admin_site.name,
        )

    def process_import(self, request, **kwargs):
        """Confirm a preview: claim its key, import, record the run — one
        transaction, so the file is applied at most once."""
        if request.method != "POST" or not self.has_import_permission(request):
            return super().process_import(request, **kwargs)
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)
        data = confirm_form.cleaned_data
        input_format = self.get_import_formats()[int(data["format"])]()
        tmp_storage = self.get_tmp_storage_class()(
            name=data["import_file_name"],
            encoding=None,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        problem = None
        with transaction.atomic():
            try:
                run = import_run_claim(
                    upload_key=f"preview:{data['import_file_name']}"[:64],
                    resource_class=self.choose_import_resource_class(
                        confirm_form, request
                    ),
                    model_label=str(self.opts.verbose_name_plural),
                    file_name=data["original_file_name"],
                    file_format=input_format.get_extension(),
                    user=request.user,
                )
            except ImportAlreadyApplied as already:
                self.message_user(request, str(already), messages.WARNING)
                return redirect(self.changelist_url())
            content = tmp_storage.read()
            if content is None:
                problem = [
                    "The preview has expired or was already used; "
                    "upload the file again."
                ]
            else:
                try:
                    dataset = input_format.create_dataset(content)
                except ImportFileError as error:
                    problem = [str(error)]
                else:
                    result = self.process_dataset(
                        dataset, confirm_form, request, **kwargs
                    )
                    problem = result_issues(result)
                    if not problem:
                        import_run_record(run=run, result=result)
            if problem:
                transaction.set_rollback(True)  # the claim too: it may be retried
        if problem:
            shown = ERRORS_IN_MESSAGE
            self.message_user(
                request,
                "Nothing was imported: "
                + "; ".join(problem[:shown])
                + (
                    f" (and {len(problem) - shown} more)"
                    if len(problem) > shown
                    else ""
                ),
                messages.ERROR,
            )
            return redirect(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import"
            )
        tmp_storage.remove()
        return self.process_result(result, request)


class BillOfMaterialsInline(admin.TabularInline):
    """The components one unit of this item is made of (one level)."""

    model = BillOfMaterialsLine
    fk_name = "product"
    raw_id_fields = ["component"]
    extra = 0
    verbose_name = "component"
    verbose_name_plural = "bill of materials (components per unit)"


@admin.register(Item)
class ItemAdmin(BulkImportAdmin):
    resource_classes = [ItemResource]
    inlines = [BillOfMaterialsInline]

    def import_action(self, request, **kwargs):
        """The preview also lists the import's warnings (e.g. a unit cost far
        outside the catalogue's range) as messages above the table."""
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        for warning in getattr(result, "import_warnings", ()):
            self.message_user(request, warning, level=messages.WARNING)
        return response

    list_display = [
        "sku",
        "name",
        "unit",
        "unit_cost",
        "on_hand",
        "abc_class",
        "xyz_class",
        "demand_pattern",
        "policy",
        "policy_override",
        "jit_pilot",
        "reorder_point",
        "active",
    ]
    list_filter = [
        "abc_class", "xyz_class", "demand_pattern", "policy", "jit_pilot", "active",
    ]  # fmt: skip
    search_fields = ["sku", "name"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "on_hand",
        "abc_class",
        "xyz_class",
        "demand_pattern",
        "policy",
        "annual_value",
        "abc_cumulative_share",
        "avg_daily_demand",
        "daily_demand_std",
        "reorder_point",
        "planned_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["sku", "name", "unit", "unit_cost", "active"]}),
        (
            "Planning",
            {
                "fields": [
                    "annual_demand",
                    "jit_pilot",
                    "policy_override",
                    "safety_time_days",
                    "shelf_life_days",
                    "production_lead_time_days",
                ]
            },
        ),
        (
            "Stock and classification (maintained by the ledger and the nightly run)",
            {
                "fields": [
                    "on_hand",
                    "abc_class",
                    "xyz_class",
                    "demand_pattern",
                    "policy",
                    "annual_value",
                    "abc_cumulative_share",
                    "avg_daily_demand",
                    "daily_demand_std",
                    "reorder_point",
                    "planned_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]


@admin.register(PlannedDemand)
class PlannedDemandAdmin(BulkImportAdmin):
    """Known future demand; import ``sku,date,quantity[,status,reference]`` (a
    re-imported reference replaces its lines)."""

    resource_classes = [PlannedDemandResource]
    list_display = ["date", "item", "quantity", "status", "reference", "source"]
    list_filter = ["status", "source", "date"]
    search_fields = ["item__sku", "reference"]
    list_select_related = ["item"]
    date_hierarchy = "date"
    raw_id_fields = ["item"]


@admin.register(StockMovement)
class StockMovementAdmin(BulkImportAdmin):
    """The ledger is append-only: movements are never edited or deleted here
    (an import appends them through the ledger)."""

    resource_classes = [MovementResource]

    list_display = [
        "occurred_at", "item", "kind", "quantity", "reference", "note", "created_by"
    ]  # fmt: skip
    list_filter = ["kind", "occurred_at"]
    search_fields = ["item__sku", "item__name", "note", "reference"]
    list_select_related = ["item", "created_by"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["item", "delivery_line"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(UnmetDemand)
class UnmetDemandAdmin(admin.ModelAdmin):
    """Requests that found no stock. Append-only like the ledger: recorded from
    the item page, the API (``/api/v1/unmet-demand/``) or a refused issue, never
    edited or deleted here."""

    list_display = [
        "occurred_at", "item", "quantity", "reason", "reference", "note", "created_by"
    ]  # fmt: skip
    list_filter = ["reason", "occurred_at"]
    search_fields = ["item__sku", "item__name", "reference", "note"]
    list_select_related = ["item", "created_by"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["item"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class ItemClassChangeInline(admin.TabularInline):
    model = ItemClassChange
    extra = 0
    can_delete = False
    raw_id_fields = ["item"]
    readonly_fields = [
        "item",
        "changed_at",
        "old_abc_class",
        "new_abc_class",
        "old_xyz_class",
        "new_xyz_class",
        "old_policy",
        "new_policy",
    ]
    max_num = 0
    show_change_link = False


@admin.register(ClassificationRun)
class ClassificationRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "items_total",
        "items_changed",
        "duration_seconds",
    ]
    list_filter = ["status"]
    readonly_fields = [
        "created_at",
        "started_at",
        "finished_at",
        "status",
        "parameters",
        "counts",
        "items_total",
        "items_changed",
        "duration_seconds",
        "error",
        "requested_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ItemClassChange)
class ItemClassChangeAdmin(admin.ModelAdmin):
    list_display = [
        "changed_at",
        "item",
        "old_abc_class",
        "new_abc_class",
        "old_xyz_class",
        "new_xyz_class",
        "old_policy",
        "new_policy",
    ]
    list_filter = ["new_abc_class", "new_xyz_class", "new_policy"]
    search_fields = ["item__sku", "item__name"]
    list_select_related = ["item"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Admin imports: background runs and confirmed previews. Each run's page
    shows its progress (refreshing while it works) and its outcome; users see
    their own runs, superusers all."""

    list_display = [
        "created_at",
        "model_label",
        "file_name",
        "rows_total",
        "status",
        "error_count",
        "requested_by",
    ]
    list_filter = ["status", "model_label"]
    list_select_related = ["requested_by"]
    exclude = ["content"]

    def get_queryset(self, request):
        runs = super().get_queryset(request).defer("content")
        if request.user.is_superuser:
            return runs
        return runs.filter(requested_by=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return obj is None or user.is_superuser or obj.requested_by_id == user.pk

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and (obj is None or obj.finished)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(run),
            "run": run,
            "more_errors": max(run.error_count - len(run.errors), 0),
            "target_url": self.target_changelist(run),
        }
        return TemplateResponse(request, "admin/items/importrun/progress.html", context)

    @staticmethod
    def target_changelist(run: ImportRun) -> str:
        """The admin list of what the run imports into."""
        try:
            opts = import_string(run.resource)._meta.model._meta
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except (ImportError, AttributeError, NoReverseMatch):
            return ""
