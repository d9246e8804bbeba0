"""IVR APIs (what the builder calls): read and save a flow's draft, publish it, roll back, dialplan.
Thin: validate → service → serialize; domain errors become JSON in callcenter.errors."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.permissions import api_permission
from telephony.ivr import services
from telephony.ivr.graph import Validation
from telephony.ivr.selectors import ivr_versions
from telephony.models import IvrFlow

CONFIGURE = api_permission("callcenter.use_admin_console")


class IssueSerializer(serializers.Serializer):
    node = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class ValidationOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    errors = IssueSerializer(many=True)
    warnings = IssueSerializer(many=True)


def _validation(result: Validation) -> dict:
    return {
        "ok": result.ok,
        "errors": [issue.as_dict() for issue in result.errors],
        "warnings": [issue.as_dict() for issue in result.warnings],
    }


class DraftOutputSerializer(serializers.Serializer):
    flow = serializers.IntegerField()
    revision = serializers.IntegerField()
    graph = serializers.JSONField()
    validation = ValidationOutputSerializer()


class VersionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    note = serializers.CharField()
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(source="published_by.username", default="")
    based_on = serializers.IntegerField(source="based_on.number", default=None)


class IvrDraftApi(APIView):
    permission_classes = [CONFIGURE]

    class InputSerializer(serializers.Serializer):
        revision = serializers.IntegerField(
            help_text="The draft revision you started from; a stale one gets 409."
        )
        graph = serializers.JSONField(help_text="The flow: {start, nodes: {id: node}} (see the README).")

        class Meta:
            ref_name = "IvrDraftSave"

    @extend_schema(
        responses=DraftOutputSerializer, summary="The flow's draft (a copy of the published version when new)"
    )
    def get(self, request: Request, flow_id: int) -> Response:
        draft = services.ivr_draft_open(actor=request.user, flow_id=flow_id)
        result = services.ivr_validate_stored(draft.graph)
        body = {
            "flow": flow_id,
            "revision": draft.revision,
            "graph": draft.graph,
            "validation": _validation(result),
        }
        return Response(DraftOutputSerializer(body).data)

    @extend_schema(
        request=InputSerializer,
        responses=DraftOutputSerializer,
        summary="Save the draft; returns its new revision and what still stops it from being published",
    )
    def put(self, request: Request, flow_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft, result = services.ivr_draft_save(
            actor=request.user, flow_id=flow_id, **serializer.validated_data
        )
        body = {
            "flow": flow_id,
            "revision": draft.revision,
            "graph": draft.graph,
            "validation": _validation(result),
        }
        return Response(DraftOutputSerializer(body).data)


class IvrPublishApi(APIView):
    permission_classes = [CONFIGURE]

    class InputSerializer(serializers.Serializer):
        revision = serializers.IntegerField(help_text="The draft revision you checked.")
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "IvrPublish"

    @extend_schema(
        request=InputSerializer,
        responses={201: VersionOutputSerializer},
        summary="Publish the draft (400 with error.fields.issues when it breaks a rule)",
    )
    def post(self, request: Request, flow_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.ivr_publish(actor=request.user, flow_id=flow_id, **serializer.validated_data)
        return Response(VersionOutputSerializer(version).data, status=status.HTTP_201_CREATED)


class IvrVersionListApi(APIView):
    permission_classes = [CONFIGURE]

    @extend_schema(responses=VersionOutputSerializer(many=True), summary="Published versions, newest first")
    def get(self, request: Request, flow_id: int) -> Response:
        flow = get_object_or_404(IvrFlow, pk=flow_id)
        return Response(VersionOutputSerializer(ivr_versions(flow=flow), many=True).data)


class IvrRollbackApi(APIView):
    permission_classes = [CONFIGURE]

    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(help_text="The id of the published version to bring back.")
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "IvrRollback"

    @extend_schema(
        request=InputSerializer,
        responses={201: VersionOutputSerializer},
        summary="Publish a copy of an earlier version as a new version",
    )
    def post(self, request: Request, flow_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.ivr_rollback(
            actor=request.user,
            flow_id=flow_id,
            version_id=serializer.validated_data["version"],
            note=serializer.validated_data["note"],
        )
        return Response(VersionOutputSerializer(version).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("ivr/flows/<int:flow_id>/draft", IvrDraftApi.as_view(), name="api-ivr-draft"),
    path("ivr/flows/<int:flow_id>/publish", IvrPublishApi.as_view(), name="api-ivr-publish"),
    path("ivr/flows/<int:flow_id>/versions", IvrVersionListApi.as_view(), name="api-ivr-versions"),
    path("ivr/flows/<int:flow_id>/rollback", IvrRollbackApi.as_view(), name="api-ivr-rollback"),
]
