"""The feed ingest API (POST /api/telephony/events), the ACD's command queue and recording uploads."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.permissions import api_permission, upload_content_length
from telephony.acd import acd_commands_take
from telephony.feeds import batch_parse, feed_authenticate
from telephony.live import ingest_effects_publish
from telephony.services import MAX_BATCH, call_events_ingest
from telephony.uploads import recording_upload, recording_upload_check_size


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


class RecordingUploadApi(APIView):
    """QA and admins upload the recording of a call: WAV or MP3 (told by content), size-limited."""

    permission_classes = [api_permission("qa.evaluate_calls")]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="The recording: WAV (RIFF/WAVE) or MP3, by content.")

        class Meta:
            ref_name = "RecordingUploadInput"

    class OutputSerializer(serializers.Serializer):
        call = serializers.IntegerField()
        kind = serializers.CharField(help_text="wav or mp3, as read from the content.")
        size = serializers.IntegerField()
        duration_s = serializers.FloatField(allow_null=True)
        recording = serializers.CharField(help_text="Where it plays (access-checked).")

        class Meta:
            ref_name = "RecordingUpload"

    @extend_schema(
        summary="Upload the recording of a call (multipart field `file`)",
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(description="No file, empty, or neither WAV nor MP3 by content"),
            404: OpenApiResponse(description="No such call"),
            413: OpenApiResponse(description="Over RECORDING_UPLOAD_MAX_BYTES"),
        },
    )
    def post(self, request: Request, call_id: int) -> Response:
        # Refuse an announced oversize body before reading it.
        recording_upload_check_size(upload_content_length(request))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        stored = recording_upload(call_id=call_id, actor=request.user, upload=upload.file, size=upload.size)
        data = {
            "call": stored.call.pk,
            "kind": stored.kind,
            "size": stored.size,
            "duration_s": stored.duration_s,
            "recording": reverse("qa:recording", args=[stored.call.pk]),
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)
