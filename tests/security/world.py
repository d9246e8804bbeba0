"""One of everything a page or API can show, made through the services, with `text` in every field a
person types (names, notes, subjects, comments, prompts, guidance…): the role matrix and schemathesis
get real ids to reach, and the escaping test gets a hostile payload on every page."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from agents.models import ScheduledShift, Skill
from agents.wfm.time_off import time_off_request
from qa.models import Criterion
from qa.services.calibration import calibration_create
from qa.services.coaching import coaching_open
from qa.services.evaluations import evaluation_comment_add, evaluation_start, evaluation_submit
from telephony.ivr.services import ivr_draft_open, ivr_draft_save, ivr_flow_create
from telephony.models import Call
from telephony.services import call_events_ingest
from tests.agents.factories import ShiftTemplateFactory, TeamFactory
from tests.callcenter.factories import UserFactory
from tests.qa.factories import DEFINITION, make_scorecard, qa_lead
from tests.telephony.factories import FeedSourceFactory, QueueFactory, answered_call
from tests.telephony.ivr_samples import FULL
from tests.tickets.factories import CallScriptFactory, DispositionFactory
from tickets.services.calls import call_wrapup_submit, callback_schedule
from tickets.services.customers import customer_create
from tickets.services.tickets import ticket_comment_add, ticket_create


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.ids[name]


def _scorecard_definition(text: str) -> dict[str, Any]:
    definition = copy.deepcopy(DEFINITION)
    for section in definition["sections"]:
        section["title"] = f"{section['title']} {text}"
        for criterion in section["criteria"]:
            criterion["label"] = f"{criterion['label']} {text}"
            criterion["guidance"] = f"Guidance {text}"
    return definition


def _ivr_graph(text: str) -> dict[str, Any]:
    graph = copy.deepcopy(FULL)
    for node in graph["nodes"].values():
        node["label"] = f"{node.get('label', '')} {text}"[:80]
        if "prompt" in node:
            node["prompt"] = f"{node['prompt']} {text}"
    return graph


def build_world(personas: dict[str, Any], *, text: str = "plain text") -> World:
    """Objects visible to the personas (alice is on sam's team), each named or annotated with `text`."""
    agent, supervisor, qa, admin = (personas[r] for r in ("agent", "supervisor", "qa", "admin"))
    world = World()
    # A colleague whose own name is the text: names show on wallboards, teams, schedules, QA pages.
    colleague = UserFactory(username="mallory", first_name=text[:150], last_name="Doe", roles=["agent"])
    team = TeamFactory(name=f"Team {text}"[:100], supervisor=supervisor, members=[agent, colleague])
    world.ids["team_id"] = team.pk
    sales = QueueFactory(name="sales")
    QueueFactory(name="support")
    world.ids["queue_id"] = sales.pk

    customer = customer_create(
        actor=admin,
        name=f"Customer {text}"[:200],
        company=f"Co {text}"[:200],
        notes=f"Notes {text}",
        phones=["+14155550123"],
        emails=["hostile@example.com"],
        tags=["vip"],
    )
    world.ids["customer_id"] = customer.pk
    ticket = ticket_create(
        actor=admin, subject=f"Subject {text}"[:200], description=f"Description {text}", customer=customer
    )
    world.ids["ticket_id"] = ticket.pk
    ticket_comment_add(ticket_id=ticket.pk, actor=admin, body=f"Comment {text}", internal=False)
    ticket_comment_add(ticket_id=ticket.pk, actor=admin, body=f"Internal {text}", internal=True)

    # The ACD's own feed, so the desktop and wrap-up find the call on alice's desk.
    source = FeedSourceFactory(name=settings.ACD_SOURCE)
    events = answered_call("world-call", queue="sales", agent="alice")
    for event in events:
        event["source"] = source.name
    call_events_ingest(source=source, raw_events=events)
    call = Call.objects.get(call_id="world-call")
    world.ids["call_pk"] = call.pk
    world.ids["call_id"] = call.call_id
    DispositionFactory(code="sold", label=f"Sold {text}"[:100])
    CallScriptFactory(name=f"Script {text}"[:100], steps=[("Greet", f"Say {text}")])
    call_wrapup_submit(
        agent=agent,
        call_id=call.call_id,
        notes=f"Call notes {text}",
        disposition_code="sold",
        customer_id=customer.pk,
        ticket_id=ticket.pk,
        caller="+14155550123",
        queue="sales",
        end_wrapup=False,
    )
    callback = callback_schedule(
        actor=agent,
        phone="+14155550123",
        due_at=timezone.now() + timedelta(hours=1),
        customer_id=customer.pk,
        agent=agent,
        notes=f"Callback {text}",
    )
    world.ids["callback_id"] = callback.pk

    lead = qa_lead("lee")
    world.ids["lead"] = lead
    scorecard = make_scorecard(f"Card {text}"[:100], actor=lead, definition=_scorecard_definition(text))
    world.ids["scorecard_id"] = scorecard.pk
    evaluation = evaluation_start(actor=qa, call_id=call.pk, scorecard_id=scorecard.pk)
    evaluation_comment_add(actor=qa, evaluation_id=evaluation.pk, body=f"Remark {text}", at_s=3)
    answers = [
        {"criterion": criterion.pk, "value": 1 if criterion.kind == "yes_no" else 3}
        for criterion in Criterion.objects.filter(section__version=evaluation.scorecard_version)
    ]
    evaluation_submit(actor=qa, evaluation_id=evaluation.pk, answers=answers, summary=f"Summary {text}")
    world.ids["evaluation_id"] = evaluation.pk
    second_analyst = UserFactory(username="quincy", roles=["qa"])
    calibration = calibration_create(
        actor=lead,
        call_id=call.pk,
        scorecard_id=scorecard.pk,
        evaluator_ids=[qa.pk, second_analyst.pk],
        title=f"Calibration {text}"[:200],
    )
    world.ids["calibration_id"] = calibration.pk
    session = coaching_open(
        actor=supervisor,
        agent=agent,
        goals=f"Goals {text}",
        notes=f"Coaching {text}",
        evaluation_id=evaluation.pk,
    )
    world.ids["session_id"] = session.pk

    flow = ivr_flow_create(actor=admin, name="main", display_name=f"Main {text}"[:100], description=text)
    draft = ivr_draft_open(actor=admin, flow_id=flow.pk)
    graph = _ivr_graph(text)
    draft, _validation = ivr_draft_save(actor=admin, flow_id=flow.pk, graph=graph, revision=draft.revision)
    world.ids["flow_id"] = flow.pk
    world.ids["version_id"] = draft.pk

    skill = Skill.objects.create(name="billing", display_name=f"Billing {text}"[:120], description=text)
    skill.queues.add(sales)
    world.ids["skill_id"] = skill.pk
    template = ShiftTemplateFactory(name=f"Early {text}"[:100])
    world.ids["template_id"] = template.pk
    day = timezone.localdate() + timedelta(days=1)
    starts = timezone.now().replace(microsecond=0) + timedelta(days=1)
    shift = ScheduledShift.objects.create(
        agent=agent, day=day, template=template, starts_at=starts, ends_at=starts + timedelta(hours=8)
    )
    world.ids["shift_id"] = shift.pk
    world.ids["user_id"] = agent.pk
    start = timezone.now() + timedelta(days=3)
    end = start + timedelta(days=1)
    time_off_request(agent=agent, kind="vacation", starts_at=start, ends_at=end, note=f"Time off {text}")
    return world
