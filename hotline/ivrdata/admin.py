"""Back office for stored IVR flows and prompts: administrators only (Django's per-model permissions,
which the admin role alone holds, docs/permissions.md).

Every save and delete goes through `hotline.ivrdata.actions`. A flow is written as YAML in the form, or
read from an uploaded .yaml file; a prompt is an uploaded WAV.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.core.admin import AuditedAdmin
from hotline.ivrdata.actions import do_delete_flow, do_delete_prompt, do_save_flow, do_save_prompt
from hotline.ivrdata.models import IvrFlow, IvrPrompt, builtin_prompt_names

MAX_YAML_BYTES = 256 * 1024


class IvrFlowForm(forms.ModelForm):  # type: ignore[type-arg]
    """The flow's YAML, typed in or taken from an uploaded file (which then replaces what is typed)."""

    yaml_file = forms.FileField(label=gettext_lazy("YAML file"), required=False,
                                help_text=gettext_lazy("Optional: a .yaml file whose text replaces the definition."))

    class Meta:
        model = IvrFlow
        fields = ("name", "description", "definition", "yaml_file")
        widgets = {"definition": forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["definition"].required = False  # a file may supply it; the model still requires it

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("yaml_file")
        if upload is not None:
            data["definition"] = self._read(upload)
            self.instance.definition = data["definition"]
        elif not data.get("definition"):
            self.add_error("definition", _("Write the flow here or upload a YAML file."))
        return data

    @staticmethod
    def _read(upload: Any) -> str:
        if upload.size > MAX_YAML_BYTES:
            raise ValidationError({"yaml_file": _("The file is larger than %(max)d KB.")
                                   % {"max": MAX_YAML_BYTES // 1024}})
        try:
            return str(upload.read().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValidationError({"yaml_file": _("The file is not UTF-8 text.")}) from exc


class ActionDeleteMixin(AuditedAdmin):
    """Deletes through an action that may refuse; the refusal is shown instead of an error page."""

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            try:
                with transaction.atomic():
                    self.delete_model(request, obj)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)


@admin.register(IvrFlow)
class IvrFlowAdmin(ActionDeleteMixin):
    """IVR flows by name; a number route names one. The YAML is checked as the engine loads it."""

    form = IvrFlowForm
    list_display = ("name", "description", "updated_at")
    search_fields = ("name", "description")
    readonly_fields = ("updated_at",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_flow(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_flow(obj, actor=request.user)


@admin.register(IvrPrompt)
class IvrPromptAdmin(ActionDeleteMixin):
    """Uploaded prompts; one with the id of a built-in prompt replaces it on every flow."""

    list_display = ("name", "text", "replaces_builtin", "uploaded_at")
    search_fields = ("name", "text")
    readonly_fields = ("uploaded_at",)

    @admin.display(boolean=True, description=gettext_lazy("replaces a built-in prompt"))
    def replaces_builtin(self, obj: IvrPrompt) -> bool:
        return obj.name in builtin_prompt_names()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_prompt(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_prompt(obj, actor=request.user)
