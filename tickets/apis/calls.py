"""APIs around calls: dispositions, call scripts, wrap-up logs and callbacks."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.errors import NotFoundError
from callcenter.permissions import api_permission
from tickets.models import Callback, CallLog, Disposition, Priority
from tickets.selectors.calls import call_script_for, callbacks_for_agent, dispositions_active
from tickets.services import calls as services


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["code", "label", "requires_ticket"]


class DispositionListApi(APIView):
    permission_classes = [api_permission("tickets.view_calllog")]

    @extend_schema(responses=DispositionSerializer(many=True), summary="Active disposition codes, in order")
    def get(self, request: Request) -> Response:
        return Response(DispositionSerializer(dispositions_active(), many=True).data)


class CallScriptApi(APIView):
    permission_classes = [api_permission("tickets.view_calllog")]

    class OutputSerializer(serializers.Serializer):
        class StepSerializer(serializers.Serializer):
            order = serializers.IntegerField()
            title = serializers.CharField()
            body = serializers.CharField()

        name = serializers.CharField()
        queue = serializers.CharField()
        direction = serializers.CharField()
        steps = StepSerializer(many=True, source="steps.all")

        class Meta:
            ref_name = "CallScript"

    @extend_schema(
        parameters=[OpenApiParameter("queue", str), OpenApiParameter("direction", str)],
        responses=OutputSerializer,
        summary="The call script for a queue and direction (the most specific active one)",
    )
    def get(self, request: Request) -> Response:
        script = call_script_for(
            queue=request.query_params.get("queue", ""),
            direction=request.query_params.get("direction", "inbound"),
        )
        if script is None:
            raise NotFoundError("No active script for this queue and direction.")
        return Response(self.OutputSerializer(script).data)


class CallLogSerializer(serializers.ModelSerializer):
    disposition = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CallLog
        fields = [
            "id",
            "call_id",
            "agent",
            "customer",
            "ticket",
            "disposition",
            "caller",
            "queue",
            "direction",
            "notes",
            "wrapup_s",
            "created_at",
            "updated_at",
        ]


class CallLogApi(APIView):
    permission_classes = [api_permission("tickets.add_calllog")]

    class InputSerializer(serializers.Serializer):
        class TicketInput(serializers.Serializer):
            subject = serializers.CharField(max_length=200)
            priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
            description = serializers.CharField(required=False, allow_blank=True, default="")

        class CallbackInput(serializers.Serializer):
            due_at = serializers.DateTimeField()
            phone = serializers.CharField(required=False, allow_blank=True, default="")
            notes = serializers.CharField(required=False, allow_blank=True, default="")

        call_id = serializers.CharField(max_length=128)
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        disposition = serializers.CharField(required=False, allow_blank=True, default="")
        customer = serializers.IntegerField(required=False, allow_null=True, default=None)
        ticket = serializers.IntegerField(required=False, allow_null=True, default=None)
        new_ticket = TicketInput(required=False, allow_null=True, default=None)
        callback = CallbackInput(required=False, allow_null=True, default=None)
        caller = serializers.CharField(required=False, allow_blank=True, default="")
        queue = serializers.CharField(required=False, allow_blank=True, default="")
        direction = serializers.ChoiceField(choices=["inbound", "outbound"], default="inbound")
        end_wrapup = serializers.BooleanField(default=True)

        class Meta:
            ref_name = "WrapupSubmit"

    @extend_schema(
        request=InputSerializer,
        responses={201: CallLogSerializer},
        summary="Log my wrap-up of a call: notes, disposition, ticket, callback; ends my wrap-up",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        log = services.call_wrapup_submit(
            agent=request.user,
            call_id=data["call_id"],
            notes=data["notes"],
            disposition_code=data["disposition"],
            customer_id=data["customer"],
            ticket_id=data["ticket"],
            new_ticket=services.NewTicket(**data["new_ticket"]) if data["new_ticket"] else None,
            callback=services.NewCallback(**data["callback"]) if data["callback"] else None,
            caller=data["caller"],
            queue=data["queue"],
            direction=data["direction"],
            end_wrapup=data["end_wrapup"],
        )
        return Response(CallLogSerializer(log).data, status=status.HTTP_201_CREATED)


class CallbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Callback
        fields = [
            "id",
            "customer",
            "phone",
            "due_at",
            "agent",
            "queue",
            "ticket",
            "notes",
            "status",
            "offered_at",
            "completed_at",
            "missed_at",
            "call_id",
            "created_at",
        ]


class CallbackListApi(APIView):
    permission_classes = [api_permission("tickets.view_callback")]

    class ListSerializer(serializers.Serializer):
        due = CallbackSerializer(many=True)
        upcoming = CallbackSerializer(many=True)
        missed = CallbackSerializer(many=True)

        class Meta:
            ref_name = "CallbackList"

    class InputSerializer(serializers.Serializer):
        phone = serializers.CharField(max_length=40)
        due_at = serializers.DateTimeField()
        customer = serializers.IntegerField(required=False, allow_null=True, default=None)
        ticket = serializers.IntegerField(required=False, allow_null=True, default=None)
        queue = serializers.CharField(required=False, allow_blank=True, default="")
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        for_me = serializers.BooleanField(default=True, help_text="False: any agent may take it.")

        class Meta:
            ref_name = "CallbackSchedule"

    @extend_schema(responses=ListSerializer, summary="My callbacks: due now, later today, missed")
    def get(self, request: Request) -> Response:
        listing = callbacks_for_agent(agent=request.user, now=timezone.now())
        return Response(self.ListSerializer(listing).data)

    @extend_schema(
        request=InputSerializer, responses={201: CallbackSerializer}, summary="Schedule a callback"
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("tickets.add_callback"):
            self.permission_denied(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        callback = services.callback_schedule(
            actor=request.user,
            phone=data["phone"],
            due_at=data["due_at"],
            customer_id=data["customer"],
            agent=request.user if data["for_me"] else None,
            queue=data["queue"],
            ticket_id=data["ticket"],
            notes=data["notes"],
        )
        return Response(CallbackSerializer(callback).data, status=status.HTTP_201_CREATED)


class CallbackDialApi(APIView):
    permission_classes = [api_permission("tickets.change_callback")]

    @extend_schema(
        request=None, responses=CallbackSerializer, summary="Dial a callback now (my phone rings first)"
    )
    def post(self, request: Request, callback_id: int) -> Response:
        return Response(
            CallbackSerializer(services.callback_dial(callback_id=callback_id, agent=request.user)).data
        )


class CallbackCancelApi(APIView):
    permission_classes = [api_permission("tickets.change_callback")]

    @extend_schema(
        request=None, responses=CallbackSerializer, summary="Cancel a scheduled or missed callback"
    )
    def post(self, request: Request, callback_id: int) -> Response:
        return Response(
            CallbackSerializer(services.callback_cancel(callback_id=callback_id, actor=request.user)).data
        )


urlpatterns = [
    path("dispositions/", DispositionListApi.as_view(), name="api-dispositions"),
    path("call-scripts/", CallScriptApi.as_view(), name="api-call-script"),
    path("call-logs/", CallLogApi.as_view(), name="api-call-logs"),
    path("callbacks/", CallbackListApi.as_view(), name="api-callbacks"),
    path("callbacks/<int:callback_id>/dial", CallbackDialApi.as_view(), name="api-callback-dial"),
    path("callbacks/<int:callback_id>/cancel", CallbackCancelApi.as_view(), name="api-callback-cancel"),
]
