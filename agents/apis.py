"""Agent desktop APIs: my state, state changes and call actions (sent to the ACD as commands)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import desktop
from callcenter.permissions import api_permission

DeskPermission = api_permission("callcenter.use_agent_desktop")


class AgentNowSerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    call_id = serializers.CharField()
    queue = serializers.CharField()
    pending_state = serializers.CharField()

    class Meta:
        ref_name = "AgentNow"


class CommandSerializer(serializers.Serializer):
    command = serializers.IntegerField(source="pk")
    action = serializers.CharField()
    call_id = serializers.CharField()

    class Meta:
        ref_name = "AcdCommandSent"


class DesktopStateApi(APIView):
    permission_classes = [DeskPermission]

    class InputSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=[str(s) for s in desktop.SELECTABLE_STATES])
        reason = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "DesktopStateSet"

    @extend_schema(responses=AgentNowSerializer, summary="My presence now (state, reason, since, call)")
    def get(self, request: Request) -> Response:
        now = desktop.agent_now(code=desktop.agent_code_for(request.user))
        return Response(AgentNowSerializer(now).data)

    @extend_schema(
        request=InputSerializer,
        responses={202: CommandSerializer, 409: OpenApiResponse(description="Logging out mid-call")},
        summary="Ask the ACD to change my state (logs me in when I am logged out)",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        command = desktop.desktop_state_set(user=request.user, **serializer.validated_data)
        return Response(CommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)


class DesktopCallActionApi(APIView):
    permission_classes = [DeskPermission]

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(desktop.ACTION_AFTER))
        to_queue = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "DesktopCallAction"

    @extend_schema(
        request=InputSerializer,
        responses={202: CommandSerializer, 409: OpenApiResponse(description="Not my call, or out of step")},
        summary="Answer, hold, resume, transfer or hang up my call, or end its wrap-up",
    )
    def post(self, request: Request, call_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        command = desktop.desktop_call_action(user=request.user, call_id=call_id, **serializer.validated_data)
        return Response(CommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)
