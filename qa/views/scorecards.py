"""Scorecard pages: the list, and the builder where QA leads write sections and questions (weights,
N/A, auto-fail, guidance). Saving a scorecard in use makes a new version; QA analysts read them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ForbiddenError
from qa.models import CriterionKind, Scorecard
from qa.selectors import scorecard_definition, scorecard_list
from qa.services.common import MANAGE
from qa.services.scorecards import scorecard_create, scorecard_update
from qa.views.common import STAFF, any_permission_required, int_or_none
from telephony.models import Queue

FIELD = re.compile(r"^sections-(\d+)-(?:criteria-(\d+)-)?([a-z_]+)$")
CRITERION_TEXT = ("label", "kind", "scale_max", "weight", "guidance", "key")
CRITERION_FLAGS = ("allow_na", "required", "auto_fail")


def definition_from_post(data: Mapping[str, Any]) -> dict[str, Any]:
    """The builder's flat fields (sections-0-title, sections-0-criteria-1-label…) as a definition,
    in index order. Rows left entirely blank are dropped; unticked boxes are False."""
    sections: dict[int, dict[str, Any]] = {}
    for name in data:
        match = FIELD.match(name)
        if not match:
            continue
        s_index, c_index, key = int(match.group(1)), match.group(2), match.group(3)
        section = sections.setdefault(s_index, {"title": "", "criteria": {}})
        if c_index is None:
            if key == "title":
                section["title"] = str(data.get(name, "")).strip()
            continue
        criterion = section["criteria"].setdefault(int(c_index), {})
        if key in CRITERION_TEXT:
            criterion[key] = str(data.get(name, "")).strip()
        elif key in CRITERION_FLAGS:
            criterion[key] = True
    result = []
    for _s, section in sorted(sections.items()):
        criteria = []
        for _c, raw in sorted(section["criteria"].items()):
            if not raw.get("label") and not raw.get("guidance"):
                continue
            for flag in CRITERION_FLAGS:
                raw.setdefault(flag, False)
            criteria.append(raw)
        if section["title"] or criteria:
            result.append({"title": section["title"], "criteria": criteria})
    return {"pass_percent": str(data.get("pass_percent", "")).strip(), "sections": result}


def _definition_rows(definition: Mapping[str, Any], errors: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The definition with each field's errors beside it, for the builder template."""
    rows = []
    for s_index, section in enumerate(definition.get("sections", [])):
        prefix = f"sections.{s_index}"
        criteria = []
        for c_index, criterion in enumerate(section.get("criteria", [])):
            c_prefix = f"{prefix}.criteria.{c_index}"
            found = {
                key[len(c_prefix) + 1 :]: " ".join(v)
                for key, v in errors.items()
                if key.startswith(c_prefix + ".")
            }
            criteria.append({**criterion, "errors": found})
        rows.append(
            {
                "title": section.get("title", ""),
                "criteria": criteria,
                "errors": {
                    "title": " ".join(errors.get(f"{prefix}.title", [])),
                    "criteria": " ".join(errors.get(f"{prefix}.criteria", [])),
                },
            }
        )
    return rows


def _as_dict(definition: Any) -> dict[str, Any]:
    return {
        "pass_percent": definition.pass_percent,
        "sections": [
            {"title": s.title, "criteria": [dict(c.__dict__) for c in s.criteria]}
            for s in definition.sections
        ],
    }


BLANK_CRITERION = {
    "label": "",
    "kind": CriterionKind.YES_NO,
    "scale_max": 5,
    "weight": 1,
    "required": True,
    "errors": {},
}


def _render_builder(
    request: HttpRequest,
    *,
    scorecard: Scorecard | None,
    values: dict[str, Any],
    definition: dict[str, Any],
    errors: dict[str, Any],
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    context = {
        "tab": "scorecards",
        "scorecard": scorecard,
        "values": values,
        "pass_percent": definition.get("pass_percent", 80),
        "sections": _definition_rows(definition, errors),
        "errors": {key: " ".join(value) for key, value in errors.items() if "." not in key},
        "message": message,
        "queues": Queue.objects.all(),
        "kinds": CriterionKind.choices,
        "blank_criterion": BLANK_CRITERION,
        "blank_section": {"title": "", "criteria": [], "errors": {}},
        "versions": scorecard.versions.annotate(n=Count("evaluations")).order_by("-number")
        if scorecard
        else [],
    }
    return render(request, "qa/scorecard_form.html", context, status=status)


def _values_from_post(request: HttpRequest) -> dict[str, Any]:
    return {
        "name": request.POST.get("name", "").strip(),
        "description": request.POST.get("description", "").strip(),
        "active": request.POST.get("active") == "on",
        "queue_ids": [pk for pk in (int_or_none(v) for v in request.POST.getlist("queues")) if pk],
    }


@any_permission_required(*STAFF)
def scorecards(request: HttpRequest) -> HttpResponse:
    rows = scorecard_list().annotate(evaluations_n=Count("versions__evaluations", distinct=True))
    return render(
        request,
        "qa/scorecard_list.html",
        {"tab": "scorecards", "scorecards": rows, "can_edit": request.user.has_perm(MANAGE)},
    )


@any_permission_required(MANAGE)
def scorecard_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        values = {"name": "", "description": "", "active": True, "queue_ids": []}
        return _render_builder(
            request, scorecard=None, values=values, definition={"pass_percent": 80, "sections": []}, errors={}
        )
    values = _values_from_post(request)
    definition = definition_from_post(request.POST)
    try:
        scorecard = scorecard_create(actor=request.user, definition=definition, **values)
    except ForbiddenError:
        raise PermissionDenied from None
    except ApplicationError as error:
        return _render_builder(
            request,
            scorecard=None,
            values=values,
            definition=definition,
            errors=error.fields or {},
            status=400,
            message=error.message,
        )
    messages.success(request, _("Scorecard “%(name)s” saved.") % {"name": scorecard.name})
    return redirect("qa:scorecard_detail", scorecard_id=scorecard.pk)


@any_permission_required(*STAFF)
def scorecard_detail(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    scorecard = Scorecard.objects.select_related("current_version").filter(pk=scorecard_id).first()
    if scorecard is None:
        raise Http404(_("There is no such scorecard."))
    if request.method == "POST":
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        values = _values_from_post(request)
        definition = definition_from_post(request.POST)
        before = scorecard.current_version_id
        try:
            scorecard = scorecard_update(
                actor=request.user, scorecard_id=scorecard.pk, definition=definition, **values
            )
        except ApplicationError as error:
            return _render_builder(
                request,
                scorecard=scorecard,
                values=values,
                definition=definition,
                errors=error.fields or {},
                status=400,
                message=error.message,
            )
        if scorecard.current_version_id != before:
            messages.success(
                request,
                _("Saved as version %(n)s: evaluations already made keep the version they used.")
                % {"n": scorecard.current_version.number},
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("qa:scorecard_detail", scorecard_id=scorecard.pk)
    version = scorecard.current_version
    wanted = int_or_none(request.GET.get("version"))
    if wanted:
        version = scorecard.versions.filter(number=wanted).first() or version
    values = {
        "name": scorecard.name,
        "description": scorecard.description,
        "active": scorecard.active,
        "queue_ids": list(scorecard.queues.values_list("pk", flat=True)),
    }
    definition = _as_dict(scorecard_definition(version)) if version else {"pass_percent": 80, "sections": []}
    if request.user.has_perm(MANAGE) and version == scorecard.current_version:
        return _render_builder(request, scorecard=scorecard, values=values, definition=definition, errors={})
    return render(
        request,
        "qa/scorecard_view.html",
        {
            "tab": "scorecards",
            "scorecard": scorecard,
            "version": version,
            "definition": definition,
            "versions": scorecard.versions.annotate(n=Count("evaluations")).order_by("-number"),
            "can_edit": request.user.has_perm(MANAGE),
        },
    )


urlpatterns = [
    path("scorecards/", scorecards, name="scorecard_list"),
    path("scorecards/new/", scorecard_new, name="scorecard_new"),
    path("scorecards/<int:scorecard_id>/", scorecard_detail, name="scorecard_detail"),
]
