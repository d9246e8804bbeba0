"""Scorecard APIs: list and create (QA leads), read one with its current questions, save it
(changed questions of a scorecard in use make a new version)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.errors import NotFoundError
from qa.apis.common import any_permission
from qa.models import CriterionKind, Scorecard
from qa.selectors import scorecard_definition, scorecard_list
from qa.services.common import EVALUATE, MANAGE
from qa.services.scorecards import scorecard_create, scorecard_update

STAFF = any_permission(EVALUATE, MANAGE)


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(
        required=False, allow_blank=True, help_text="Keep it to track a question across versions."
    )
    label = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=CriterionKind.choices, default=CriterionKind.YES_NO)
    scale_max = serializers.IntegerField(required=False, help_text="Scale questions: 2-10.")
    weight = serializers.IntegerField(default=1)
    allow_na = serializers.BooleanField(default=False)
    required = serializers.BooleanField(default=True)
    auto_fail = serializers.BooleanField(default=False, help_text="Yes/no only: a no zeroes the evaluation.")
    guidance = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "QaCriterion"


class SectionSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    criteria = CriterionSerializer(many=True)

    class Meta:
        ref_name = "QaSection"


class ScorecardInputSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    queues = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    active = serializers.BooleanField(default=True)
    pass_percent = serializers.IntegerField(default=80)
    sections = SectionSerializer(many=True)

    class Meta:
        ref_name = "QaScorecardInput"


class ScorecardOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    active = serializers.BooleanField()
    queues = serializers.ListField(child=serializers.IntegerField())
    version = serializers.IntegerField(allow_null=True)
    pass_percent = serializers.IntegerField(allow_null=True)
    sections = SectionSerializer(many=True, required=False)

    class Meta:
        ref_name = "QaScorecard"


def _out(scorecard: Scorecard, *, with_questions: bool) -> dict[str, Any]:
    version = scorecard.current_version
    data: dict[str, Any] = {
        "id": scorecard.pk,
        "name": scorecard.name,
        "description": scorecard.description,
        "active": scorecard.active,
        "queues": [queue.pk for queue in scorecard.queues.all()],
        "version": version.number if version else None,
        "pass_percent": version.pass_percent if version else None,
    }
    if with_questions and version:
        definition = scorecard_definition(version)
        data["sections"] = [
            {"title": s.title, "criteria": [dict(c.__dict__) for c in s.criteria]}
            for s in definition.sections
        ]
    return data


def _service_args(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "description": data["description"],
        "queue_ids": data["queues"],
        "active": data["active"],
        "definition": {"pass_percent": data["pass_percent"], "sections": data["sections"]},
    }


class ScorecardListApi(APIView):
    permission_classes = [STAFF]

    @extend_schema(
        responses=ScorecardOutputSerializer(many=True), summary="Scorecards (current version numbers)"
    )
    def get(self, request: Request) -> Response:
        return Response([_out(s, with_questions=False) for s in scorecard_list()])

    @extend_schema(
        request=ScorecardInputSerializer,
        responses={201: ScorecardOutputSerializer},
        summary="Build a scorecard",
    )
    def post(self, request: Request) -> Response:
        serializer = ScorecardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scorecard = scorecard_create(actor=request.user, **_service_args(serializer.validated_data))
        return Response(_out(scorecard, with_questions=True), status=status.HTTP_201_CREATED)


class ScorecardDetailApi(APIView):
    permission_classes = [STAFF]

    def _get(self, scorecard_id: int) -> Scorecard:
        scorecard = Scorecard.objects.select_related("current_version").filter(pk=scorecard_id).first()
        if scorecard is None:
            raise NotFoundError("There is no such scorecard.")
        return scorecard

    @extend_schema(responses=ScorecardOutputSerializer, summary="A scorecard with its current questions")
    def get(self, request: Request, scorecard_id: int) -> Response:
        return Response(_out(self._get(scorecard_id), with_questions=True))

    @extend_schema(
        request=ScorecardInputSerializer,
        responses=ScorecardOutputSerializer,
        summary="Save a scorecard; changed questions of one in use make a new version",
    )
    def put(self, request: Request, scorecard_id: int) -> Response:
        if not request.user.has_perm(MANAGE):
            self.permission_denied(request, message="Only a QA lead may change scorecards.")
        serializer = ScorecardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scorecard = scorecard_update(
            actor=request.user,
            scorecard_id=self._get(scorecard_id).pk,
            **_service_args(serializer.validated_data),
        )
        return Response(_out(self._get(scorecard.pk), with_questions=True))


urlpatterns = [
    path("scorecards/", ScorecardListApi.as_view(), name="api-qa-scorecards"),
    path("scorecards/<int:scorecard_id>/", ScorecardDetailApi.as_view(), name="api-qa-scorecard"),
]
