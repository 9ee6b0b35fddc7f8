"""URL routes of the certification app (included at the root by portal/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from certification.api import views

P = "api/certification/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{P}meta/", views.MetaView.as_view(), name="certification-meta"),
    path(f"{P}queue/", views.QueueView.as_view(), name="certification-queue"),
    path(f"{P}submissions/", views.SubmissionListView.as_view(), name="certification-submissions"),
    path(
        f"{P}submissions/<int:pk>/",
        views.SubmissionDetailView.as_view(),
        name="certification-submission",
    ),
    path(f"{P}submissions/<int:pk>/withdraw/", views.WithdrawView.as_view()),
    path(f"{P}submissions/<int:pk>/resubmit/", views.ResubmitView.as_view()),
    path(f"{P}submissions/<int:pk>/approve/", views.ApproveView.as_view()),
    path(f"{P}submissions/<int:pk>/request-changes/", views.RequestChangesView.as_view()),
    path(f"{P}submissions/<int:pk>/reject/", views.RejectView.as_view()),
    path(f"{P}submissions/<int:pk>/review/", views.BasicReviewView.as_view()),
    path(f"{P}submissions/<int:pk>/reviews/", views.ReviewsView.as_view()),
    path(f"{P}submissions/<int:pk>/audit/", views.AuditView.as_view()),
    path(f"{P}submissions/<int:pk>/findings/", views.FindingsView.as_view()),
    path(f"{P}submissions/<int:pk>/scans/", views.ScansView.as_view()),
    path(f"{P}submissions/<int:pk>/builds/", views.BuildsView.as_view()),
    path(f"{P}submissions/<int:pk>/deployments/", views.DeploymentsView.as_view()),
    path(f"{P}builds/<int:build_id>/", views.BuildDetailView.as_view(), name="certification-build"),
    path(f"{P}scans/<int:scan_id>/rerun/", views.ScanRerunView.as_view()),
    path(f"{P}deployments/<int:deployment_id>/retry/", views.DeploymentRetryView.as_view()),
    path(f"{P}findings/<int:finding_id>/waive/", views.WaiveView.as_view()),
]
