"""Agent desktop pages: the desk itself and the htmx fragments it swaps in (call panel, callbacks)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents import desktop
from agents.models import AgentState
from callcenter.errors import ApplicationError
from callcenter.permissions import page_permission_required
from telephony.acd import acd_source
from telephony.models import CallEvent, Queue
from telephony.selectors import agent_call_queue, agent_call_step, call_customer_number
from tickets.models import Priority
from tickets.selectors.calls import call_log_for, call_script_for, callbacks_for_agent, dispositions_active
from tickets.services.calls import NewCallback, NewTicket, call_wrapup_submit, callback_dial

DESK = "callcenter.use_agent_desktop"


@page_permission_required(DESK)
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    code = desktop.agent_code_for(request.user)
    now = desktop.agent_now(code=code)
    return render(
        request,
        "agents/desktop.html",
        {
            "agent_code": code,
            "now_state": now,
            "reasons": desktop.NOT_READY_REASONS,
            "state_labels": {value: str(label) for value, label in AgentState.choices},
            "queues": Queue.objects.order_by("name").values_list("name", flat=True),
        },
    )


@page_permission_required(DESK)
@require_POST
def desk_state(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    try:
        desktop.desktop_state_set(user=request.user, state=state, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        return _notice(request, error.message, error=True)
    return _notice(request, _("Sent to the phone system; your state changes in a moment."))


@page_permission_required(DESK)
@require_POST
def desk_call_action(request: HttpRequest, call_id: str) -> HttpResponse:
    try:
        desktop.desktop_call_action(
            user=request.user,
            call_id=call_id,
            action=request.POST.get("action", ""),
            to_queue=request.POST.get("to_queue", ""),
        )
    except ApplicationError as error:
        return _notice(request, error.message, error=True)
    return _notice(request, "")


def _notice(request: HttpRequest, text: str, *, error: bool = False) -> HttpResponse:
    # htmx swaps 200 responses only: an error is a 200 fragment that says what is wrong.
    return render(request, "agents/_notice.html", {"text": text, "error": error})


@page_permission_required(DESK)
@require_GET
def desk_call(request: HttpRequest, call_id: str) -> HttpResponse:
    """The call panel: who is calling (screen pop), the script, and the wrap-up form."""
    step = agent_call_step(
        source=acd_source(), agent_code=desktop.agent_code_for(request.user), call_id=call_id
    )
    if step is None:
        raise Http404(_("This call never rang on your desk."))
    number = _number(step)
    return render(
        request,
        "agents/_call_panel.html",
        _call_context(request, call_id, _queue(step), step.direction, number),
    )


def _queue(step: CallEvent) -> str:
    return step.queue or agent_call_queue(source=step.source, agent_code=step.agent, call_id=step.call_id)


def _number(step: CallEvent) -> str:
    number = step.callee if step.direction == "outbound" else step.caller
    return number or call_customer_number(
        source_name=settings.ACD_SOURCE, call_id=step.call_id, direction=step.direction
    )


def _call_context(
    request: HttpRequest, call_id: str, queue: str, direction: str, number: str, **extra: object
) -> dict:
    from tickets.selectors.customers import customer_card, customer_timeline, customers_match_phone
    from tickets.selectors.tickets import tickets_visible_to

    log = call_log_for(agent=request.user, call_id=call_id)
    matches = list(customers_match_phone(number=number)) if number else []
    customer = extra.get("chosen") or (
        log.customer if log and log.customer else (matches[0] if matches else None)
    )
    open_tickets = []
    if customer is not None:
        open_tickets = list(
            tickets_visible_to(request.user)
            .filter(customer=customer)
            .exclude(status__in=["resolved", "closed"])
            .order_by("-id")[:10]
        )
    return {
        "call_id": call_id,
        "queue": queue,
        "direction": direction,
        "number": number,
        "customer": customer,
        "other_matches": [m for m in matches if customer is None or m.pk != customer.pk],
        "card": customer_card(customer_id=customer.pk) if customer else None,
        "entries": customer_timeline(customer=customer, limit=5) if customer else [],
        "script": call_script_for(queue=queue, direction=direction),
        "dispositions": dispositions_active(),
        "priorities": Priority.choices,
        "open_tickets": open_tickets,
        "log": log,
        "queues": Queue.objects.exclude(name=queue).order_by("name").values_list("name", flat=True),
        "form": extra.get("form", {}),
        "errors": extra.get("errors", {}),
        "saved": extra.get("saved", False),
    }


@page_permission_required(DESK)
@require_POST
def desk_wrapup(request: HttpRequest, call_id: str) -> HttpResponse:
    step = agent_call_step(
        source=acd_source(), agent_code=desktop.agent_code_for(request.user), call_id=call_id
    )
    if step is None:
        raise Http404(_("This call never rang on your desk."))
    number = _number(step)
    post = request.POST
    errors: dict[str, list[str]] = {}
    ticket_choice = post.get("ticket", "")
    new_ticket = None
    ticket_id = None
    if ticket_choice == "new":
        try:
            priority = int(post.get("ticket_priority") or Priority.NORMAL)
        except ValueError:
            priority = Priority.NORMAL
        new_ticket = NewTicket(subject=post.get("ticket_subject", ""), priority=priority)
    elif ticket_choice.isdigit():
        ticket_id = int(ticket_choice)
    callback = None
    if post.get("callback_at"):
        due = _parse_local(post["callback_at"])
        if due is None:
            errors["callback_due_at"] = [_("Enter a date and time.")]
        else:
            callback = NewCallback(
                due_at=due, phone=post.get("callback_phone", ""), notes=post.get("callback_notes", "")
            )
    customer_id = post.get("customer")
    if not errors:
        try:
            call_wrapup_submit(
                agent=request.user,
                call_id=call_id,
                notes=post.get("notes", ""),
                disposition_code=post.get("disposition", ""),
                customer_id=int(customer_id) if customer_id and customer_id.isdigit() else None,
                ticket_id=ticket_id,
                new_ticket=new_ticket,
                callback=callback,
                caller=number,
                queue=_queue(step),
                direction=step.direction or "inbound",
            )
        except ApplicationError as error:
            errors = error.fields or {"general": [error.message]}
    context = _call_context(
        request, call_id, _queue(step), step.direction, number, form=post, errors=errors, saved=not errors
    )
    return render(request, "agents/_call_panel.html", context, status=200)


def _parse_local(text: str) -> datetime | None:
    moment = parse_datetime(text)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


@page_permission_required(DESK)
@require_GET
def desk_callbacks(request: HttpRequest) -> HttpResponse:
    listing = callbacks_for_agent(agent=request.user, now=timezone.now())
    return render(request, "agents/_callbacks.html", {"callbacks": listing})


@page_permission_required(DESK)
@require_POST
def desk_callback_dial(request: HttpRequest, callback_id: int) -> HttpResponse:
    try:
        callback_dial(callback_id=callback_id, agent=request.user)
    except ApplicationError as error:
        return _notice(request, error.message, error=True)
    return _notice(request, _("Dialling; your phone rings first."))


@page_permission_required(DESK)
@require_POST
def desk_customer(request: HttpRequest, call_id: str) -> HttpResponse:
    """One-click "new customer" from the screen pop, prefilled with the caller's number."""
    from tickets.services.customers import customer_create

    step = agent_call_step(
        source=acd_source(), agent_code=desktop.agent_code_for(request.user), call_id=call_id
    )
    if step is None:
        raise Http404(_("This call never rang on your desk."))
    if not request.user.has_perm("tickets.add_customer"):
        raise PermissionDenied
    number = _number(step)
    post = request.POST
    errors: dict = {}
    created = None
    try:
        created = customer_create(
            actor=request.user,
            name=post.get("name", ""),
            phones=[post["phone"]] if post.get("phone") else [],
            emails=[post["email"]] if post.get("email") else [],
        )
    except ApplicationError as error:
        errors = error.fields or {"name": [error.message]}
    context = _call_context(
        request,
        call_id,
        _queue(step),
        step.direction,
        number,
        form=post if errors else {},
        errors=errors,
        chosen=created,
    )
    return render(request, "agents/_call_panel.html", context)
