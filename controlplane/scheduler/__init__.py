"""``govcloud serve``'s scheduler: the jobs, their queue and record, leases, the lead.

- :mod:`.catalog` — the jobs, their triggers (APScheduler's cron), their bodies (facade);
- :mod:`.runs` — ``job_run`` as queue and record (enqueue, take ``SKIP LOCKED``, finish);
- :mod:`.leases` — named leases (a provider's sync; a replica's liveness);
- :mod:`.leader` — leader election (PostgreSQL advisory lock; SQLite: one serve only);
- :mod:`.daemon` — one replica's loops; :mod:`.metrics` — its Prometheus registry;
- :mod:`.service` — what ``govcloud jobs list|show|run`` reads and writes.

Part of ``controlplane``; jobs act through :class:`controlplane.facade.Govcloud` only.
This package's ``__init__`` imports nothing, so the facade can use :mod:`.leases` and
:mod:`.service` without pulling in the daemon (which imports the facade).
"""
