"""QA work pages: my queue (and the team's load for leads), call search to pick any call, and the
list of evaluations each role may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter.errors import ApplicationError
from qa.models import FINAL_STATUSES, EvaluationStatus, Scorecard
from qa.selectors import (
    call_search,
    coaching_for_agent,
    disputes_open,
    evaluation_list,
    qa_staff,
    queue_overview,
    work_queue,
)
from qa.services.common import COACH, MANAGE
from qa.services.evaluations import evaluation_start
from qa.services.sampling import calls_sample
from qa.views.common import (
    ANYONE_IN_QA,
    STAFF,
    any_permission_required,
    date_or_none,
    domain_errors_to_http,
    int_or_none,
)
from telephony.models import Queue
from tickets.selectors.calls import dispositions_active

PAGE_SIZE = 50


def _keyset(
    request: HttpRequest, queryset: Any, params: dict[str, Any], url_name: str
) -> tuple[list, str | None]:
    """One page of `queryset` (ordered by -id) before the `before` id, and the link to the next."""
    before = int_or_none(request.GET.get("before"))
    if before:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset[: PAGE_SIZE + 1])
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        query = {k: v for k, v in params.items() if v not in (None, "")} | {"before": rows[-1].pk}
        older = f"{reverse(url_name)}?{urlencode(query)}"
    return rows, older


@any_permission_required(*STAFF)
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    since = timezone.now() - timedelta(days=7)
    mine = user.qa_evaluations_assigned.filter(calibration__isnull=True, submitted_at__gte=since)
    stats = mine.aggregate(n=Count("id"), avg=Avg("score"))
    context: dict[str, Any] = {"items": work_queue(user), "week": stats, "is_lead": user.has_perm(MANAGE)}
    if context["is_lead"]:
        context["staff"], context["unassigned"] = queue_overview()
        context["disputes"] = len(disputes_open())
    return render(request, "qa/queue.html", context)


@any_permission_required(MANAGE)
@require_POST
def sample_now(request: HttpRequest) -> HttpResponse:
    result = calls_sample(now=timezone.now())
    messages.success(
        request,
        _("Sampling picked %(n)s call(s); %(unassigned)s left without an evaluator.")
        % {"n": result.created, "unassigned": result.unassigned},
    )
    return redirect("qa:queue")


# --- call search -----------------------------------------------------------------------------------
def _call_filters(request: HttpRequest) -> tuple[dict[str, Any], dict[str, str]]:
    """(typed filters for the selector, the raw text to put back in the form)."""
    raw = {
        name: request.GET.get(name, "").strip()
        for name in (
            "agent",
            "queue",
            "date_from",
            "date_to",
            "disposition",
            "min_talk",
            "max_talk",
            "recorded",
            "csat_max",
            "evaluated",
            "q",
        )
    }
    filters: dict[str, Any] = {
        "agent": int_or_none(raw["agent"]),
        "queue": int_or_none(raw["queue"]),
        "date_from": date_or_none(raw["date_from"]),
        "date_to": date_or_none(raw["date_to"]),
        "disposition": raw["disposition"][:40],
        "csat_max": int_or_none(raw["csat_max"]),
        "q": raw["q"][:128],
    }
    for name, key in (("min_talk", "min_talk_s"), ("max_talk", "max_talk_s")):
        minutes = int_or_none(raw[name])
        filters[key] = minutes * 60 if minutes is not None else None
    filters["recorded"] = {"yes": True, "no": False}.get(raw["recorded"])
    filters["evaluated"] = {"yes": True, "no": False}.get(raw["evaluated"])
    return filters, raw


@any_permission_required(*STAFF)
def calls(request: HttpRequest) -> HttpResponse:
    filters, raw = _call_filters(request)
    rows, older = _keyset(request, call_search(filters=filters), raw, "qa:calls")
    context = {
        "calls": rows,
        "older": older,
        "raw": raw,
        "agents": get_user_model()
        .objects.filter(groups__name="agent", is_active=True)
        .order_by("first_name", "username"),
        "queues": Queue.objects.all(),
        "dispositions": dispositions_active(),
        "scorecards": Scorecard.objects.filter(active=True, current_version__isnull=False),
        "is_lead": request.user.has_perm(MANAGE),
    }
    return render(request, "qa/calls.html", context)


@any_permission_required(*STAFF)
@require_POST
def call_evaluate(request: HttpRequest, call_id: int) -> HttpResponse:
    scorecard_id = int_or_none(request.POST.get("scorecard"))
    try:
        evaluation = domain_errors_to_http(
            lambda: evaluation_start(actor=request.user, call_id=call_id, scorecard_id=scorecard_id)
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(request.POST.get("back") or reverse("qa:calls"))
    if evaluation.evaluator_id != request.user.pk:
        messages.info(request, _("%(who)s is scoring this call already.") % {"who": evaluation.evaluator})
    return redirect("qa:evaluation_detail", evaluation_id=evaluation.pk)


# --- evaluation list -------------------------------------------------------------------------------
@any_permission_required(*ANYONE_IN_QA)
def evaluations(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = any(user.has_perm(p) for p in STAFF)
    raw = {
        name: request.GET.get(name, "").strip()
        for name in ("status", "agent", "evaluator", "queue", "date_from", "date_to")
    }
    filters = {
        "status": raw["status"] if raw["status"] in EvaluationStatus.values else "",
        "agent": int_or_none(raw["agent"]),
        "evaluator": int_or_none(raw["evaluator"]),
        "queue": int_or_none(raw["queue"]),
        "date_from": date_or_none(raw["date_from"]),
        "date_to": date_or_none(raw["date_to"]),
    }
    queryset = evaluation_list(user=user, filters=filters)
    rows, older = _keyset(request, queryset, raw, "qa:evaluation_list")
    own = queryset.filter(agent_id=user.pk, status__in=FINAL_STATUSES) if not staff else None
    context: dict[str, Any] = {
        "evaluations": rows,
        "older": older,
        "raw": raw,
        "staff": staff,
        "statuses": EvaluationStatus.choices,
        "queues": Queue.objects.all(),
        "evaluators": qa_staff() if staff else [],
        "coaching": coaching_for_agent(user) if not staff and not user.has_perm(COACH) else [],
        "mine": own.aggregate(
            n=Count("id"),
            avg=Avg("score"),
            to_answer=Count("id", filter=Q(status=EvaluationStatus.SUBMITTED)),
        )
        if own is not None
        else None,
    }
    if staff or user.has_perm(COACH):
        context["agents"] = (
            get_user_model()
            .objects.filter(groups__name="agent", is_active=True)
            .order_by("first_name", "username")
        )
    return render(request, "qa/evaluation_list.html", context)


urlpatterns = [
    path("", queue, name="queue"),
    path("sample/", sample_now, name="sample_now"),
    path("calls/", calls, name="calls"),
    path("calls/<int:call_id>/evaluate/", call_evaluate, name="call_evaluate"),
    path("evaluations/", evaluations, name="evaluation_list"),
]
