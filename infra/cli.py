"""Whether the Pulumi CLI is here, and what to install when it is not.

Owns ``find_pulumi`` (the ``pulumi`` binary on a PATH) and ``install_hint`` (the
bilingual instruction quoted by every refusal: estate apply, the runner). Kept apart
from the runner so the estate can refuse ``engine: pulumi`` without importing ``pulumi``.

Must not import ``pulumi`` nor anything internal outside ``infra`` and ``providers``.
"""

from __future__ import annotations

import shutil
from importlib import metadata

__all__ = ["find_pulumi", "install_hint"]

_PLUGINS = {"openstack": "pulumi-openstack", "kubernetes": "pulumi-kubernetes"}


def find_pulumi(path: str | None = None) -> str | None:
    """The ``pulumi`` executable on ``path`` (default: ``$PATH``), or ``None``."""
    return shutil.which("pulumi", path=path)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def install_hint(provider_kind: str, lang: str = "en") -> str:
    """What to install so the Pulumi engine can provision a ``provider_kind`` provider."""
    plugin = provider_kind if provider_kind in _PLUGINS else "<kind>"
    version = _version(_PLUGINS.get(provider_kind, "")) if provider_kind in _PLUGINS else None
    plugin_cmd = f"pulumi plugin install resource {plugin}" + (f" v{version}" if version else "")
    sdk = _version("pulumi")
    cli = (
        f"the Pulumi CLI{f' v{sdk} or later' if sdk else ''} (https://www.pulumi.com/docs/install/)"
    )
    if lang == "zh":
        return (
            f"请安装 Pulumi 命令行{f'（v{sdk} 或更高版本）' if sdk else ''}"
            f"（https://www.pulumi.com/docs/install/），确保 `pulumi` 在 PATH 中，"
            f"并安装资源插件：`{plugin_cmd}`；或将该云平台的 engine 改为 sdk"
        )
    return (
        f"install {cli}, put `pulumi` on PATH and install the resource plugin "
        f"(`{plugin_cmd}`); or declare engine: sdk for this provider"
    )
