"""``Door``: what the console asks of govcloud, so it runs over either facade.

:class:`~controlplane.facade.Govcloud` (the local home) and
:class:`~controlplane.remote.RemoteGovcloud` (a ``govcloud serve`` through a context)
both satisfy it structurally; the console is typed against this and nothing wider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from controlplane.facade import Month, Page
    from controlplane.facade.models import RequestDetailInfo, RequestInfo, WaiverInfo

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

    def tenants(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def requests(self, *, sort: str = ..., limit: int = ..., continue_token: str | None = ...,
                 query: str | None = ...) -> Page[Any]: ...  # fmt: skip

    def resources(self, *, limit: int = ..., continue_token: str | None = ...,
                  query: str | None = ..., sort: str = ..., count: bool = ...,
                  ) -> Page[Any]: ...  # fmt: skip

    def drift(self, *, limit: int = ..., continue_token: str | None = ...,
              query: str | None = ..., sort: str = ...) -> Page[Any]: ...  # fmt: skip

    def violations(self, *, state: str | None = ..., sort: str = ..., limit: int = ...,
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
