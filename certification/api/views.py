"""API views: parse input, call one service or selector, render output. No business logic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from certification import licences, selectors, services, workflow
from certification.api import serializers as s
from certification.models import Submission
from certification.services.submissions import SourceInput
from common.errors import PortalError


class CertificationView(GenericAPIView):
    """Base: signed-in users only; service errors become problem JSON once, here."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    # Only for the schema generator (path parameter types); reads go through selectors.
    queryset = Submission.objects.none()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PortalError):
            body: dict[str, Any] = {
                "type": exc.code,
                "title": type(exc).__name__,
                "status": exc.http_status,
                "detail": exc.message,
            }
            if getattr(exc, "check", None):
                body["check"] = exc.check  # type: ignore[attr-defined]
            return Response(body, status=exc.http_status, content_type="application/problem+json")
        return super().handle_exception(exc)

    def submission(self, pk: int) -> Any:
        return selectors.submission_get(viewer=self.request.user, submission_id=pk)


def _source_from(data: dict) -> SourceInput:
    archive = data.get("source_archive")
    return SourceInput(
        archive=archive.read() if archive is not None else None,
        filename=getattr(archive, "name", "") or "",
        git_url=data.get("git_url") or "",
        git_ref=data.get("git_ref") or "",
    )


class SubmissionListView(CertificationView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = s.SubmissionOut
    pagination_class = GenericAPIView.pagination_class  # type: ignore[assignment]

    @extend_schema(responses=s.SubmissionOut(many=True))
    def get(self, request: Request) -> Response:
        qs = selectors.submission_list(
            viewer=request.user,
            filters={
                "status": request.query_params.get("status"),
                "plugin_id": request.query_params.get("plugin_id"),
                "mine": request.query_params.get("mine") in ("1", "true"),
            },
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.SubmissionOut(page, many=True).data)

    @extend_schema(request=s.SubmissionCreateIn, responses={201: s.SubmissionDetailOut})
    def post(self, request: Request) -> Response:
        data = s.SubmissionCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        submission = services.submission_create(
            owner=request.user,  # type: ignore[arg-type]
            name=v.get("name", ""),
            repository_url=v["repository_url"],
            nightly_url=v["nightly_url"],
            licence=v["licence"],
            bundle=v["bundle"].read(),
            source=_source_from(v),
            note=v.get("note", ""),
        )
        return Response(s.SubmissionDetailOut(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetailView(CertificationView):
    serializer_class = s.SubmissionDetailOut

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.SubmissionDetailOut(self.submission(pk)).data)


class WithdrawView(CertificationView):
    @extend_schema(request=s.WithdrawIn, responses=s.SubmissionOut)
    def post(self, request: Request, pk: int) -> Response:
        data = s.WithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.submission_withdraw(
            submission_id=self.submission(pk).pk,
            actor=request.user,  # type: ignore[arg-type]
            text=data.validated_data["text"],
        )
        return Response(s.SubmissionOut(submission).data)


class ResubmitView(CertificationView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.ResubmitIn, responses=s.SubmissionDetailOut)
    def post(self, request: Request, pk: int) -> Response:
        data = s.ResubmitIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        bundle = v.get("bundle")
        submission = services.submission_resubmit(
            submission_id=self.submission(pk).pk,
            actor=request.user,  # type: ignore[arg-type]
            bundle=bundle.read() if bundle is not None else None,
            source=_source_from(v),
            note=v.get("note", ""),
        )
        return Response(s.SubmissionDetailOut(submission).data)


class ApproveView(CertificationView):
    @extend_schema(request=s.ApproveIn, responses=s.SubmissionDetailOut)
    def post(self, request: Request, pk: int) -> Response:
        data = s.ApproveIn(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.stage_approve(
            submission_id=self.submission(pk).pk,
            actor=request.user,  # type: ignore[arg-type]
            checklist=data.validated_data["checklist"],
            text=data.validated_data["text"],
        )
        return Response(s.SubmissionDetailOut(submission).data)


class _DecisionView(CertificationView):
    """A negative decision (reason code + text), handled by the service named in ``decide``."""

    decide: Callable[..., Submission]

    @extend_schema(request=s.DecisionIn, responses=s.SubmissionOut)
    def post(self, request: Request, pk: int) -> Response:
        data = s.DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        submission = type(self).decide(
            submission_id=self.submission(pk).pk,
            actor=request.user,
            **data.validated_data,
        )
        return Response(s.SubmissionOut(submission).data)


class RequestChangesView(_DecisionView):
    decide = staticmethod(services.stage_request_changes)


class RejectView(_DecisionView):
    decide = staticmethod(services.stage_reject)


_ANY = inline_serializer("BasicReview", {"files": serializers.ListField()})


class BasicReviewView(CertificationView):
    @extend_schema(responses=_ANY)
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.basic_review(submission=self.submission(pk)))


class AuditView(CertificationView):
    @extend_schema(responses=s.AuditEventOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        events = selectors.audit_list(submission=self.submission(pk))
        return Response(s.AuditEventOut(events, many=True).data)


class ReviewsView(CertificationView):
    @extend_schema(responses=s.ReviewOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        reviews = selectors.review_list(submission=self.submission(pk))
        return Response(s.ReviewOut(reviews, many=True).data)


class FindingsView(CertificationView):
    @extend_schema(responses=s.FindingOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        everything = request.query_params.get("all") in ("1", "true")
        findings = selectors.finding_list(
            submission=self.submission(pk), current_only=not everything
        )
        return Response(s.FindingOut(findings, many=True).data)


class ScansView(CertificationView):
    @extend_schema(responses=s.ScanRunOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        scans = selectors.scan_list(submission=self.submission(pk))
        return Response(s.ScanRunOut(scans, many=True).data)


class ScanRerunView(CertificationView):
    @extend_schema(request=None, responses={202: s.ScanRunOut})
    def post(self, request: Request, scan_id: int) -> Response:
        scan = services.scan_rerun(scan_id=scan_id, actor=request.user)  # type: ignore[arg-type]
        return Response(s.ScanRunOut(scan).data, status=status.HTTP_202_ACCEPTED)


class WaiveView(CertificationView):
    @extend_schema(request=s.WaiveIn, responses=s.FindingOut)
    def post(self, request: Request, finding_id: int) -> Response:
        selectors.finding_get(viewer=request.user, finding_id=finding_id)
        data = s.WaiveIn(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_waive(
            finding_id=finding_id,
            actor=request.user,  # type: ignore[arg-type]
            justification=data.validated_data["justification"],
        )
        return Response(s.FindingOut(finding).data)


class BuildsView(CertificationView):
    @extend_schema(responses=s.NightlyBuildOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        builds = selectors.build_list(submission=self.submission(pk))[:100]
        return Response(s.NightlyBuildOut(builds, many=True).data)

    @extend_schema(request=None, responses={202: s.NightlyBuildOut})
    def post(self, request: Request, pk: int) -> Response:
        """Pull the nightly build now; answers 202 with where to watch it."""
        build = services.nightly_request_now(
            submission_id=self.submission(pk).pk,
            actor=request.user,  # type: ignore[arg-type]
        )
        where = reverse("certification-build", kwargs={"build_id": build.pk})
        return Response(
            s.NightlyBuildOut(build).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(where)},
        )


class BuildDetailView(CertificationView):
    serializer_class = s.NightlyBuildOut

    def get(self, request: Request, build_id: int) -> Response:
        build = selectors.build_get(viewer=request.user, build_id=build_id)
        return Response(s.NightlyBuildOut(build).data)


class DeploymentsView(CertificationView):
    @extend_schema(responses=s.DeploymentOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        deployments = selectors.deployment_list(submission=self.submission(pk))
        return Response(s.DeploymentOut(deployments, many=True).data)


class DeploymentRetryView(CertificationView):
    @extend_schema(request=None, responses={202: s.DeploymentOut})
    def post(self, request: Request, deployment_id: int) -> Response:
        from certification.services.deployments import deployment_retry

        deployment = deployment_retry(
            deployment_id=deployment_id,
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response(s.DeploymentOut(deployment).data, status=status.HTTP_202_ACCEPTED)


class QueueView(CertificationView):
    @extend_schema(responses=s.SubmissionOut(many=True))
    def get(self, request: Request) -> Response:
        qs = selectors.review_queue(viewer=request.user, stage=request.query_params.get("stage"))
        return Response(s.SubmissionOut(qs[:200], many=True).data)


_META = inline_serializer(
    "CertificationMeta",
    {
        "states": serializers.ListField(),
        "reasons": serializers.ListField(),
        "checklists": serializers.DictField(),
        "licences": serializers.ListField(),
    },
)


class MetaView(CertificationView):
    """The workflow as data: states, reasons, checklists and licences (for forms)."""

    @extend_schema(responses={200: OpenApiResponse(_META)})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "states": [{"value": v, "label": label} for v, label in workflow.Status.choices],
                "terminal": sorted(workflow.TERMINAL_STATES),
                "reasons": [{"value": v, "label": label} for v, label in workflow.Reason.choices],
                "checklists": {
                    stage: selectors.checklist(stage=stage) for stage in workflow.CHECKLISTS
                },
                "security_checklist": selectors.checklist(
                    stage=workflow.Status.RELEASE_REVIEW, as_security=True
                )[len(workflow.CHECKLISTS[workflow.Status.RELEASE_REVIEW]) :],
                "licences": [
                    {
                        "spdx_id": lic.spdx_id,
                        "name": lic.name,
                        "osi_approved": lic.osi_approved,
                        "recommended": lic.recommended,
                    }
                    for lic in licences.LICENCES.values()
                ],
            }
        )


JSON_PARSERS = [JSONParser, FormParser, MultiPartParser]
for _view in (ApproveView, RequestChangesView, RejectView, WithdrawView, WaiveView):
    _view.parser_classes = JSON_PARSERS
