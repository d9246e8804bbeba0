"""Admin console pages of telephony: queues (routing settings and history) and IVR flows (list, the
builder, versions with publish and rollback, the Asterisk dialplan). Thin: forms → services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agents.skills import skill_coverage
from callcenter.errors import ApplicationError
from callcenter.form_errors import show_service_errors
from callcenter.permissions import page_permission_required
from telephony.ivr import services as ivr_services
from telephony.ivr.selectors import ivr_dialplan_text, ivr_flow_list, ivr_versions
from telephony.models import IvrFlow, IvrVersion, Queue
from telephony.routing import config_history, queue_create, queue_list, queue_names, queue_update

CONSOLE = "callcenter.use_admin_console"


# --- queues ------------------------------------------------------------------------------------------
class QueueForm(forms.Form):
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    sl_target_percent = forms.IntegerField(
        label=gettext_lazy("Service level target (%)"), min_value=0, max_value=100, initial=80
    )
    sl_threshold_s = forms.IntegerField(
        label=gettext_lazy("Answered within (s)"), min_value=1, max_value=3600, initial=20
    )
    max_wait_s = forms.IntegerField(
        label=gettext_lazy("Maximum wait (s)"),
        min_value=5,
        max_value=24 * 3600,
        required=False,
        help_text=gettext_lazy("Then the call overflows (or is ended with a message). Empty: no limit."),
    )
    overflow_queue = forms.ModelChoiceField(
        label=gettext_lazy("Overflow queue"), queryset=Queue.objects.none(), required=False
    )
    priority = forms.IntegerField(
        label=gettext_lazy("Priority"),
        min_value=1,
        max_value=9,
        initial=5,
        help_text=gettext_lazy("1 (lowest) to 9 (highest): agents in several queues take the highest first."),
    )

    def __init__(self, *args: Any, exclude: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["overflow_queue"].queryset = Queue.objects.exclude(pk=exclude).order_by("name")


class QueueCreateForm(QueueForm):
    name = forms.SlugField(
        label=gettext_lazy("Name"), max_length=64, help_text=gettext_lazy("As the PBX names it.")
    )
    field_order = ["name"]


@page_permission_required(CONSOLE)
def queues(request: HttpRequest) -> HttpResponse:
    form = QueueCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            queue = queue_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Queue %(name)s created.") % {"name": queue.name})
            return redirect("console:queues")
    context = {"queues": list(queue_list()), "coverage": skill_coverage(), "form": form}
    return render(request, "telephony/console_queues.html", context)


@page_permission_required(CONSOLE)
def queue_edit(request: HttpRequest, queue_id: int) -> HttpResponse:
    queue = get_object_or_404(Queue, pk=queue_id)
    initial = {name: getattr(queue, name) for name in QueueForm.base_fields}
    form = QueueForm(request.POST or None, initial=initial, exclude=queue.pk)
    if request.method == "POST" and form.is_valid():
        try:
            queue_update(actor=request.user, queue_id=queue.pk, **form.cleaned_data)
        except ApplicationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Queue %(name)s saved.") % {"name": queue.name})
            return redirect("console:queues")
    history = config_history(object_type="queue", object_id=queue.pk)
    return render(
        request, "telephony/console_queue_edit.html", {"queue": queue, "form": form, "history": history}
    )


# --- IVR flows ---------------------------------------------------------------------------------------
class IvrFlowForm(forms.Form):
    name = forms.SlugField(
        label=gettext_lazy("Name"),
        max_length=30,
        help_text=gettext_lazy("Lower-case letters, digits and -; the dialplan context is ivr-<name>."),
    )
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(
        label=gettext_lazy("Default flow (calls start here; the simulator walks it)"), required=False
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].lower()


@page_permission_required(CONSOLE)
def ivr_flows(request: HttpRequest) -> HttpResponse:
    form = IvrFlowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow = ivr_services.ivr_flow_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request, _("Flow %(name)s created: build it, then publish.") % {"name": flow.name}
            )
            return redirect("console:ivr_builder", flow_id=flow.pk)
    drafts = dict(IvrVersion.objects.filter(status="draft").values_list("flow_id", "revision"))
    return render(
        request,
        "telephony/console_ivr_flows.html",
        {"flows": list(ivr_flow_list()), "drafts": drafts, "form": form},
    )


def _builder_strings() -> dict[str, Any]:
    """The builder's words, translated here so the script needs no catalogue of its own."""
    return {
        "types": {
            "menu": _("Menu"),
            "message": _("Message"),
            "schedule": _("Opening hours"),
            "queue": _("Send to queue"),
            "voicemail": _("Voicemail"),
            "callback": _("Callback request"),
            "hangup": _("Hang up"),
        },
        "days": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "new_menu": _("New submenu"),
        "new_queue": _("New transfer to a queue"),
        "new_message": _("New message"),
        "new_voicemail": _("New voicemail"),
        "new_callback": _("New callback request"),
        "new_hangup": _("New hang-up"),
        "missing": _("missing"),
        "key": _("Key"),
        "keys": _("Keys the caller can press"),
        "goes_to": _("goes to"),
        "add_key": _("Add key"),
        "remove_key": _("Remove key"),
        "edit": _("Edit"),
        "after_wrong_keys": _("After the last wrong key"),
        "after_silence": _("After the last silence"),
        "polite_hangup": _("Say goodbye and hang up"),
        "then": _("Then"),
        "open": _("When open"),
        "closed": _("When closed"),
        "holiday": _("On holidays"),
        "same_as_closed": _("Same as closed"),
        "choose": _("— choose —"),
        "existing": _("Existing nodes"),
        "create": _("Create"),
        "start": _("Start"),
        "unreachable": _("Not reachable from the start"),
        "type": _("Type"),
        "label": _("Label"),
        "prompt": _("Prompt"),
        "prompt_help": _("What the caller hears."),
        "prompt_optional": _("Optional: played first."),
        "timeout": _("Timeout (s)"),
        "retries": _("Retries"),
        "invalid_prompt": _("Prompt after a wrong key"),
        "queue": _("Queue"),
        "no_queues": _("No queues yet"),
        "mailbox": _("Mailbox"),
        "timezone": _("Time zone"),
        "timezone_help": _("IANA name, e.g. Europe/Amsterdam."),
        "opening_hours": _("Opening hours"),
        "from": _("Opens"),
        "to": _("Closes"),
        "remove": _("Remove"),
        "add_hours": _("Add opening hours"),
        "holidays": _("Holidays"),
        "holidays_help": _("One date a line, YYYY-MM-DD."),
        "make_start": _("Make this the start"),
        "delete_node": _("Delete node"),
        "delete_confirm": _("Delete this node? Keys that lead to it will need a new target."),
        "pick_a_node": _("Pick a node in the tree."),
        "problems": _("%(n)s problem(s) stop publishing."),
        "ready": _("Ready to publish."),
        "warnings": _("Warnings"),
        "flow": _("Flow"),
        "unsaved": _("Unsaved changes."),
        "saved": _("Draft saved (revision %(n)s)."),
        "save_failed": _("The draft was not saved."),
        "fix_first": _("Fix the problems first: they are listed under Checks."),
        "published": _("Published version %(n)s."),
        "publish_failed": _("The flow was not published."),
        "network": _("No answer from the server"),
        "loaded": _("Draft revision %(n)s."),
    }


@page_permission_required(CONSOLE)
@require_GET
def ivr_builder(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = get_object_or_404(IvrFlow.objects.select_related("published"), pk=flow_id)
    draft = ivr_services.ivr_draft_open(actor=request.user, flow_id=flow.pk)
    validation = ivr_services.ivr_validate_stored(draft.graph)
    context = {
        "flow": flow,
        "draft": draft,
        "builder": {
            "flow_id": flow.pk,
            "revision": draft.revision,
            "graph": draft.graph,
            "queues": queue_names(),
            "timezone": settings.TIME_ZONE,
            "strings": _builder_strings(),
            "issues": {
                "errors": [issue.as_dict() for issue in validation.errors],
                "warnings": [issue.as_dict() for issue in validation.warnings],
            },
        },
        "versions": list(ivr_versions(flow=flow)),
        "history": config_history(object_type="ivr_flow", object_id=flow.pk, limit=20),
    }
    return render(request, "telephony/console_ivr_builder.html", context)


@page_permission_required(CONSOLE)
@require_POST
def ivr_rollback(request: HttpRequest, flow_id: int, version_id: int) -> HttpResponse:
    try:
        version = ivr_services.ivr_rollback(actor=request.user, flow_id=flow_id, version_id=version_id)
    except ApplicationError as error:
        issues = (error.fields or {}).get("issues") or []
        details = "; ".join(f"{issue['node']}: {issue['message']}" for issue in issues[:3])
        messages.error(request, f"{error.message} {details}".strip())
    else:
        messages.success(
            request, _("Version %(n)d is published (a copy of an earlier one).") % {"n": version.number}
        )
    return redirect("console:ivr_builder", flow_id=flow_id)


@page_permission_required(CONSOLE)
@require_POST
def ivr_make_default(request: HttpRequest, flow_id: int) -> HttpResponse:
    try:
        flow = ivr_services.ivr_flow_make_default(actor=request.user, flow_id=flow_id)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Calls now start in %(name)s.") % {"name": flow})
    return redirect("console:ivr_flows")


@page_permission_required(CONSOLE)
@require_GET
def ivr_dialplan(request: HttpRequest, flow_id: int, version_id: int | None = None) -> HttpResponse:
    """The published (or a given) version as extensions.conf text; ?download=1 saves it as a file."""
    flow = get_object_or_404(IvrFlow, pk=flow_id)
    version = (
        flow.versions.exclude(number=None).filter(pk=version_id).first() if version_id else flow.published
    )
    if version is None:
        raise Http404(_("This flow has no published version yet."))
    response = HttpResponse(ivr_dialplan_text(version=version), content_type="text/plain; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = (
            f'attachment; filename="extensions-ivr-{flow.name}-v{version.number}.conf"'
        )
    return response


urlpatterns = [
    path("queues/", queues, name="queues"),
    path("queues/<int:queue_id>/", queue_edit, name="queue_edit"),
    path("ivr/", ivr_flows, name="ivr_flows"),
    path("ivr/<int:flow_id>/", ivr_builder, name="ivr_builder"),
    path("ivr/<int:flow_id>/default", ivr_make_default, name="ivr_make_default"),
    path("ivr/<int:flow_id>/versions/<int:version_id>/rollback", ivr_rollback, name="ivr_rollback"),
    path("ivr/<int:flow_id>/dialplan", ivr_dialplan, name="ivr_dialplan"),
    path("ivr/<int:flow_id>/versions/<int:version_id>/dialplan", ivr_dialplan, name="ivr_version_dialplan"),
]
