"""IVR flows and prompts stored as data: a flow is YAML checked by the telephony loader; a prompt is a WAV.

`NumberRoute.flow` names an `IvrFlow`. A stored prompt replaces the built-in one of the same id
(`hotline/telephony/prompts/<id>.wav`) or adds a new one; `hotline.ivrdata.engine` hands both to the engine.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from hotline.ivrdata.audio import MAX_PROMPT_BYTES, engine_wav
from hotline.ivrdata.problems import problem_text
from hotline.telephony.ivr.loader import NAME_RE, FlowError, load_flow_yaml
from hotline.telephony.ivr.model import Flow

BUILTIN_PROMPTS = Path(__file__).resolve().parent.parent / "telephony" / "prompts"
PROMPT_UPLOADS = "ivr/prompts"


def builtin_prompt_names() -> set[str]:
    """Ids of the prompts shipped with Hotline (made by scripts/make_prompts.sh)."""
    return {path.stem for path in BUILTIN_PROMPTS.glob("*.wav")}


def known_prompt_names() -> set[str]:
    """Ids a flow may use: the built-in prompts and every uploaded one."""
    return builtin_prompt_names() | set(IvrPrompt.objects.values_list("name", flat=True))


class IvrFlow(models.Model):
    """One IVR flow, written in the YAML the telephony loader reads (docs/telephony.md, "Flows as data")."""

    name = models.SlugField(gettext_lazy("name"), max_length=64, unique=True,
                            help_text=gettext_lazy("The name a number route uses; a flow named “demo” "
                                                   "replaces the built-in demo flow."))
    description = models.CharField(gettext_lazy("description"), max_length=200, blank=True)
    definition = models.TextField(gettext_lazy("definition (YAML)"),
                                  help_text=gettext_lazy("name, start and nodes, as in docs/telephony.md; "
                                                         "the name must be the flow's name above."))
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("IVR flow")
        verbose_name_plural = gettext_lazy("IVR flows")

    def __str__(self) -> str:
        return self.name

    def parse(self) -> Flow:
        """The flow as the engine runs it; raises `FlowError` for a definition the loader refuses."""
        return load_flow_yaml(self.definition)

    def clean(self) -> None:
        try:
            flow = self.parse()
        except FlowError as exc:
            problems = pgettext("between problems", "; ").join(problem_text(problem) for problem in exc.details)
            raise ValidationError({"definition": _("The flow is not valid: %(error)s") % {"error": problems}}) from exc
        if self.name and flow.name != self.name:
            raise ValidationError({"definition": _("The YAML names the flow “%(yaml)s”, not “%(name)s”.")
                                   % {"yaml": flow.name, "name": self.name}})
        missing = sorted(flow.prompt_ids() - known_prompt_names())
        if missing:
            raise ValidationError({"definition": _("These prompts do not exist; upload them first: %(names)s.")
                                   % {"names": ", ".join(missing)}})


def prompt_upload_to(prompt: IvrPrompt, filename: str) -> str:
    """Uploads are kept under MEDIA_ROOT/ivr/prompts/, named after the prompt id."""
    return f"{PROMPT_UPLOADS}/{prompt.name}.wav"


class IvrPrompt(models.Model):
    """An uploaded prompt: 8 kHz, 16-bit, mono WAV (other sample rates of 16-bit mono are converted)."""

    name = models.CharField(
        gettext_lazy("id"), max_length=64, unique=True,
        validators=[RegexValidator(NAME_RE, gettext_lazy("Lower-case letters, digits and “_”, "
                                                         "starting with a letter."))],
        help_text=gettext_lazy("The id flows use; the id of a built-in prompt (e.g. “welcome”) replaces it."))
    text = models.CharField(gettext_lazy("text"), max_length=500, blank=True,
                            help_text=gettext_lazy("What the recording says."))
    file = models.FileField(gettext_lazy("WAV file"), upload_to=prompt_upload_to, max_length=200,
                            help_text=gettext_lazy("8 kHz, 16-bit, mono WAV, at most 60 seconds and 2 MB."))
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("IVR prompt")
        verbose_name_plural = gettext_lazy("IVR prompts")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.file:
            raise ValidationError({"file": _("Upload a WAV file.")})
        if getattr(self.file, "_committed", True):
            return  # the stored file was checked when it was uploaded
        upload = self.file.file
        upload.seek(0)
        try:
            data = engine_wav(upload.read(MAX_PROMPT_BYTES + 1))  # a huge upload is refused unread
        except ValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
        self.file = ContentFile(data, name=f"{self.name or 'prompt'}.wav")  # type: ignore[assignment]
