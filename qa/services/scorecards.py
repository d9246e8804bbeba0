"""Writes of scorecards. The questions are versioned: saving changed questions of a scorecard that
evaluations already use makes a new version (old evaluations keep theirs); an unused version is
edited in place. Name, description, queues and `active` belong to the scorecard, not a version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from callcenter.changes import changes_between
from callcenter.errors import ApplicationError, NotFoundError
from qa.models import (
    Criterion,
    CriterionKind,
    Evaluation,
    EvaluationStatus,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
    new_key,
)
from qa.services.common import require_lead
from telephony.models import Queue

MAX_SCALE = 10
MAX_WEIGHT = 100
MAX_SECTIONS = 30
MAX_CRITERIA = 100


@dataclass(frozen=True)
class CriterionDef:
    label: str
    kind: str = CriterionKind.YES_NO
    scale_max: int = 1
    weight: int = 1
    allow_na: bool = False
    required: bool = True
    auto_fail: bool = False
    guidance: str = ""
    key: str = ""

    def content(self) -> tuple:
        """Everything but the key: two definitions with equal content need no new version."""
        return (
            self.label,
            self.kind,
            self.scale_max,
            self.weight,
            self.allow_na,
            self.required,
            self.auto_fail,
            self.guidance,
        )


@dataclass(frozen=True)
class SectionDef:
    title: str
    criteria: list[CriterionDef] = field(default_factory=list)


@dataclass(frozen=True)
class ScorecardDef:
    pass_percent: int = 80
    sections: list[SectionDef] = field(default_factory=list)

    def content(self) -> tuple:
        return (
            self.pass_percent,
            tuple((s.title, tuple(c.content() for c in s.criteria)) for s in self.sections),
        )


# --- validation ------------------------------------------------------------------------------------
TRUE_TEXT = {"1", "true", "on", "yes"}


def _bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_TEXT


def _int(value: Any, *, default: int, low: int, high: int, errors: dict, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[name] = [_("Enter a whole number.")]
        return default
    if not low <= number <= high:
        errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
    return number


def _criterion_clean(raw: Mapping[str, Any], prefix: str, errors: dict) -> CriterionDef:
    label = str(raw.get("label") or "").strip()
    if not label:
        errors[f"{prefix}.label"] = [_("Write the question.")]
    elif len(label) > 200:
        errors[f"{prefix}.label"] = [_("Keep the question under 200 characters.")]
    kind = str(raw.get("kind") or CriterionKind.YES_NO)
    if kind not in CriterionKind.values:
        errors[f"{prefix}.kind"] = [_("Choose yes/no or a scale.")]
        kind = CriterionKind.YES_NO
    scale_max = 1
    if kind == CriterionKind.SCALE:
        scale_max = _int(
            raw.get("scale_max"), default=5, low=2, high=MAX_SCALE, errors=errors, name=f"{prefix}.scale_max"
        )
    weight = _int(
        raw.get("weight"), default=1, low=1, high=MAX_WEIGHT, errors=errors, name=f"{prefix}.weight"
    )
    auto_fail = _bool(raw.get("auto_fail"), False)
    if auto_fail and kind != CriterionKind.YES_NO:
        errors[f"{prefix}.auto_fail"] = [_("Only a yes/no question can fail the evaluation.")]
    key = str(raw.get("key") or "").strip()[:32]
    return CriterionDef(
        label=label,
        kind=kind,
        scale_max=scale_max,
        weight=weight,
        allow_na=_bool(raw.get("allow_na"), False),
        required=_bool(raw.get("required"), True),
        auto_fail=auto_fail,
        guidance=str(raw.get("guidance") or "").strip(),
        key=key,
    )


def scorecard_definition_clean(raw: Mapping[str, Any]) -> ScorecardDef:
    """Check a definition {"pass_percent", "sections": [{"title", "criteria": [{"label", "kind",
    "scale_max", "weight", "allow_na", "required", "auto_fail", "guidance", "key"?}]}]}.

    Returns it typed; raises ApplicationError with every problem at once, keyed by path
    ("sections.0.criteria.2.label").
    """
    errors: dict[str, list[str]] = {}
    pass_percent = _int(
        raw.get("pass_percent"), default=80, low=0, high=100, errors=errors, name="pass_percent"
    )
    sections: list[SectionDef] = []
    raw_sections = raw.get("sections") or []
    if not isinstance(raw_sections, list) or not raw_sections:
        errors["sections"] = [_("Add at least one section with a question.")]
        raw_sections = []
    if len(raw_sections) > MAX_SECTIONS:
        errors["sections"] = [_("A scorecard has at most %(n)s sections.") % {"n": MAX_SECTIONS}]
    keys: set[str] = set()
    count = 0
    for s_index, raw_section in enumerate(raw_sections):
        prefix = f"sections.{s_index}"
        raw_section = raw_section if isinstance(raw_section, Mapping) else {}
        title = str(raw_section.get("title") or "").strip()
        if not title:
            errors[f"{prefix}.title"] = [_("Give the section a title.")]
        raw_criteria = raw_section.get("criteria") or []
        if not isinstance(raw_criteria, list) or not raw_criteria:
            errors[f"{prefix}.criteria"] = [_("Add at least one question to this section.")]
            raw_criteria = []
        criteria = []
        for c_index, raw_criterion in enumerate(raw_criteria):
            raw_criterion = raw_criterion if isinstance(raw_criterion, Mapping) else {}
            criterion = _criterion_clean(raw_criterion, f"{prefix}.criteria.{c_index}", errors)
            if criterion.key in keys:  # a copied row: treat it as a new question
                criterion = replace(criterion, key="")
            keys.add(criterion.key)
            criteria.append(criterion)
        count += len(criteria)
        sections.append(SectionDef(title=title[:120], criteria=criteria))
    if count > MAX_CRITERIA:
        errors["sections"] = [_("A scorecard has at most %(n)s questions.") % {"n": MAX_CRITERIA}]
    if errors:
        raise ApplicationError(_("The scorecard has errors; see the marked fields."), fields=errors)
    return ScorecardDef(pass_percent=pass_percent, sections=sections)


def _name_clean(name: str, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the scorecard a name."), fields={"name": [_("Required.")]})
    if len(name) > 120:
        raise ApplicationError(_("The name is too long."), fields={"name": [_("At most 120 characters.")]})
    taken = Scorecard.objects.filter(name__iexact=name).exclude(pk=exclude_id)
    if taken.exists():
        raise ApplicationError(
            _("A scorecard called “%(name)s” exists already.") % {"name": name},
            fields={"name": [_("Pick another name.")]},
        )
    return name


def _queues(queue_ids: Iterable[int]) -> list[Queue]:
    ids = sorted({int(pk) for pk in queue_ids})
    queues = list(Queue.objects.filter(pk__in=ids))
    if len(queues) != len(ids):
        raise ApplicationError(
            _("Some of the queues do not exist."), fields={"queues": [_("Unknown queue.")]}
        )
    return queues


# --- rows ------------------------------------------------------------------------------------------
def _write_questions(version: ScorecardVersion, definition: ScorecardDef) -> None:
    for s_order, section_def in enumerate(definition.sections):
        section = ScorecardSection.objects.create(version=version, order=s_order, title=section_def.title)
        Criterion.objects.bulk_create(
            [
                Criterion(
                    section=section,
                    key=criterion.key or new_key(),
                    order=c_order,
                    label=criterion.label,
                    guidance=criterion.guidance,
                    kind=criterion.kind,
                    scale_max=criterion.scale_max,
                    weight=criterion.weight,
                    allow_na=criterion.allow_na,
                    required=criterion.required,
                    auto_fail=criterion.auto_fail,
                )
                for c_order, criterion in enumerate(section_def.criteria)
            ]
        )


def _new_version(
    scorecard: Scorecard, definition: ScorecardDef, actor: AbstractBaseUser | None
) -> ScorecardVersion:
    last = scorecard.versions.aggregate(n=Max("number"))["n"] or 0
    version = ScorecardVersion.objects.create(
        scorecard=scorecard, number=last + 1, pass_percent=definition.pass_percent, created_by=actor
    )
    _write_questions(version, definition)
    scorecard.current_version = version
    scorecard.save(update_fields=["current_version", "updated_at"])
    return version


def version_in_use(version: ScorecardVersion) -> bool:
    """A version is in use once an evaluation on it has been started (or a calibration runs on it)."""
    return (
        Evaluation.objects.filter(scorecard_version=version)
        .exclude(status=EvaluationStatus.ASSIGNED)
        .exists()
    )


# --- services --------------------------------------------------------------------------------------
@transaction.atomic
def scorecard_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    definition: Mapping[str, Any],
    description: str = "",
    queue_ids: Iterable[int] = (),
    active: bool = True,
) -> Scorecard:
    """Create a scorecard and its version 1. Raises ForbiddenError for anyone but a QA lead,
    ApplicationError (with `fields`) for a bad name or definition; nothing is written then."""
    require_lead(actor)
    errors: dict[str, list[str]] = {}
    try:
        name = _name_clean(name)
    except ApplicationError as error:
        errors.update(error.fields or {})
    try:
        cleaned = scorecard_definition_clean(definition)
    except ApplicationError as error:
        errors.update(error.fields or {})
    if errors:
        raise ApplicationError(_("The scorecard has errors; see the marked fields."), fields=errors)
    scorecard = Scorecard.objects.create(
        name=name, description=(description or "").strip(), active=active, created_by=actor
    )
    scorecard.queues.set(_queues(queue_ids))
    version = _new_version(scorecard, cleaned, actor)
    _audit(
        actor, scorecard, "created", changes_between({}, {**_snapshot(scorecard), "version": version.number})
    )
    return scorecard


@transaction.atomic
def scorecard_update(
    *,
    actor: AbstractBaseUser,
    scorecard_id: int,
    name: str,
    definition: Mapping[str, Any],
    description: str = "",
    queue_ids: Iterable[int] = (),
    active: bool = True,
) -> Scorecard:
    """Save a scorecard. Changed questions make a new version when the current one is in use (its
    evaluations keep it; evaluations not started yet move to the new one); otherwise the current
    version is rewritten. Unchanged questions leave the versions alone."""
    from qa.selectors import scorecard_definition

    require_lead(actor)
    scorecard = Scorecard.objects.select_for_update().filter(pk=scorecard_id).first()
    if scorecard is None:
        raise NotFoundError(_("There is no such scorecard."))
    errors: dict[str, list[str]] = {}
    try:
        name = _name_clean(name, exclude_id=scorecard.pk)
    except ApplicationError as error:
        errors.update(error.fields or {})
    try:
        cleaned = scorecard_definition_clean(definition)
    except ApplicationError as error:
        errors.update(error.fields or {})
    if errors:
        raise ApplicationError(_("The scorecard has errors; see the marked fields."), fields=errors)
    before = _snapshot(scorecard)
    questions_changed = False
    scorecard.name = name
    scorecard.description = (description or "").strip()
    scorecard.active = active
    scorecard.save(update_fields=["name", "description", "active", "updated_at"])
    scorecard.queues.set(_queues(queue_ids))
    current = scorecard.current_version
    if current is None:
        questions_changed = True
        _new_version(scorecard, cleaned, actor)
    elif cleaned.content() == scorecard_definition(current).content():
        pass
    elif version_in_use(current):
        questions_changed = True
        version = _new_version(scorecard, cleaned, actor)
        Evaluation.objects.filter(
            scorecard_version=current, status=EvaluationStatus.ASSIGNED, calibration__isnull=True
        ).update(scorecard_version=version)
    else:
        questions_changed = True
        current.sections.all().delete()
        current.pass_percent = cleaned.pass_percent
        current.save(update_fields=["pass_percent"])
        _write_questions(current, cleaned)
    changes = changes_between(before, _snapshot(scorecard))
    if questions_changed:
        scorecard.refresh_from_db(fields=["current_version"])
        changes["questions"] = [current.number if current else None, scorecard.current_version.number]
    if changes:
        _audit(actor, scorecard, "updated", changes)
    return scorecard


def _snapshot(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "name": scorecard.name,
        "description": scorecard.description,
        "active": scorecard.active,
        "queues": sorted(scorecard.queues.values_list("name", flat=True)),
    }


def _audit(actor: AbstractBaseUser, scorecard: Scorecard, action: str, changes: dict[str, Any]) -> None:
    """Scorecards keep versions but no history of who changed them: the audit log keeps that
    ("questions": [version before, version after] when the questions changed)."""
    from callcenter.audit import audit_record  # the audit log reads qa; import at use

    audit_record(
        actor=actor,
        object_type="scorecard",
        object_id=scorecard.pk,
        object_label=scorecard.name,
        action=action,
        changes=changes,
    )
