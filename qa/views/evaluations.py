"""The evaluation page: the recording with a player, the call's details, notes and ticket, the
scorecard form with a live score (draft, submit), timestamped comments, the agent's acknowledgement
or dispute, a QA lead's resolution, and the timeline. One page for every role: what it shows and
accepts depends on what the user may do (qa.selectors.evaluation_allowed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from qa.models import CriterionKind, Evaluation, EvaluationStatus, Scorecard
from qa.recordings import recording_file
from qa.selectors import (
    Allowed,
    EvaluationSheet,
    call_logs,
    dispute_deadline,
    evaluation_allowed,
    evaluation_comments,
    evaluation_get_for_user,
    evaluation_sheet,
    evaluation_timeline,
    qa_staff,
)
from qa.services import evaluations as services
from qa.views.common import (
    ANYONE_IN_QA,
    any_permission_required,
    domain_errors_to_http,
    int_or_none,
    parse_moment,
)


@dataclass
class QuestionRow:
    criterion: Any
    value: str  # "", "na" or the number, as the form holds it
    comment: str
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def value_label(self) -> str:
        return dict(self.options).get(self.value, "—")

    @property
    def points(self) -> str:
        if self.value in ("", "na"):
            return ""
        return f"{self.value}/{self.criterion.max_points}"


def _options(criterion: Any) -> list[tuple[str, str]]:
    if criterion.kind == CriterionKind.YES_NO:
        options = [("1", _("Yes")), ("0", _("No"))]
    else:
        options = [(str(n), str(n)) for n in range(criterion.scale_max + 1)]
    if criterion.allow_na:
        options.append(("na", _("N/A")))
    return options


def _rows(sheet: EvaluationSheet, posted: Mapping[str, Any] | None, errors: Mapping[str, Any]) -> list[dict]:
    sections = []
    for scored in sheet.sections:
        rows = []
        for question in scored.questions:
            criterion, answer = question.criterion, question.answer
            if posted is not None:
                value = str(posted.get(f"c{criterion.pk}", ""))
                comment = str(posted.get(f"c{criterion.pk}_comment", ""))
            elif answer is None:
                value, comment = "", ""
            else:
                value = "na" if answer.na else ("" if answer.value is None else str(answer.value))
                comment = answer.comment
            problems = errors.get(f"criterion_{criterion.pk}") or []
            rows.append(
                QuestionRow(criterion, value, comment, " ".join(map(str, problems)), _options(criterion))
            )
        sections.append({"section": scored.section, "score": scored.score, "rows": rows})
    return sections


def answers_from_post(data: Mapping[str, Any], sheet: EvaluationSheet) -> list[dict[str, Any]]:
    """The scorecard form's answers as the services take them: every question of the sheet."""
    answers = []
    for question in sheet.questions:
        value = str(data.get(f"c{question.id}", "")).strip()
        entry: dict[str, Any] = {"criterion": question.id, "comment": data.get(f"c{question.id}_comment", "")}
        if value == "na":
            entry["na"] = True
        else:
            entry["value"] = value or None
        answers.append(entry)
    return answers


def _act(
    request: HttpRequest, evaluation: Evaluation, allowed: Allowed, sheet: EvaluationSheet
) -> HttpResponse | None:
    """Carry out the posted action; a redirect when done, None to re-render (errors are raised)."""
    post = request.POST
    action = post.get("action", "")
    here = reverse("qa:evaluation_detail", args=[evaluation.pk])
    actor = request.user
    if action in ("save", "submit"):
        if not allowed.score:
            raise PermissionDenied
        service = services.evaluation_submit if action == "submit" else services.evaluation_save_draft
        service(
            actor=actor,
            evaluation_id=evaluation.pk,
            answers=answers_from_post(post, sheet),
            summary=post.get("summary", ""),
        )
        messages.success(
            request, _("Submitted: the agent can see it now.") if action == "submit" else _("Draft saved.")
        )
        if action == "submit" and evaluation.calibration_id:
            return redirect("qa:calibration_detail", calibration_id=evaluation.calibration_id)
        return redirect(here)
    if action == "comment":
        services.evaluation_comment_add(
            actor=actor,
            evaluation_id=evaluation.pk,
            body=post.get("body", ""),
            at_s=parse_moment(post.get("at")),
        )
        return redirect(f"{here}#comments")
    if action == "acknowledge":
        services.evaluation_acknowledge(actor=actor, evaluation_id=evaluation.pk)
        messages.success(request, _("Thank you: the evaluation is acknowledged."))
        return redirect(here)
    if action == "dispute":
        services.evaluation_dispute(actor=actor, evaluation_id=evaluation.pk, reason=post.get("reason", ""))
        messages.success(request, _("Your dispute is sent to the QA leads."))
        return redirect(here)
    if action in ("uphold", "rescore"):
        services.dispute_resolve(
            actor=actor,
            evaluation_id=evaluation.pk,
            outcome=action,
            note=post.get("note", ""),
            answers=answers_from_post(post, sheet) if action == "rescore" else None,
            summary=post.get("summary") if action == "rescore" else None,
        )
        messages.success(request, _("The dispute is resolved; the agent sees your note."))
        return redirect(here)
    if action == "cancel":
        services.evaluation_cancel(actor=actor, evaluation_id=evaluation.pk, reason=post.get("reason", ""))
        messages.success(request, _("Cancelled: the call left the queue."))
        return redirect("qa:queue")
    if action == "reassign":
        evaluator = get_user_model().objects.filter(pk=int_or_none(post.get("evaluator"))).first()
        if evaluator is None:
            raise ApplicationError(_("Pick a QA analyst."), fields={"evaluator": [_("Required.")]})
        services.evaluation_reassign(actor=actor, evaluation_id=evaluation.pk, evaluator=evaluator)
        messages.success(
            request, _("Reassigned to %(who)s.") % {"who": evaluator.get_full_name() or evaluator}
        )
        return redirect(here)
    if action == "scorecard":
        services.evaluation_scorecard_set(
            actor=actor, evaluation_id=evaluation.pk, scorecard_id=int_or_none(post.get("scorecard")) or 0
        )
        return redirect(here)
    raise ApplicationError(_("Unknown action."))


@any_permission_required(*ANYONE_IN_QA)
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = domain_errors_to_http(
        lambda: evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
    )
    allowed = evaluation_allowed(user=request.user, evaluation=evaluation)
    sheet = evaluation_sheet(evaluation)
    posted = None
    errors: dict[str, Any] = {}
    error_message = ""
    status = 200
    if request.method == "POST":
        try:
            response = _act(request, evaluation, allowed, sheet)
            if response is not None:
                return response
        except ForbiddenError as error:
            raise PermissionDenied(error.message) from None
        except ConflictError as error:
            messages.error(request, error.message)
            return redirect("qa:evaluation_detail", evaluation_id=evaluation.pk)
        except ApplicationError as error:
            errors = dict(error.fields or {})
            error_message = error.message
            posted = request.POST
            status = 400
    editing = allowed.score or allowed.resolve
    call = evaluation.call
    dispute = getattr(evaluation, "dispute", None)  # the reverse one-to-one raises AttributeError if none
    context = {
        "evaluation": evaluation,
        "call": call,
        "allowed": allowed,
        "editing": editing,
        "sheet": sheet,
        "sections": _rows(sheet, posted if editing else None, errors),
        "questions_json": [
            {
                "id": q.id,
                "section": q.section_id,
                "label": q.label,
                "kind": q.kind,
                "max": q.max_points,
                "weight": q.weight,
                "na": q.allow_na,
                "required": q.required,
                "auto_fail": q.auto_fail,
            }
            for q in sheet.questions
        ],
        "errors": errors,
        "error_message": error_message,
        "posted": posted,
        "recording": recording_file(call),
        "logs": call_logs(call),
        "comments": evaluation_comments(evaluation),
        "timeline": evaluation_timeline(evaluation),
        "dispute": dispute,
        "dispute_deadline": dispute_deadline(evaluation),
        "staff_choices": qa_staff() if allowed.reassign else [],
        "scorecards": Scorecard.objects.filter(active=True, current_version__isnull=False)
        if allowed.change_scorecard
        else [],
        "final": evaluation.status not in (EvaluationStatus.ASSIGNED, EvaluationStatus.DRAFT),
    }
    return render(request, "qa/evaluation_detail.html", context, status=status)


urlpatterns = [
    path("evaluations/<int:evaluation_id>/", evaluation_detail, name="evaluation_detail"),
]
