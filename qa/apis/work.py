"""QA work APIs: search calls to score, run the sampling now and read or change its rules, and the
evaluation scores for reports (the same rows the KPI rollups take)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qa.apis.common import PersonSerializer, any_permission, person
from qa.selectors import call_search, evaluation_scores, sampling_policy
from qa.services.common import EVALUATE, MANAGE
from qa.services.sampling import POLICY_FIELDS, calls_sample, sampling_policy_update

STAFF = any_permission(EVALUATE, MANAGE)


class CallPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CallSearchApi(APIView):
    permission_classes = [STAFF]
    # Not used by APIView itself: tells the schema that the list comes in cursor pages.
    pagination_class = CallPagination

    class FilterSerializer(serializers.Serializer):
        agent = serializers.IntegerField(required=False, help_text="User id.")
        queue = serializers.IntegerField(required=False, help_text="Queue id.")
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        disposition = serializers.CharField(required=False, max_length=40)
        min_talk_s = serializers.IntegerField(required=False, min_value=0)
        max_talk_s = serializers.IntegerField(required=False, min_value=0)
        recorded = serializers.BooleanField(required=False, allow_null=True, default=None)
        csat_max = serializers.IntegerField(required=False, min_value=1, max_value=5)
        evaluated = serializers.BooleanField(required=False, allow_null=True, default=None)
        q = serializers.CharField(required=False, max_length=128, help_text="Call id or phone number.")

        class Meta:
            ref_name = "QaCallFilter"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        call_id = serializers.CharField()
        queue = serializers.CharField(allow_null=True)
        agent = PersonSerializer(allow_null=True)
        agent_code = serializers.CharField()
        answered_at = serializers.DateTimeField()
        talk_s = serializers.FloatField(allow_null=True)
        hold_s = serializers.FloatField(allow_null=True)
        transfers = serializers.IntegerField()
        csat = serializers.IntegerField(allow_null=True)
        recorded = serializers.BooleanField()
        evaluation = serializers.IntegerField(allow_null=True)
        evaluation_status = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "QaCall"

        def to_representation(self, call: Any) -> dict[str, Any]:
            return {
                "id": call.pk,
                "call_id": call.call_id,
                "queue": call.queue.name if call.queue else None,
                "agent": person(call.agent),
                "agent_code": call.agent_code,
                "answered_at": serializers.DateTimeField().to_representation(call.answered_at),
                "talk_s": call.talk_s,
                "hold_s": call.hold_s,
                "transfers": call.transfers,
                "csat": call.csat,
                "recorded": bool(call.recording_url),
                "evaluation": call.qa_evaluation_id,
                "evaluation_status": call.qa_status,
            }

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=OutputSerializer(many=True),
        summary="Answered calls to pick for scoring, newest first (cursor pages)",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = CallPagination()
        page = paginator.paginate_queryset(
            call_search(filters=dict(filters.validated_data)), request, view=self
        )
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class PolicySerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    random_per_agent_week = serializers.IntegerField(required=False, min_value=0)
    csat_at_most = serializers.IntegerField(required=False, min_value=0, max_value=5)
    long_hold_s = serializers.IntegerField(required=False, min_value=0)
    transfers = serializers.BooleanField(required=False)
    lookback_days = serializers.IntegerField(required=False, min_value=1, max_value=60)
    settle_minutes = serializers.IntegerField(required=False, min_value=0)
    dispute_days = serializers.IntegerField(required=False, min_value=0, max_value=365)
    max_per_agent_week = serializers.IntegerField(
        required=False, min_value=1, max_value=1_000, help_text="Cap over every rule, per agent and week."
    )
    max_per_run = serializers.IntegerField(
        required=False, min_value=1, max_value=100_000, help_text="Cap on new evaluations per run."
    )

    class Meta:
        ref_name = "QaSamplingPolicy"


class SamplingPolicyApi(APIView):
    permission_classes = [any_permission(MANAGE)]

    @extend_schema(responses=PolicySerializer, summary="The sampling rules")
    def get(self, request: Request) -> Response:
        policy = sampling_policy()
        return Response({name: getattr(policy, name) for name in POLICY_FIELDS})

    @extend_schema(request=PolicySerializer, responses=PolicySerializer, summary="Change the sampling rules")
    def patch(self, request: Request) -> Response:
        serializer = PolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = sampling_policy_update(actor=request.user, **serializer.validated_data)
        return Response({name: getattr(policy, name) for name in POLICY_FIELDS})


class SamplingRunApi(APIView):
    permission_classes = [any_permission(MANAGE)]

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        by_reason = serializers.DictField(child=serializers.IntegerField())
        assigned = serializers.DictField(child=serializers.IntegerField(), help_text="Username → new items.")
        unassigned = serializers.IntegerField()
        run_cap_reached = serializers.BooleanField(help_text="Stopped at max_per_run; more wait.")

        class Meta:
            ref_name = "QaSamplingResult"

    @extend_schema(
        request=None, responses=OutputSerializer, summary="Sample calls now (as the beat task does)"
    )
    def post(self, request: Request) -> Response:
        return Response(calls_sample(now=timezone.now()).as_dict())


class ScoresApi(APIView):
    """The rows of qa.selectors.evaluation_scores, for reports and the KPI rollups."""

    permission_classes = [any_permission(MANAGE, "callcenter.view_reports")]

    class FilterSerializer(serializers.Serializer):
        date_from = serializers.DateField(help_text="First local day (the call center's zone).")
        date_to = serializers.DateField(help_text="Last local day, included.")

        class Meta:
            ref_name = "QaScoresFilter"

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["date_to"] < data["date_from"]:
                raise serializers.ValidationError({"date_to": "Must not be before date_from."})
            if (data["date_to"] - data["date_from"]).days > 366:
                raise serializers.ValidationError({"date_to": "At most a year at a time."})
            return data

    class OutputSerializer(serializers.Serializer):
        evaluation_id = serializers.IntegerField()
        call_id = serializers.IntegerField()
        score = serializers.FloatField()
        agent_id = serializers.IntegerField(allow_null=True)
        agent_code = serializers.CharField()
        queue_id = serializers.IntegerField(allow_null=True)
        queue = serializers.CharField()
        team_ids = serializers.ListField(child=serializers.IntegerField())
        at = serializers.DateTimeField()
        day = serializers.DateField()
        submitted_at = serializers.DateTimeField()

        class Meta:
            ref_name = "QaScore"

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        summary="Submitted evaluation scores by the day their call belongs to",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(filters.validated_data["date_from"], time.min, zone)
        end = datetime.combine(filters.validated_data["date_to"] + timedelta(days=1), time.min, zone)
        return Response(self.OutputSerializer(evaluation_scores(start=start, end=end), many=True).data)


urlpatterns = [
    path("calls/", CallSearchApi.as_view(), name="api-qa-calls"),
    path("sampling/policy/", SamplingPolicyApi.as_view(), name="api-qa-sampling-policy"),
    path("sampling/run/", SamplingRunApi.as_view(), name="api-qa-sampling-run"),
    path("scores/", ScoresApi.as_view(), name="api-qa-scores"),
]
