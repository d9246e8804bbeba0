"""Evaluation APIs: list what I may see, start one from a call, read one with its answers and score,
save a draft, submit, comment, acknowledge, dispute, resolve, and the timeline. Errors come from the
services (callcenter.errors): 400 with fields, 403, 404, 409."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qa.apis.common import AnswerInputSerializer, PersonSerializer, any_permission, person
from qa.models import Evaluation, EvaluationStatus
from qa.selectors import (
    evaluation_answers,
    evaluation_comments,
    evaluation_get_for_user,
    evaluation_list,
    evaluation_sheet,
    evaluation_timeline,
)
from qa.services import evaluations as services
from qa.services.common import COACH, EVALUATE, MANAGE, OWN

ANYONE = any_permission(EVALUATE, MANAGE, COACH, OWN)
STAFF = any_permission(EVALUATE, MANAGE)


class EvaluationPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class EvaluationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    call = serializers.IntegerField(source="call_id")
    call_id = serializers.CharField(source="call.call_id", help_text="The PBX's id of the call.")
    agent = PersonSerializer(allow_null=True)
    evaluator = PersonSerializer(allow_null=True)
    scorecard = serializers.IntegerField(allow_null=True)
    scorecard_version = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=EvaluationStatus.choices)
    origin = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    score = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    auto_failed = serializers.BooleanField()
    auto_fail_reason = serializers.CharField()
    recording_missing = serializers.BooleanField()
    calibration = serializers.IntegerField(allow_null=True, source="calibration_id")
    assigned_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "QaEvaluation"

    def to_representation(self, evaluation: Evaluation) -> dict[str, Any]:
        version = evaluation.scorecard_version
        data = {
            "id": evaluation.pk,
            "number": evaluation.number,
            "call": evaluation.call_id,
            "call_id": evaluation.call.call_id,
            "agent": person(evaluation.agent),
            "evaluator": person(evaluation.evaluator),
            "scorecard": version.scorecard_id if version else None,
            "scorecard_version": version.number if version else None,
            "status": evaluation.status,
            "origin": evaluation.origin,
            "reasons": list(evaluation.reasons),
            "score": evaluation.score,
            "passed": evaluation.passed,
            "auto_failed": evaluation.auto_failed,
            "auto_fail_reason": evaluation.auto_fail_reason,
            "recording_missing": evaluation.recording_missing,
            "calibration": evaluation.calibration_id,
        }
        field = serializers.DateTimeField()
        for name in ("assigned_at", "submitted_at"):
            value = getattr(evaluation, name)
            data[name] = field.to_representation(value) if value else None
        return data


class EvaluationDetailOutputSerializer(EvaluationOutputSerializer):
    class AnswerSerializer(serializers.Serializer):
        criterion = serializers.IntegerField()
        label = serializers.CharField()
        section = serializers.CharField()
        value = serializers.IntegerField(allow_null=True)
        na = serializers.BooleanField()
        max = serializers.IntegerField()
        comment = serializers.CharField()

    summary = serializers.CharField()
    answers = AnswerSerializer(many=True)
    sections = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Percent per section title."
    )

    class Meta:
        ref_name = "QaEvaluationDetail"

    def to_representation(self, evaluation: Evaluation) -> dict[str, Any]:
        data = super().to_representation(evaluation)
        sheet = evaluation_sheet(evaluation)
        answers = evaluation_answers(evaluation)
        data["summary"] = evaluation.summary
        data["answers"] = [
            {
                "criterion": q.criterion.pk,
                "label": q.criterion.label,
                "section": block.section.title,
                "value": answers[q.criterion.pk].value if q.criterion.pk in answers else None,
                "na": answers[q.criterion.pk].na if q.criterion.pk in answers else False,
                "max": q.criterion.max_points,
                "comment": answers[q.criterion.pk].comment if q.criterion.pk in answers else "",
            }
            for block in sheet.sections
            for q in block.questions
        ]
        data["sections"] = {block.section.title: block.score for block in sheet.sections}
        return data


def _detail(request: Request, evaluation_id: int) -> Response:
    evaluation = evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
    return Response(EvaluationDetailOutputSerializer(evaluation).data)


class EvaluationListApi(APIView):
    permission_classes = [ANYONE]
    # Not used by APIView itself: tells the schema that the list comes in cursor pages.
    pagination_class = EvaluationPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=EvaluationStatus.choices, required=False)
        agent = serializers.IntegerField(required=False)
        evaluator = serializers.IntegerField(required=False)
        queue = serializers.IntegerField(required=False)
        scorecard = serializers.IntegerField(required=False)
        date_from = serializers.DateField(required=False, help_text="Calls answered from this local day.")
        date_to = serializers.DateField(required=False)
        mine = serializers.BooleanField(required=False, help_text="Only those assigned to me.")

        class Meta:
            ref_name = "QaEvaluationFilter"

    class StartSerializer(serializers.Serializer):
        call = serializers.IntegerField(help_text="The call's id in this platform (not the PBX id).")
        scorecard = serializers.IntegerField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "QaEvaluationStart"

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=EvaluationOutputSerializer(many=True),
        summary="Evaluations I may see, newest first (cursor pages)",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        mine = data.pop("mine", False)
        if mine:
            data["evaluator"] = request.user.pk
        queryset = evaluation_list(user=request.user, filters=data)
        paginator = EvaluationPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(EvaluationOutputSerializer(page, many=True).data)

    @extend_schema(
        request=StartSerializer,
        responses={201: EvaluationOutputSerializer},
        summary="Score a call: its evaluation, assigned to me unless someone is scoring it",
    )
    def post(self, request: Request) -> Response:
        if not (request.user.has_perm(EVALUATE) or request.user.has_perm(MANAGE)):
            self.permission_denied(request, message="Only QA staff may score calls.")
        serializer = self.StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation = services.evaluation_start(
            actor=request.user,
            call_id=serializer.validated_data["call"],
            scorecard_id=serializer.validated_data["scorecard"],
        )
        evaluation = evaluation_get_for_user(user=request.user, evaluation_id=evaluation.pk)
        return Response(EvaluationOutputSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class EvaluationDetailApi(APIView):
    permission_classes = [ANYONE]

    @extend_schema(
        responses=EvaluationDetailOutputSerializer,
        summary="One evaluation with answers and section scores (403 if not one you may see)",
    )
    def get(self, request: Request, evaluation_id: int) -> Response:
        return _detail(request, evaluation_id)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerInputSerializer(many=True, required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    class Meta:
        ref_name = "QaAnswers"


def _answers(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    if "answers" not in data:
        return None
    return [dict(answer) for answer in data["answers"]]


class EvaluationDraftApi(APIView):
    permission_classes = [STAFF]

    @extend_schema(
        request=AnswersSerializer,
        responses=EvaluationDetailOutputSerializer,
        summary="Save answers and feedback as a draft (unanswered questions are fine)",
    )
    def put(self, request: Request, evaluation_id: int) -> Response:
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.evaluation_save_draft(
            actor=request.user,
            evaluation_id=evaluation_id,
            answers=_answers(serializer.validated_data),
            summary=serializer.validated_data.get("summary"),
        )
        return _detail(request, evaluation_id)


class EvaluationSubmitApi(APIView):
    permission_classes = [STAFF]

    @extend_schema(
        request=AnswersSerializer,
        responses=EvaluationDetailOutputSerializer,
        summary="Submit (with these answers): every required question answered, or 400 `incomplete`",
    )
    def post(self, request: Request, evaluation_id: int) -> Response:
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.evaluation_submit(
            actor=request.user,
            evaluation_id=evaluation_id,
            answers=_answers(serializer.validated_data),
            summary=serializer.validated_data.get("summary"),
        )
        return _detail(request, evaluation_id)


class EvaluationAcknowledgeApi(APIView):
    permission_classes = [ANYONE]

    @extend_schema(request=None, responses=EvaluationDetailOutputSerializer, summary="The agent accepts it")
    def post(self, request: Request, evaluation_id: int) -> Response:
        evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
        services.evaluation_acknowledge(actor=request.user, evaluation_id=evaluation_id)
        return _detail(request, evaluation_id)


class EvaluationDisputeApi(APIView):
    # Only agents (their own evaluations) dispute: other roles get 403 before their input is read.
    permission_classes = [any_permission(OWN)]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(allow_blank=True, max_length=4000)

        class Meta:
            ref_name = "QaDispute"

    @extend_schema(
        request=InputSerializer, responses=EvaluationDetailOutputSerializer, summary="The agent disputes it"
    )
    def post(self, request: Request, evaluation_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
        services.evaluation_dispute(
            actor=request.user, evaluation_id=evaluation_id, **serializer.validated_data
        )
        return _detail(request, evaluation_id)


class EvaluationResolveApi(APIView):
    permission_classes = [any_permission(MANAGE)]

    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=[services.UPHOLD, services.RESCORE])
        note = serializers.CharField(allow_blank=True, max_length=4000)
        answers = AnswerInputSerializer(many=True, required=False, help_text="Rescore: the new answers.")
        summary = serializers.CharField(required=False, allow_blank=True, max_length=4000)

        class Meta:
            ref_name = "QaResolve"

    @extend_schema(
        request=InputSerializer,
        responses=EvaluationDetailOutputSerializer,
        summary="A QA lead upholds the score or rescores",
    )
    def post(self, request: Request, evaluation_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.dispute_resolve(
            actor=request.user,
            evaluation_id=evaluation_id,
            outcome=data["outcome"],
            note=data["note"],
            answers=_answers(data),
            summary=data.get("summary"),
        )
        return _detail(request, evaluation_id)


class EvaluationCommentsApi(APIView):
    permission_classes = [ANYONE]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(allow_blank=True, max_length=4000)
        at_s = serializers.FloatField(
            required=False, allow_null=True, default=None, help_text="Seconds into the recording."
        )

        class Meta:
            ref_name = "QaCommentInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        author = PersonSerializer(allow_null=True)
        at_s = serializers.FloatField(allow_null=True)
        body = serializers.CharField()
        created_at = serializers.DateTimeField()

        class Meta:
            ref_name = "QaComment"

        def to_representation(self, comment: Any) -> dict[str, Any]:
            return {
                "id": comment.pk,
                "author": person(comment.author),
                "at_s": comment.at_s,
                "body": comment.body,
                "created_at": serializers.DateTimeField().to_representation(comment.created_at),
            }

    @extend_schema(responses=OutputSerializer(many=True), summary="Comments, by moment of the recording")
    def get(self, request: Request, evaluation_id: int) -> Response:
        evaluation = evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
        return Response(self.OutputSerializer(evaluation_comments(evaluation), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, summary="Comment (QA staff)")
    def post(self, request: Request, evaluation_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.evaluation_comment_add(
            actor=request.user, evaluation_id=evaluation_id, **serializer.validated_data
        )
        return Response(self.OutputSerializer(comment).data, status=status.HTTP_201_CREATED)


class EvaluationTimelineApi(APIView):
    permission_classes = [ANYONE]

    class OutputSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        actor = serializers.CharField()
        kind = serializers.CharField()
        title = serializers.CharField()
        text = serializers.CharField()
        score_before = serializers.FloatField(allow_null=True)
        score_after = serializers.FloatField(allow_null=True)

        class Meta:
            ref_name = "QaTimelineEntry"

    @extend_schema(
        responses=OutputSerializer(many=True), summary="Every step of the evaluation, oldest first"
    )
    def get(self, request: Request, evaluation_id: int) -> Response:
        evaluation = evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
        return Response(self.OutputSerializer(evaluation_timeline(evaluation), many=True).data)


urlpatterns = [
    path("evaluations/", EvaluationListApi.as_view(), name="api-qa-evaluations"),
    path("evaluations/<int:evaluation_id>/", EvaluationDetailApi.as_view(), name="api-qa-evaluation"),
    path(
        "evaluations/<int:evaluation_id>/draft/", EvaluationDraftApi.as_view(), name="api-qa-evaluation-draft"
    ),
    path(
        "evaluations/<int:evaluation_id>/submit/",
        EvaluationSubmitApi.as_view(),
        name="api-qa-evaluation-submit",
    ),
    path(
        "evaluations/<int:evaluation_id>/acknowledge/",
        EvaluationAcknowledgeApi.as_view(),
        name="api-qa-evaluation-acknowledge",
    ),
    path(
        "evaluations/<int:evaluation_id>/dispute/",
        EvaluationDisputeApi.as_view(),
        name="api-qa-evaluation-dispute",
    ),
    path(
        "evaluations/<int:evaluation_id>/resolve/",
        EvaluationResolveApi.as_view(),
        name="api-qa-evaluation-resolve",
    ),
    path(
        "evaluations/<int:evaluation_id>/comments/",
        EvaluationCommentsApi.as_view(),
        name="api-qa-evaluation-comments",
    ),
    path(
        "evaluations/<int:evaluation_id>/timeline/",
        EvaluationTimelineApi.as_view(),
        name="api-qa-evaluation-timeline",
    ),
]
