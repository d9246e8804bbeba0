"""Calibration and coaching APIs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.errors import ApplicationError
from qa.apis.common import PersonSerializer, any_permission, person
from qa.models import CoachingSession, CoachingStatus
from qa.selectors import (
    calibration_get_for_user,
    calibration_results,
    coaching_for_agent,
    coaching_for_coach,
    coaching_get_for_user,
)
from qa.services.calibration import calibration_create
from qa.services.coaching import coaching_complete, coaching_mark_seen, coaching_open, coaching_update
from qa.services.common import COACH, EVALUATE, MANAGE, OWN


class CalibrationOutputSerializer(serializers.Serializer):
    class EntrySerializer(serializers.Serializer):
        evaluation = serializers.IntegerField()
        evaluator = PersonSerializer()
        status = serializers.CharField()
        score = serializers.FloatField(allow_null=True)

    class SpreadSerializer(serializers.Serializer):
        criterion = serializers.IntegerField()
        label = serializers.CharField()
        values = serializers.DictField(
            child=serializers.FloatField(allow_null=True), help_text="Evaluation id → %."
        )
        spread = serializers.FloatField(allow_null=True)
        stdev = serializers.FloatField(allow_null=True)

    id = serializers.IntegerField()
    title = serializers.CharField()
    call = serializers.IntegerField()
    status = serializers.CharField()
    visible = serializers.BooleanField(help_text="False until you submitted yours (blind).")
    evaluations = EntrySerializer(many=True)
    score_spread = serializers.FloatField(allow_null=True)
    criteria = SpreadSerializer(many=True)

    class Meta:
        ref_name = "QaCalibration"


def _calibration(request: Request, session: Any) -> dict[str, Any]:
    results = calibration_results(user=request.user, session=session)
    show = results.visible
    return {
        "id": session.pk,
        "title": session.title,
        "call": session.call_id,
        "status": session.status,
        "visible": show,
        "evaluations": [
            {
                "evaluation": e.pk,
                "evaluator": person(e.evaluator),
                "status": e.status,
                "score": e.score if show or e.evaluator_id == request.user.pk else None,
            }
            for e in results.evaluations
        ],
        "score_spread": results.score_spread if show else None,
        "criteria": [
            {
                "criterion": row.criterion.pk,
                "label": row.criterion.label,
                "values": {str(k): v for k, v in row.values.items()},
                "spread": row.spread,
                "stdev": row.stdev,
            }
            for row in results.criteria
        ]
        if show
        else [],
    }


class CalibrationCreateApi(APIView):
    permission_classes = [any_permission(MANAGE)]

    class InputSerializer(serializers.Serializer):
        call = serializers.IntegerField()
        scorecard = serializers.IntegerField()
        evaluators = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20)
        title = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)

        class Meta:
            ref_name = "QaCalibrationCreate"

    @extend_schema(
        request=InputSerializer,
        responses={201: CalibrationOutputSerializer},
        summary="Open a calibration session on a call",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = calibration_create(
            actor=request.user,
            call_id=data["call"],
            scorecard_id=data["scorecard"],
            evaluator_ids=data["evaluators"],
            title=data["title"],
        )
        return Response(_calibration(request, session), status=status.HTTP_201_CREATED)


class CalibrationDetailApi(APIView):
    permission_classes = [any_permission(EVALUATE, MANAGE)]

    @extend_schema(
        responses=CalibrationOutputSerializer, summary="A session's scores and spread per question"
    )
    def get(self, request: Request, calibration_id: int) -> Response:
        session = calibration_get_for_user(user=request.user, calibration_id=calibration_id)
        return Response(_calibration(request, session))


class CoachingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agent = PersonSerializer()
    coach = PersonSerializer(allow_null=True)
    evaluation = serializers.IntegerField(allow_null=True)
    goals = serializers.CharField()
    notes = serializers.CharField()
    follow_up_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=CoachingStatus.choices)
    outcome = serializers.CharField()
    agent_seen_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "QaCoaching"

    def to_representation(self, session: CoachingSession) -> dict[str, Any]:
        field = serializers.DateTimeField()
        return {
            "id": session.pk,
            "agent": person(session.agent),
            "coach": person(session.coach),
            "evaluation": session.evaluation_id,
            "goals": session.goals,
            "notes": session.notes,
            "follow_up_on": session.follow_up_on.isoformat() if session.follow_up_on else None,
            "status": session.status,
            "outcome": session.outcome,
            "agent_seen_at": field.to_representation(session.agent_seen_at)
            if session.agent_seen_at
            else None,
            "created_at": field.to_representation(session.created_at),
        }


class CoachingListApi(APIView):
    permission_classes = [any_permission(COACH, MANAGE, OWN)]

    class InputSerializer(serializers.Serializer):
        agent = serializers.IntegerField()
        goals = serializers.CharField(allow_blank=True, max_length=8000)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)
        follow_up_on = serializers.DateField(required=False, allow_null=True, default=None)
        evaluation = serializers.IntegerField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "QaCoachingCreate"

    @extend_schema(
        responses=CoachingSerializer(many=True),
        summary="Sessions I coach (follow-ups first), or, for an agent, those I received",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        sessions = coaching_for_coach(user) if user.has_perm(COACH) or user.has_perm(MANAGE) else []
        if not sessions and user.has_perm(OWN):
            sessions = coaching_for_agent(user)
        return Response(CoachingSerializer(sessions, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: CoachingSerializer},
        summary="Open a coaching session for an agent of my team",
    )
    def post(self, request: Request) -> Response:
        if not (request.user.has_perm(COACH) or request.user.has_perm(MANAGE)):
            self.permission_denied(request, message="Only supervisors coach agents.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agent = get_user_model().objects.filter(pk=data.pop("agent"), is_active=True).first()
        if agent is None:
            raise ApplicationError("There is no such agent.", fields={"agent": ["Unknown user."]})
        session = coaching_open(actor=request.user, agent=agent, evaluation_id=data.pop("evaluation"), **data)
        return Response(CoachingSerializer(session).data, status=status.HTTP_201_CREATED)


class CoachingDetailApi(APIView):
    permission_classes = [any_permission(COACH, MANAGE, OWN)]

    class UpdateSerializer(serializers.Serializer):
        goals = serializers.CharField(allow_blank=True, max_length=8000)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)
        follow_up_on = serializers.DateField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "QaCoachingUpdate"

    class ActionSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["complete", "seen"])
        outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)

        class Meta:
            ref_name = "QaCoachingAction"

    @extend_schema(responses=CoachingSerializer, summary="One coaching session")
    def get(self, request: Request, session_id: int) -> Response:
        return Response(
            CoachingSerializer(coaching_get_for_user(user=request.user, session_id=session_id)).data
        )

    @extend_schema(
        request=UpdateSerializer, responses=CoachingSerializer, summary="The coach changes goals, notes, date"
    )
    def put(self, request: Request, session_id: int) -> Response:
        coaching_get_for_user(user=request.user, session_id=session_id)
        serializer = self.UpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = coaching_update(actor=request.user, session_id=session_id, **serializer.validated_data)
        return Response(CoachingSerializer(session).data)

    @extend_schema(
        request=ActionSerializer,
        responses=CoachingSerializer,
        operation_id="qa_coaching_action",
        summary="complete (the coach) or seen (the agent)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        coaching_get_for_user(user=request.user, session_id=session_id)
        serializer = self.ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["action"] == "complete":
            session = coaching_complete(
                actor=request.user, session_id=session_id, outcome=serializer.validated_data["outcome"]
            )
        else:
            session = coaching_mark_seen(actor=request.user, session_id=session_id)
        return Response(CoachingSerializer(session).data)


urlpatterns = [
    path("calibrations/", CalibrationCreateApi.as_view(), name="api-qa-calibrations"),
    path("calibrations/<int:calibration_id>/", CalibrationDetailApi.as_view(), name="api-qa-calibration"),
    path("coaching/", CoachingListApi.as_view(), name="api-qa-coaching"),
    path("coaching/<int:session_id>/", CoachingDetailApi.as_view(), name="api-qa-coaching-session"),
]
