"""One ``govcloud serve`` replica's loops: lead, reconcile, run jobs, keep leases alive.

A :class:`Replica` has a name (``--replica``, else ``HOSTNAME``/pid) and four kinds of
loop, each also callable one step at a time so tests drive them with a controllable
clock:

- :meth:`Replica.lead_once` — when this replica leads (:mod:`.leader`), queue each job's
  next firing (:func:`runs.schedule`) and free firings left running by dead replicas;
- :meth:`Replica.reconcile_once` — claim the oldest due request and provision it
  (:meth:`Govcloud.reconcile_next`); any replica does this, so replicas add throughput;
- :meth:`Replica.run_job_once` — take a due firing (``SKIP LOCKED``) and run its body;
- :meth:`Replica.heartbeat` — renew this replica's liveness lease and its request claims.

Every body acts as the system principal through the facade (:meth:`Govcloud.system`).
:meth:`Replica.stop` (SIGTERM) stops taking work, lets the current provisions finish,
then gives back its claims, its unfinished firings and the lead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from controlplane.app import App
from controlplane.db import locks
from controlplane.db.engine import transaction
from controlplane.db.tables_scheduler import JobLease
from controlplane.errors import Conflict, GovcloudError, ProviderFailure
from controlplane.facade import Govcloud
from controlplane.requests import claims
from controlplane.scheduler import leases, runs
from controlplane.scheduler.bodies import TemporaryJobError, body_for
from controlplane.scheduler.catalog import JobSpec
from controlplane.scheduler.leader import AdvisoryLeader, SingleServe, election_for
from controlplane.scheduler.metrics import ServeMetrics

__all__ = ["Replica", "ReplicaOptions", "default_replica_name"]

log = logging.getLogger("govcloud.serve")


def default_replica_name() -> str:
    return os.environ.get("GOVCLOUD_REPLICA") or f"{socket.gethostname()}/{os.getpid()}"


@dataclass(frozen=True)
class ReplicaOptions:
    name: str = field(default_factory=default_replica_name)
    workers: int = 2  # reconcile threads
    job_workers: int = 2
    lease: timedelta = timedelta(seconds=60)  # request claims and replica liveness
    tick: float = 1.0  # leader and job-queue poll, seconds
    poll: float = 0.5  # reconcile poll when nothing is due, seconds
    backoff_base: float = 5.0
    backoff_ceiling: float = 900.0
    schedule: bool = True  # take part in leader election (--no-jobs: False)


class Replica:
    def __init__(
        self,
        app: App,
        options: ReplicaOptions | None = None,
        *,
        metrics: ServeMetrics | None = None,
        specs: Callable[[], list[JobSpec]] | None = None,
    ) -> None:
        self.app = app
        self.options = options or ReplicaOptions()
        self.name = self.options.name
        self.metrics = metrics or ServeMetrics()
        self._specs = specs or app.jobs.specs
        self.election: AdvisoryLeader | SingleServe = election_for(app.engine)
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started = False
        self.leading = False

    # ---- single steps (tests call these with a controllable clock) ---------------------

    def facade(self) -> Govcloud:
        return Govcloud.system(self.app)

    def heartbeat(self) -> None:
        now = self.app.clock()
        leases.take(
            self.app.sessions, locks.replica_lease(self.name), self.name, now, self.options.lease
        )
        with transaction(self.app.sessions) as session:
            claims.renew(session, self.name, now, self.options.lease)

    def lead_once(self) -> bool:
        """Schedule if leading; whether this replica leads."""
        leading = self.options.schedule and self.election.try_lead()
        if leading != self.leading:
            log.info("replica %s %s", self.name, "leads" if leading else "no longer leads")
        self.leading = leading
        self.metrics.leader.set(1 if leading else 0)
        if not leading:
            return False
        now = self.app.clock()
        runs.schedule(self.app.sessions, self._specs(), now, self.name)
        with transaction(self.app.sessions) as session:
            live = [
                lease.name.removeprefix(locks.REPLICA_PREFIX)
                for lease in session.exec(
                    select(JobLease).where(
                        col(JobLease.name).startswith(locks.REPLICA_PREFIX),
                        col(JobLease.until) >= now,
                    )
                )
            ]
            runs.abandon_stale(session, now, live, self.options.lease)
        return True

    def reconcile_once(self) -> bool:
        """Provision one due request; whether there was one."""
        started = time.perf_counter()
        try:
            result = self.facade().reconcile_next(holder=self.name, lease=self.options.lease)
        except (GovcloudError, OperationalError) as exc:
            # a request that vanished or changed under us: counted, and the loop goes on
            self.metrics.provisions.labels(outcome="error").inc()
            log.warning("reconcile: %s", exc)
            return True
        if result is None:
            return False
        self.metrics.provisions.labels(outcome=result.state).inc()
        self.metrics.provision_seconds.observe(time.perf_counter() - started)
        return True

    def run_job_once(self) -> str | None:
        """Run one due firing; its job's name, or None when nothing was due."""
        now = self.app.clock()
        with transaction(self.app.sessions) as session:
            taken = runs.take(session, self.name, now)
            if taken is None:
                return None
            run_id, job = taken.id or 0, taken.job
        spec = next((s for s in self._specs() if s.name == job), None)
        started = time.perf_counter()
        outcome = self._execute(spec, job, now)
        seconds = time.perf_counter() - started
        with transaction(self.app.sessions) as session:
            ceiling = spec.trigger.every if spec is not None else None
            runs.finish(
                session, run_id, outcome, self.app.clock(), backoff=self._backoff,
                ceiling=min(ceiling, self.options.backoff_ceiling) if ceiling else None,
            )  # fmt: skip
        self.metrics.job_seconds.labels(job=job).observe(seconds)
        self.metrics.job_runs.labels(job=job, outcome=outcome.state).inc()
        if outcome.state == "ok" and job.startswith("sync:"):
            self.metrics.last_sync.labels(provider=job.removeprefix("sync:")).set(time.time())
        if job == "health" and outcome.detail:
            for provider, probe in outcome.detail.get("providers", {}).items():
                up = 1 if probe.get("reachable") and probe.get("auth_ok") else 0
                self.metrics.provider_up.labels(provider=provider).set(up)
        return job

    def _backoff(self, failures: int, retry_after: float | None) -> timedelta:
        return claims.backoff(
            failures, retry_after, base=self.options.backoff_base,
            ceiling=self.options.backoff_ceiling,
        )  # fmt: skip

    def _execute(self, spec: JobSpec | None, job: str, now: Any) -> runs.Outcome:
        if spec is None:
            return runs.Outcome("failed", f"no job {job!r} in this replica's catalogue")
        try:
            detail = body_for(spec)(self.facade(), now)
        except ProviderFailure as exc:
            retry_after = getattr(exc.source, "retry_after", None)
            state = "temporary" if exc.retryable else "failed"
            return runs.Outcome(state, exc.message_en[:2000], retry_after)
        except (TemporaryJobError, Conflict) as exc:
            return runs.Outcome("temporary", str(exc)[:2000])
        except Exception as exc:  # a job's failure is recorded, never the replica's end
            log.error("job %s failed: %s", job, exc, exc_info=not isinstance(exc, GovcloudError))
            return runs.Outcome("failed", f"{type(exc).__name__}: {exc}"[:2000])
        return runs.Outcome("ok", detail=_jsonable(detail))

    # ---- threads -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loops (a second serve on SQLite is refused here)."""
        if isinstance(self.election, SingleServe):
            self.election.acquire()
        self.heartbeat()
        loops: list[tuple[str, Callable[[], None]]] = [("heartbeat", self._heartbeat_loop)]
        if self.options.schedule:
            loops.append(("leader", self._leader_loop))
        loops += [(f"reconcile-{i}", self._reconcile_loop) for i in range(self.options.workers)]
        loops += [(f"jobs-{i}", self._jobs_loop) for i in range(self.options.job_workers)]
        for name, target in loops:
            thread = threading.Thread(target=target, name=f"govcloud-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.started = True
        log.info("replica %s started (%d reconcile workers)", self.name, self.options.workers)

    def _guarded(self, step: Callable[[], object], pause: float) -> None:
        while not self.stopping.is_set():
            try:
                busy = step()
            except Exception as exc:  # the database went away for a moment: try again
                log.warning("%s: %s", threading.current_thread().name, exc)
                busy = False
            if not busy:
                self.stopping.wait(pause)

    def _heartbeat_step(self) -> bool:
        self.heartbeat()
        return False  # then wait a third of the lease

    def _leader_step(self) -> bool:
        self.lead_once()
        return False  # then wait a tick

    def _heartbeat_loop(self) -> None:
        self._guarded(self._heartbeat_step, max(self.options.lease.total_seconds() / 3, 0.2))

    def _leader_loop(self) -> None:
        self._guarded(self._leader_step, self.options.tick)

    def _reconcile_loop(self) -> None:
        self._guarded(self.reconcile_once, self.options.poll)

    def _jobs_loop(self) -> None:
        self._guarded(self.run_job_once, self.options.tick)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current work, then give back claims, firings, liveness and lead."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        now = self.app.clock()
        with transaction(self.app.sessions) as session:
            released = claims.release_all(session, self.name)
            firings = runs.release_running(session, self.name, now)
        leases.release(self.app.sessions, locks.replica_lease(self.name), self.name)
        self.election.release()
        self.leading = False
        self.metrics.leader.set(0)
        log.info("replica %s stopped: %d claims, %d firings given back", self.name, released,
                 firings)  # fmt: skip

    @property
    def alive(self) -> bool:
        return (
            self.started and not self.stopping.is_set() and all(t.is_alive() for t in self._threads)
        )


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(detail, default=str)))
