"""Figures of the pipeline dashboard: submissions per stage, median time per stage per week,
nightly build success rate per week. Reads through certification's selectors (admins see every
submission), computed in Python over a bounded window so no SQL dialect feature is needed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from django.contrib.auth.models import User
from django.utils import timezone

from certification import selectors as cert
from certification.workflow import Status
from frontend import charts
from frontend.pipeline import STAGE_ORDER

WEEKS = 8
#: Stages whose waiting time is charted (where people or CI act).
TIMED_STAGES = (
    Status.BASIC_REVIEW,
    Status.CI_SETUP,
    Status.RELEASE_REVIEW,
    Status.QA,
    Status.PM_UX,
)
GREEN_BUILDS = {"passed", "unchanged"}
RED_BUILDS = {"failed"}


@dataclass
class Dashboard:
    stage_counts: list[tuple[str, int]]
    stage_chart: str
    weeks: list[str]
    median_hours: dict[str, list[float | None]]
    median_chart: str
    build_rates: list[tuple[str, int, int, float | None]]
    build_chart: str
    totals: dict[str, int]


def _week_start(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def build_dashboard(*, viewer: User) -> Dashboard:
    now = timezone.now()
    first_week = _week_start(now) - timedelta(weeks=WEEKS - 1)
    window_start = timezone.make_aware(datetime.combine(first_week, datetime.min.time()))
    weeks = [first_week + timedelta(weeks=i) for i in range(WEEKS)]
    week_labels = [w.strftime("%d %b") for w in weeks]

    submissions = list(cert.submission_list(viewer=viewer).prefetch_related("events", "builds"))

    counts: dict[str, int] = defaultdict(int)
    for submission in submissions:
        counts[submission.status] += 1
    order = [*STAGE_ORDER, Status.CHANGES_REQUESTED, Status.REJECTED, Status.WITHDRAWN]
    stage_counts = [(str(Status(s).label), counts.get(s, 0)) for s in order]

    durations: dict[tuple[str, date], list[float]] = defaultdict(list)
    builds: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for submission in submissions:
        entered = submission.created_at
        for event in sorted(submission.events.all(), key=lambda e: (e.at, e.pk)):
            if event.from_status == event.to_status:
                continue
            if event.at >= window_start and event.from_status in TIMED_STAGES:
                hours = (event.at - entered).total_seconds() / 3600
                durations[(event.from_status, _week_start(event.at))].append(hours)
            entered = event.at
        for build in submission.builds.all():
            if build.created_at < window_start:
                continue
            if build.status in GREEN_BUILDS:
                builds[_week_start(build.created_at)][0] += 1
            elif build.status in RED_BUILDS:
                builds[_week_start(build.created_at)][1] += 1

    median_hours = {
        str(Status(stage).label): [
            round(median(durations[(stage, w)]), 1) if durations.get((stage, w)) else None
            for w in weeks
        ]
        for stage in TIMED_STAGES
    }
    build_rates: list[tuple[str, int, int, float | None]] = []
    for label, week in zip(week_labels, weeks, strict=True):
        green, red = builds.get(week, [0, 0])
        rate = round(100 * green / (green + red), 1) if green + red else None
        build_rates.append((label, green, red, rate))

    stage_chart = charts.bar_chart(
        [label for label, _ in stage_counts],
        [count for _, count in stage_counts],
        title="Submissions per stage",
        width=900,
        height=300,
        colours=[charts.PALETTE[0]] * 7 + ["#d98e04", "#b3261e", "#6b7280"],
    )
    median_chart = charts.line_chart(
        week_labels,
        [
            charts.Series(label, values, charts.PALETTE[i % len(charts.PALETTE)])
            for i, (label, values) in enumerate(median_hours.items())
        ],
        title="Median hours spent in each stage, by week the stage was left",
        unit=" h",
    )
    build_chart = charts.line_chart(
        week_labels,
        [charts.Series("Green builds", [r[3] for r in build_rates], "#2e9e5b")],
        title="Nightly build success rate per week",
        unit="%",
        max_value=100,
    )
    totals = {
        "submissions": len(submissions),
        "in_review": sum(counts.get(s, 0) for s in TIMED_STAGES) + counts.get(Status.SUBMITTED, 0),
        "certified": counts.get(Status.CERTIFIED, 0),
        "builds": sum(g + r for _, g, r, _ in build_rates),
    }
    return Dashboard(
        stage_counts=stage_counts,
        stage_chart=stage_chart,
        weeks=week_labels,
        median_hours=median_hours,
        median_chart=median_chart,
        build_rates=build_rates,
        build_chart=build_chart,
        totals=totals,
    )
