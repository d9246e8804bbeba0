"""The feed ingest API: POST /api/telephony/events."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from telephony.acd import acd_commands_take
from telephony.feeds import batch_parse, feed_authenticate
from telephony.live import ingest_effects_publish
from telephony.services import MAX_BATCH, call_events_ingest


class EventIngestApi(APIView):
    # The feed authenticates with its own secret, checked in the view: no user session or token.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    class OutputSerializer(serializers.Serializer):
        class RejectedSerializer(serializers.Serializer):
            index = serializers.IntegerField()
            error = serializers.CharField()

        accepted = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        rejected = RejectedSerializer(many=True)

        class Meta:
            ref_name = "IngestResult"

    @extend_schema(
        summary="Ingest a batch of call events (JSON array or NDJSON, up to 5,000)",
        description=(
            "Authenticate with `Authorization: Bearer <feed secret>`, or `X-Feed-Source` plus "
            "`X-Feed-Signature: sha256=<HMAC-SHA256 of the body>`. Each event is validated on its own; "
            "duplicates are counted and ignored; invalid events are quarantined and listed by index."
        ),
        request={"application/json": OpenApiTypes.OBJECT, "application/x-ndjson": OpenApiTypes.STR},
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="The body is not JSON"),
            401: OpenApiResponse(description="Unknown or inactive feed, bad token or signature"),
            413: OpenApiResponse(description="More than 5,000 events"),
        },
        examples=[
            OpenApiExample(
                "One call queued",
                value=[
                    {
                        "source": "pbx1",
                        "event_id": "e1",
                        "ts": "2026-11-23T09:15:00Z",
                        "type": "call.queued",
                        "call_id": "c1",
                        "queue": "sales",
                        "caller": "+14155550123",
                    }
                ],
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        source = feed_authenticate(request._request)
        events, bad_lines = batch_parse(request.body, request.content_type or "", limit=MAX_BATCH)
        result = call_events_ingest(source=source, raw_events=events, prevalidated=bad_lines)
        ingest_effects_publish(result)
        return Response(self.OutputSerializer(result.as_response()).data)


class AcdCommandsApi(APIView):
    """The ACD's side of desktop actions: it takes pending commands and reports results as events."""

    authentication_classes = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class CommandSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            agent = serializers.CharField(source="agent_code")
            action = serializers.CharField()
            call_id = serializers.CharField()
            data = serializers.DictField()
            created_at = serializers.DateTimeField()

        commands = CommandSerializer(many=True)

        class Meta:
            ref_name = "AcdCommands"

    @extend_schema(
        summary="Take the pending commands for this feed's ACD (each is handed out once)",
        description=(
            "Authenticate like the ingest API (`Authorization: Bearer <feed secret>`). Actions: login, "
            "logout, state (data: state, reason), answer, hold, unhold, transfer (data: to_queue), hangup, "
            "wrapup_end, dial (data: number, callback_id). Report outcomes as feed events."
        ),
        request=None,
        responses={200: OutputSerializer, 401: OpenApiResponse(description="Bad feed token")},
    )
    def post(self, request: Request) -> Response:
        source = feed_authenticate(request._request)
        commands = acd_commands_take(source=source)
        return Response(self.OutputSerializer({"commands": commands}).data)
