"""QA lead pages: open disputes, and settings (the sampling policy, who is a QA lead)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from callcenter.errors import ApplicationError, ForbiddenError
from callcenter.roles import Role
from qa.models import SamplingPolicy
from qa.selectors import disputes_open, qa_leads, sampling_policy
from qa.services.common import MANAGE
from qa.services.leads import qa_lead_set
from qa.services.sampling import POLICY_FIELDS, sampling_policy_update
from qa.views.common import any_permission_required, int_or_none, show_errors


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SamplingPolicy
        fields = POLICY_FIELDS
        labels = {"enabled": gettext_lazy("Sample calls automatically (every 10 minutes)")}


@any_permission_required(MANAGE)
def disputes(request: HttpRequest) -> HttpResponse:
    return render(request, "qa/dispute_list.html", {"tab": "disputes", "disputes": disputes_open()})


@any_permission_required(MANAGE)
def settings_page(request: HttpRequest) -> HttpResponse:
    policy = sampling_policy()
    form = PolicyForm(request.POST or None, instance=policy)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sampling_policy_update(actor=request.user, **form.cleaned_data)
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Sampling rules saved."))
                return redirect("qa:settings")
        status = 400
    staff = get_user_model().objects.filter(groups__name=Role.QA.value, is_active=True).order_by("username")
    leads = set(qa_leads().values_list("pk", flat=True))
    context = {"tab": "settings", "form": form, "staff": staff, "leads": leads}
    return render(request, "qa/settings.html", context, status=status)


@any_permission_required(MANAGE)
@require_POST
def lead_toggle(request: HttpRequest) -> HttpResponse:
    user = get_user_model().objects.filter(pk=int_or_none(request.POST.get("user"))).first()
    if user is None:
        messages.error(request, _("No such user."))
        return redirect("qa:settings")
    try:
        qa_lead_set(actor=request.user, user=user, lead=request.POST.get("lead") == "1")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("qa:settings")


urlpatterns = [
    path("disputes/", disputes, name="dispute_list"),
    path("settings/", settings_page, name="settings"),
    path("settings/leads/", lead_toggle, name="lead_toggle"),
]
