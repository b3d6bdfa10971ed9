"""The admin's import form."""

from pathlib import Path
from uuid import uuid4

from django import forms
from django.conf import settings
from import_export.forms import ImportForm

from .readers import SUPPORTED_EXTENSIONS


def new_key() -> str:
    return uuid4().hex


class ImportFileForm(ImportForm):
    """The admin's import form, refusing files too large for a request or of a
    type we do not read before anything is parsed. Each rendering carries a new
    ``upload_key``: submitting the same form twice queues the file once."""

    upload_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=32, initial=new_key
    )

    def submission_key(self) -> str:
        """The key of this submission (a fresh one if the form sent none)."""
        key = self.cleaned_data.get("upload_key") or new_key()
        return f"upload:{key}"

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        extension = Path(upload.name).suffix.lower()
        if extension not in SUPPORTED_EXTENSIONS:
            raise forms.ValidationError(
                f"Unsupported file type '{extension or upload.name}': "
                "upload a .csv or .xlsx file."
            )
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; uploads are limited "
                f"to {limit / 1_048_576:.0f} MB. Split it, or import it on the "
                "server with `manage.py import_data`."
            )
        return upload
