"""One vocabulary for states in tables: govcloud's normalised words, one case, both languages.

Resources, requests, statements, violations, waivers, gaps and collections each store
their state in their own spelling (a provider's ``ACTIVE``/``available``/``Running``,
a statement's ``draft``). People see one vocabulary in CamelCase (kubectl's ``Running``,
``Pending``) or its Chinese word; the provider's raw status is data and is shown
untranslated in ``-o wide`` and ``show``. Scripts (``-o json|yaml``) keep the stored
values.
"""

from __future__ import annotations

from controlplane.i18n import Lang

__all__ = ["resource_state", "state_text"]

#: Raw provider statuses (lower-cased) by normalised state; anything else is Unknown.
_RESOURCE_STATES: dict[str, frozenset[str]] = {
    "Ready": frozenset(
        {"active", "available", "in-use", "running", "succeeded", "bound", "down", "up"}
    ),
    "Pending": frozenset(
        {
            "build",
            "building",
            "creating",
            "pending",
            "progressing",
            "reserved",
            "attaching",
            "downloading",
            "uploading",
            "rebuild",
            "resize",
            "verify_resize",
            "migrating",
        }
    ),
    "Stopped": frozenset({"shutoff", "stopped", "paused", "suspended", "shelved"}),
    "Failed": frozenset({"error", "failed", "error_deleting", "error_extending", "crashloop"}),
    "Deleting": frozenset({"deleting", "terminating", "soft_deleted"}),
    "Deleted": frozenset({"deleted"}),
    # govcloud's own markers that the kube driver reports for quota-like objects
    "Drifted": frozenset({"drifted"}),
    "Unmanaged": frozenset({"unmanaged"}),
}
_BY_RAW = {raw: state for state, raws in _RESOURCE_STATES.items() for raw in raws}

_ZH: dict[str, str] = {
    "Ready": "就绪",
    "Pending": "进行中",
    "Stopped": "已停止",
    "Failed": "失败",
    "Deleting": "删除中",
    "Deleted": "已删除",
    "Drifted": "已漂移",
    "Unmanaged": "未纳管",
    "Unknown": "未知",
    "Draft": "草稿",
    "Confirmed": "已确认",
    "Finalized": "已定稿",
    "Open": "未处理",
    "Waived": "已豁免",
    "Resolved": "已解决",
    "Requested": "待批准",
    "Approved": "已批准",
    "Expired": "已过期",
    "Acknowledged": "已确认",
    "Collected": "已采集",
    "UpToDate": "无需采集",
    "Healthy": "健康",
    "Unhealthy": "不健康",
}


def resource_state(raw: str, *, deleted: bool = False) -> str:
    """govcloud's state for a provider's raw status (``ACTIVE`` → ``Ready``)."""
    if deleted:
        return "Deleted"
    return _BY_RAW.get(raw.strip().lower(), "Unknown")


def _camel(stored: str) -> str:
    """``draft`` → ``Draft``, ``up-to-date`` → ``UpToDate``; CamelCase stays as it is."""
    parts = stored.replace("-", " ").replace("_", " ").split()
    return "".join(p[:1].upper() + p[1:] for p in parts)


def state_text(stored: str, lang: Lang) -> str:
    """A stored state as people read it: CamelCase in English, its word in Chinese."""
    word = _camel(stored)
    if lang == "en":
        return word
    known = _ZH.get(word)
    if known:
        return known
    from controlplane.requests import state_word  # the requests area's own words

    return state_word(word, lang)
