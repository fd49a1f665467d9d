"""``Door``: what the console asks of govcloud, so it runs over either facade.

:class:`~controlplane.facade.Govcloud` (the local home) and
:class:`~controlplane.remote.RemoteGovcloud` (a ``govcloud serve`` through a context)
both satisfy it structurally; the console is typed against this and nothing wider.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from controlplane.facade import Month, Page
    from controlplane.facade.models import (
        GapAckInfo,
        RequestDetailInfo,
        RequestInfo,
        WaiverInfo,
    )
    from controlplane.overview import Overview

__all__ = ["Door", "Who"]


class Who(Protocol):
    """The principal the console acts as (header line, which actions to offer)."""

    @property
    def name(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


class Door(Protocol):
    """The facade methods the console reads and acts through, with its keywords."""

    @property
    def identity(self) -> Who: ...

    def providers(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                  query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def provider_states(self) -> list[Any]: ...

    def overview(self, month: Month, *, tenant: str | None = ...) -> Overview: ...

    def tenants(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def systems(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def audit_log(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                  query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def job_list(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                 query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def job_runs(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                 query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def requests(self, *, provider: str | None = ..., tier: str | None = ..., sort: str = ...,
                 limit: int = ..., continue_token: str | None = ...,
                 query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def resources(self, *, provider: str | None = ..., limit: int = ...,
                  continue_token: str | None = ..., query: str | None = ..., sort: str = ...,
                  count: bool = ...) -> Page[Any]: ...  # fmt: skip

    def drift(self, *, provider: str | None = ..., tier: str | None = ..., limit: int = ...,
              continue_token: str | None = ..., query: str | None = ...,
              sort: str = ...) -> Page[Any]: ...  # fmt: skip

    def violations(self, *, state: str | None = ..., provider: str | None = ...,
                   tier: str | None = ..., sort: str = ..., limit: int = ...,
                   continue_token: str | None = ..., query: str | None = ...,
                   ) -> Page[Any]: ...  # fmt: skip

    def waivers(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def bills(self, month: Month, *, limit: int = ..., continue_token: str | None = ...,
              query: str | None = ..., sort: str = ...) -> Page[Any]: ...  # fmt: skip

    def request(self, request_id: int) -> RequestDetailInfo: ...

    def approve(self, request_id: int, *, reason: str | None = ...) -> RequestInfo: ...

    def reject(self, request_id: int, *, reason: str) -> RequestInfo: ...

    def approve_waiver(self, waiver_id: int) -> WaiverInfo: ...

    def sync_provider(self, name: str) -> object: ...  # the report: not shown

    def provision(self, request_id: int) -> object: ...  # the outcome: on the request

    def request_waiver(self, *, rule_id: str, scope: Any, target: str, reason: str,
                       expires_at: datetime | None) -> WaiverInfo: ...  # fmt: skip

    def acknowledge_month(self, month: Month, provider: str, *,
                          reason: str) -> list[GapAckInfo]: ...  # fmt: skip

    def confirm_bills(self, month: Month, *, tenant: str | None = ...) -> list[str]: ...

    def finalize_bills(self, month: Month) -> list[str]: ...

    def export_bills(self, month: Month, fmt: str, out: Path, *, tenant: str | None = ...,
                     lang: str = ...) -> object: ...  # fmt: skip
