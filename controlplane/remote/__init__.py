"""The facade over HTTP: what a CLI with a context talks to instead of a local home.

:class:`RemoteGovcloud` offers the methods of :class:`controlplane.facade.Govcloud`
and returns the same types, decoded from the API's JSON; refusals come back as the same
:class:`~controlplane.errors.GovcloudError` subclasses. Must not import the API server,
services, sessions or SQLAlchemy at module level: a remote command loads none of them.
"""

from __future__ import annotations

from controlplane.remote.client import RemoteGovcloud, RemoteIdentity, RemoteProviderError
from controlplane.remote.decode import PlanRecord, decode, decode_page

__all__ = [
    "PlanRecord",
    "RemoteGovcloud",
    "RemoteIdentity",
    "RemoteProviderError",
    "decode",
    "decode_page",
]
