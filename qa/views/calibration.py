"""Calibration pages: QA leads open a session on a call for several analysts; the results page
shows each score and the spread per question once the viewer has submitted their own (blind)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from qa.models import Scorecard
from qa.selectors import calibration_get_for_user, calibration_list, calibration_results, call_get, qa_staff
from qa.services.calibration import calibration_close, calibration_create
from qa.services.common import MANAGE
from qa.views.common import STAFF, any_permission_required, domain_errors_to_http, int_or_none, show_errors


class CalibrationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120, required=False)
    scorecard = forms.ModelChoiceField(label=gettext_lazy("Scorecard"), queryset=Scorecard.objects.none())
    evaluators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Evaluators"),
        queryset=Scorecard.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scorecard"].queryset = Scorecard.objects.filter(
            active=True, current_version__isnull=False
        )
        self.fields["evaluators"].queryset = qa_staff()
        self.fields["evaluators"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )


@any_permission_required(*STAFF)
def calibrations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "qa/calibration_list.html",
        {
            "tab": "calibration",
            "sessions": calibration_list(request.user),
            "is_lead": request.user.has_perm(MANAGE),
        },
    )


@any_permission_required(MANAGE)
def calibration_new(request: HttpRequest) -> HttpResponse:
    call_id = int_or_none(request.GET.get("call") or request.POST.get("call"))
    if call_id is None:
        messages.info(request, _("Pick the call to calibrate on from the call search."))
        return redirect("qa:calls")
    call = domain_errors_to_http(lambda: call_get(call_id))
    form = CalibrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = calibration_create(
                    actor=request.user,
                    call_id=call.pk,
                    scorecard_id=form.cleaned_data["scorecard"].pk,
                    evaluator_ids=[user.pk for user in form.cleaned_data["evaluators"]],
                    title=form.cleaned_data["title"],
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                show_errors(form, error)
            else:
                messages.success(
                    request, _("Calibration session opened; each evaluator has it in their queue.")
                )
                return redirect("qa:calibration_detail", calibration_id=session.pk)
        status = 400
    return render(
        request, "qa/calibration_form.html", {"tab": "calibration", "form": form, "call": call}, status=status
    )


@any_permission_required(*STAFF)
def calibration_detail(request: HttpRequest, calibration_id: int) -> HttpResponse:
    session = domain_errors_to_http(
        lambda: calibration_get_for_user(user=request.user, calibration_id=calibration_id)
    )
    if request.method == "POST":
        try:
            calibration_close(actor=request.user, calibration_id=session.pk)
        except ForbiddenError:
            raise PermissionDenied from None
        except ConflictError as error:
            messages.error(request, error.message)
        return redirect("qa:calibration_detail", calibration_id=session.pk)
    results = calibration_results(user=request.user, session=session)
    own = next((e for e in results.evaluations if e.evaluator_id == request.user.pk), None)
    context = {
        "tab": "calibration",
        "session": session,
        "results": results,
        "own": own,
        "is_lead": request.user.has_perm(MANAGE),
    }
    return render(request, "qa/calibration_detail.html", context)


urlpatterns = [
    path("calibrations/", calibrations, name="calibration_list"),
    path("calibrations/new/", calibration_new, name="calibration_new"),
    path("calibrations/<int:calibration_id>/", calibration_detail, name="calibration_detail"),
]
