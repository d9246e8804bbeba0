"""Ticket APIs: list (saved views, filters, cursor pages) and create, read and change one, comments,
timeline, merge, bulk actions and watchers. Thin: validate → service/selector → serialize; errors
come from the services and are turned into JSON in callcenter.errors."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Team
from callcenter.errors import ApplicationError
from callcenter.permissions import api_permission
from tickets.models import Category, Channel, Customer, Priority, Status, Ticket
from tickets.selectors.tickets import (
    SAVED_VIEWS,
    TicketRow,
    ticket_get_for_user,
    ticket_list_rows,
    ticket_next_due,
    ticket_sla_clocks,
    ticket_sla_state,
    ticket_timeline,
    ticket_watchers,
)
from tickets.services import tickets as services

VIEW_TICKETS = api_permission("tickets.view_ticket")
# Writes are refused before their input is read: a read-only role gets 403, not a validation error.
CHANGE_TICKETS = api_permission("tickets.change_ticket")


class TicketCursorPagination(CursorPagination):
    """Newest first by id; pages by keyset (`id < cursor`), so no COUNT over a million rows."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- output ----------------------------------------------------------------------------------------
class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "TicketRef"


def _ref(obj: Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    name = (obj.get_full_name() or obj.get_username()) if hasattr(obj, "get_username") else str(obj)
    return {"id": obj.pk, "name": name}


class TicketOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = RefSerializer(allow_null=True)
    customer = RefSerializer(allow_null=True)
    team = RefSerializer(allow_null=True)
    assignee = RefSerializer(allow_null=True)
    version = serializers.IntegerField()
    merged_into = serializers.IntegerField(allow_null=True, source="merged_into_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_responded_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    sla_due_at = serializers.DateTimeField(allow_null=True, help_text="The SLA instant that matters now.")
    sla_state = serializers.ChoiceField(
        choices=["ok", "warning", "breached"], allow_null=True, help_text="None: no SLA clock running."
    )

    class Meta:
        ref_name = "Ticket"

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        data = {name: getattr(ticket, name) for name in ("id", "number", "subject", "channel", "status")}
        data.update(
            {
                "priority": ticket.priority,
                "category": _ref(ticket.category),
                "customer": _ref(ticket.customer),
                "team": _ref(ticket.team),
                "assignee": _ref(ticket.assignee),
                "version": ticket.version,
                "merged_into": ticket.merged_into_id,
                "sla_due_at": ticket_next_due(ticket),
                "sla_state": ticket_sla_state(ticket),
            }
        )
        for name in (
            "created_at",
            "updated_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "first_response_due_at",
            "resolution_due_at",
        ):
            data[name] = getattr(ticket, name)
        return _dates(data)


def _dates(data: dict[str, Any]) -> dict[str, Any]:
    """Datetimes as ISO 8601 strings, the way DRF's DateTimeField renders them (`_iso`)."""
    zone = timezone.get_current_timezone()
    return {key: _iso(value, zone) if isinstance(value, datetime) else value for key, value in data.items()}


_ROW_DATES = (
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
)


def _iso(value: datetime | None, zone: tzinfo) -> str | None:
    """A datetime as DRF's DateTimeField writes it (ISO 8601 in the current zone, "Z" for UTC)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_rows_output(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`TicketOutputSerializer`'s output for rows of `ticket_list_rows`, built from the plain values
    (the same keys and values; a test holds the two together)."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    out = []
    for values in rows:
        row = TicketRow(values)
        assignee_id = row["assignee_id"]
        if assignee_id is None:
            assignee = None
        else:
            full_name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
            assignee = {"id": assignee_id, "name": full_name or row["assignee__username"]}
        data = {
            "id": row["id"],
            "number": f"T-{row['id']}",
            "subject": row["subject"],
            "channel": row["channel"],
            "status": row["status"],
            "priority": row["priority"],
            "category": None
            if row["category_id"] is None
            else {"id": row["category_id"], "name": row["category__name"]},
            "customer": None
            if row["customer_id"] is None
            else {"id": row["customer_id"], "name": row["customer__name"]},
            "team": None if row["team_id"] is None else {"id": row["team_id"], "name": row["team__name"]},
            "assignee": assignee,
            "version": row["version"],
            "merged_into": row["merged_into_id"],
            "sla_due_at": _iso(ticket_next_due(row), zone),
            "sla_state": ticket_sla_state(row, now),
        }
        for name in _ROW_DATES:
            data[name] = _iso(row[name], zone)
        out.append(data)
    return out


class SlaClockSerializer(serializers.Serializer):
    clock = serializers.ChoiceField(choices=["first_response", "resolution"])
    state = serializers.ChoiceField(choices=["met", "breached", "warning", "paused", "running"])
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "SlaClock"


class TicketDetailOutputSerializer(TicketOutputSerializer):
    description = serializers.CharField()
    watchers = RefSerializer(many=True)
    sla_policy = RefSerializer(allow_null=True)
    sla = SlaClockSerializer(many=True, help_text="Each SLA clock the ticket's policy runs.")

    class Meta:
        ref_name = "TicketDetail"

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        data = super().to_representation(ticket)
        data["description"] = ticket.description
        data["watchers"] = [_ref(user) for user in ticket_watchers(ticket=ticket)]
        data["sla_policy"] = _ref(ticket.sla_policy)
        data["sla"] = [
            _dates({key: clock[key] for key in ("clock", "state", "due_at", "done_at")})
            for clock in ticket_sla_clocks(ticket)
        ]
        return data


# --- input helpers ---------------------------------------------------------------------------------
def _resolve(model: type[Model], pk: int | None, field_name: str) -> Model | None:
    """The object with `pk`, None for None; ApplicationError naming the field when there is none."""
    if pk is None:
        return None
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise ApplicationError(
            _("No such %(what)s: %(id)s.") % {"what": field_name, "id": pk},
            fields={field_name: [_("Does not exist.")]},
        )
    return obj


RELATED_MODELS: dict[str, Any] = {"customer": Customer, "category": Category, "team": Team}


def _related(data: dict[str, Any]) -> dict[str, Any]:
    """Replace related ids in validated input by objects."""
    out = dict(data)
    for name in ("customer", "category", "team", "assignee"):
        if name in out:
            model = get_user_model() if name == "assignee" else RELATED_MODELS[name]
            out[name] = _resolve(model, out[name], name)
    return out


# --- list and create -------------------------------------------------------------------------------
class TicketListApi(APIView):
    permission_classes = [VIEW_TICKETS]
    # Not used by APIView itself: tells the schema that the list comes in cursor pages.
    pagination_class = TicketCursorPagination

    class FilterSerializer(serializers.Serializer):
        view = serializers.ChoiceField(choices=list(SAVED_VIEWS), default="all")
        status = serializers.CharField(required=False, help_text="One status or several, comma-separated.")
        priority = serializers.ChoiceField(choices=Priority.choices, required=False)
        channel = serializers.ChoiceField(choices=Channel.choices, required=False)
        assignee = serializers.RegexField(
            r"^(me|none|\d+)$", required=False, help_text="A user id, me or none."
        )
        team = serializers.RegexField(r"^(none|\d+)$", required=False, help_text="A team id or none.")
        customer = serializers.IntegerField(required=False)
        category = serializers.IntegerField(required=False)
        q = serializers.CharField(
            required=False, max_length=200, help_text="Subject text or a number (T-123)."
        )

        class Meta:
            ref_name = "TicketFilter"

        def validate_status(self, value: str) -> list[str]:
            statuses = [part.strip() for part in value.split(",") if part.strip()]
            unknown = [part for part in statuses if part not in Status.values]
            if unknown:
                raise serializers.ValidationError(
                    _("Unknown status: %(names)s.") % {"names": ", ".join(unknown)}
                )
            return statuses

    class InputSerializer(serializers.Serializer):
        subject = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
        priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
        customer = serializers.IntegerField(required=False, allow_null=True, default=None)
        category = serializers.IntegerField(required=False, allow_null=True, default=None)
        team = serializers.IntegerField(required=False, allow_null=True, default=None)
        assignee = serializers.IntegerField(required=False, allow_null=True, default=None)
        call_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)

        class Meta:
            ref_name = "TicketCreate"

    @extend_schema(
        parameters=[
            FilterSerializer,
            OpenApiParameter("cursor", str, description="From `next` or `previous` of the last page."),
            OpenApiParameter("page_size", int, description="Up to 200; 50 by default."),
        ],
        responses=TicketOutputSerializer(many=True),
        summary="Tickets I may see, in a saved view, filtered, newest first (cursor pages)",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        view = data.pop("view")
        queryset = ticket_list_rows(user=request.user, view=view, filters=data)
        paginator = TicketCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ticket_rows_output(page))

    @extend_schema(
        request=InputSerializer, responses={201: TicketDetailOutputSerializer}, summary="Open a ticket"
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_create(actor=request.user, **_related(serializer.validated_data))
        return Response(TicketDetailOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)


# --- one ticket ------------------------------------------------------------------------------------
class TicketDetailApi(APIView):
    permission_classes = [VIEW_TICKETS]

    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(help_text="The version you read; a stale one gets 409.")
        subject = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        channel = serializers.ChoiceField(choices=Channel.choices, required=False)
        status = serializers.ChoiceField(choices=Status.choices, required=False)
        priority = serializers.ChoiceField(choices=Priority.choices, required=False)
        customer = serializers.IntegerField(required=False, allow_null=True)
        category = serializers.IntegerField(required=False, allow_null=True)
        team = serializers.IntegerField(required=False, allow_null=True)
        assignee = serializers.IntegerField(required=False, allow_null=True)

        class Meta:
            ref_name = "TicketUpdate"

    @extend_schema(
        responses=TicketDetailOutputSerializer, summary="One ticket (404 if it is not one you may see)"
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        return Response(TicketDetailOutputSerializer(ticket).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: TicketDetailOutputSerializer},
        summary="Change a ticket; 409 when someone changed it since the version you read",
    )
    def patch(self, request: Request, ticket_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = _related(serializer.validated_data)
        version = changes.pop("version")
        services.ticket_update(ticket_id=ticket_id, actor=request.user, version=version, **changes)
        ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        return Response(TicketDetailOutputSerializer(ticket).data)


class TicketCommentApi(APIView):
    permission_classes = [CHANGE_TICKETS]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField()
        internal = serializers.BooleanField(default=True, help_text="True: a note only staff see.")

        class Meta:
            ref_name = "TicketCommentCreate"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        body = serializers.CharField()
        internal = serializers.BooleanField()
        author = serializers.IntegerField(source="author_id")
        created_at = serializers.DateTimeField()

        class Meta:
            ref_name = "TicketComment"

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="Add an internal note or a reply to the customer",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.ticket_comment_add(
            ticket_id=ticket_id, actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(comment).data, status=status.HTTP_201_CREATED)


class TicketTimelineApi(APIView):
    permission_classes = [VIEW_TICKETS]

    class OutputSerializer(serializers.Serializer):
        class ChangeSerializer(serializers.Serializer):
            field = serializers.CharField()
            label = serializers.CharField()
            before = serializers.JSONField(allow_null=True)
            after = serializers.JSONField(allow_null=True)
            before_display = serializers.CharField()
            after_display = serializers.CharField()

        type = serializers.ChoiceField(choices=["event", "comment"])
        at = serializers.DateTimeField()
        actor = serializers.CharField()
        kind = serializers.CharField(required=False, help_text="Events only.")
        title = serializers.CharField(required=False, help_text="Events only.")
        changes = ChangeSerializer(many=True, required=False)
        id = serializers.IntegerField(required=False, help_text="Comments only.")
        body = serializers.CharField(required=False)
        internal = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "TicketTimelineEntry"

    @extend_schema(responses=OutputSerializer(many=True), summary="Every change and comment, oldest first")
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        return Response(self.OutputSerializer(ticket_timeline(ticket=ticket), many=True).data)


class TicketMergeApi(APIView):
    permission_classes = [CHANGE_TICKETS]

    class InputSerializer(serializers.Serializer):
        into = serializers.IntegerField(help_text="The ticket that stays.")
        allow_other_customer = serializers.BooleanField(
            default=False, help_text="True to merge tickets of different customers on purpose."
        )

        class Meta:
            ref_name = "TicketMerge"

    @extend_schema(
        request=InputSerializer,
        responses=TicketDetailOutputSerializer,
        summary="Merge this duplicate into another ticket; returns the ticket that stays",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = services.ticket_merge(
            source_id=ticket_id,
            target_id=data["into"],
            actor=request.user,
            allow_other_customer=data["allow_other_customer"],
        )
        return Response(
            TicketDetailOutputSerializer(ticket_get_for_user(user=request.user, ticket_id=target.pk)).data
        )


class TicketBulkApi(APIView):
    permission_classes = [CHANGE_TICKETS]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
        action = serializers.ChoiceField(choices=list(services.BULK_ACTIONS))
        value = serializers.JSONField(
            allow_null=True,
            help_text="assign: user id or null; status: a status; priority: 1-4; team: team id or null.",
        )

        class Meta:
            ref_name = "TicketBulk"

    class OutputSerializer(serializers.Serializer):
        class SkippedSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            reason = serializers.CharField()

        updated = serializers.ListField(child=serializers.IntegerField())
        skipped = SkippedSerializer(many=True)

        class Meta:
            ref_name = "TicketBulkResult"

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        summary="One action on many tickets; those I may not change are skipped with the reason",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.tickets_bulk_update(actor=request.user, **serializer.validated_data)
        data = {
            "updated": result.updated,
            "skipped": [{"id": pk, "reason": reason} for pk, reason in result.skipped.items()],
        }
        return Response(self.OutputSerializer(data).data)


class TicketWatchersApi(APIView):
    permission_classes = [VIEW_TICKETS]

    class InputSerializer(serializers.Serializer):
        user = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="Default: me."
        )

        class Meta:
            ref_name = "TicketWatcher"

    class OutputSerializer(serializers.Serializer):
        watchers = RefSerializer(many=True)

        class Meta:
            ref_name = "TicketWatchers"

    def _change(self, request: Request, ticket_id: int, service: Any) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _resolve(get_user_model(), serializer.validated_data["user"], "user")
        ticket = service(ticket_id=ticket_id, actor=request.user, user=user)
        return Response({"watchers": [_ref(watcher) for watcher in ticket_watchers(ticket=ticket)]})

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, summary="Watch a ticket (me or someone)"
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        return self._change(request, ticket_id, services.ticket_watch)

    @extend_schema(request=InputSerializer, responses=OutputSerializer, summary="Stop watching a ticket")
    def delete(self, request: Request, ticket_id: int) -> Response:
        return self._change(request, ticket_id, services.ticket_unwatch)


urlpatterns = [
    path("tickets/", TicketListApi.as_view(), name="api-tickets"),
    path("tickets/bulk/", TicketBulkApi.as_view(), name="api-tickets-bulk"),
    path("tickets/<int:ticket_id>/", TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", TicketCommentApi.as_view(), name="api-ticket-comments"),
    path("tickets/<int:ticket_id>/timeline/", TicketTimelineApi.as_view(), name="api-ticket-timeline"),
    path("tickets/<int:ticket_id>/merge/", TicketMergeApi.as_view(), name="api-ticket-merge"),
    path("tickets/<int:ticket_id>/watchers/", TicketWatchersApi.as_view(), name="api-ticket-watchers"),
]
