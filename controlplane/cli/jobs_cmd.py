"""``govcloud jobs list | show NAME | run NAME``: the jobs ``govcloud serve`` runs.

``list`` shows each job's schedule, last finished run and next queued firing; ``show``
one job's latest runs (replica, start, end, outcome, error, back-off); ``run`` queues a
firing due now, which a running ``serve`` takes (the command does not wait for it).
Through the facade as ``--as``: ``job.list``/``job.show`` for operators and auditors,
``job.run`` for operators; over an API context too (``/api/v1/jobs``), acting on the
server's database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import OUTPUT

if TYPE_CHECKING:
    from controlplane.scheduler.service import JobRunInfo, JobSummary

__all__ = ["register"]

app = typer.Typer(help="Scheduled jobs of govcloud serve: runs, outcomes, run now.",
                  no_args_is_help=True)  # fmt: skip


def _run(run: JobRunInfo) -> dict[str, Any]:
    return {
        "id": run.id, "job": run.job, "due_at": run.due_at, "state": run.state,
        "replica": run.replica, "started_at": run.started_at, "ended_at": run.ended_at,
        "seconds": round(run.seconds, 3) if run.seconds is not None else None,
        "error": run.error, "failures": run.failures, "retry_in": run.retry_in,
        "requested_by": run.requested_by, "detail": run.detail,
    }  # fmt: skip


def _summary(job: JobSummary) -> dict[str, Any]:
    return {
        "name": job.name, "schedule": job.schedule, "description": job.description,
        "last_state": job.last.state if job.last else None,
        "last_ended": job.last.ended_at if job.last else None,
        "last_error": job.last.error if job.last else None,
        "next_due": job.next_due, "runs": job.runs, "failures": job.failures,
    }  # fmt: skip


_RUN_COLUMNS = (
    Column("id", lambda r: r["id"], justify="right"),
    Column("due", lambda r: r["due_at"]),
    Column("state", lambda r: r["state"]),
    Column("replica", lambda r: r["replica"]),
    Column("seconds", lambda r: r["seconds"], justify="right"),
    Column("retry_in", lambda r: r["retry_in"], justify="right"),
    Column("error", lambda r: r["error"]),
)


@app.command("list")
def list_(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """Every job: schedule, last run and its outcome, next firing."""
    obj = cli_context(ctx)
    found = obj.facade.jobs()
    emit([_summary(j) for j in found], output, lang=obj.lang, columns=(
        Column("name", lambda r: r["name"]),
        Column("schedule", lambda r: r["schedule"]),
        Column("last", lambda r: r["last_state"]),
        Column("ended", lambda r: r["last_ended"]),
        Column("next", lambda r: r["next_due"]),
        Column("runs", lambda r: r["runs"], justify="right"),
        Column("failures", lambda r: r["failures"], justify="right"),
    ))  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Job name (see `govcloud jobs list`)."),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many recent runs."),
    output: Format = OUTPUT,
) -> None:
    """One job and its latest runs, newest first."""
    obj = cli_context(ctx)
    summary, recent = obj.facade.job(name, limit=limit)
    if output.for_people:
        typer.echo(f"{summary.name}: {summary.schedule} — {summary.description}")
        emit([_run(r) for r in recent], output, lang=obj.lang, columns=_RUN_COLUMNS)
    else:
        emit({**_summary(summary), "recent": [_run(r) for r in recent]}, output, lang=obj.lang)


@app.command("run")
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Job name (see `govcloud jobs list`)."),
    output: Format = OUTPUT,
) -> None:
    """Queue a firing of NAME now; a running `govcloud serve` takes it."""
    obj = cli_context(ctx)
    queued = obj.facade.run_job(name)
    if output.for_people:
        typer.echo(f"queued {queued.job} (run {queued.id}, due {queued.due_at.isoformat()})")
    else:
        emit(_run(queued), output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="jobs")
