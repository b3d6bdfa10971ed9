from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "task_name",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "task_name"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False
