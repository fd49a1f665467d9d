"""The ProviderError tree.

Cases: every subclass is a ProviderError with the documented retry semantics; an
instance may override ``temporary``; ``retry_after`` is kept; the SDK cause survives
``raise ... from``; messages exist in Chinese and English and name the provider;
errors survive pickling with their attributes.
"""

from __future__ import annotations

import pickle

import pytest

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)

SEMANTICS = [
    (ProviderAuthError, False),
    (ProviderNotFound, False),
    (ProviderQuotaExceeded, False),
    (ProviderUnavailable, True),
    (ProviderConflict, True),
    (ProviderInvalidRequest, False),
]


@pytest.mark.parametrize(("cls", "temporary"), SEMANTICS)
def test_subclass_retry_semantics(cls: type[ProviderError], temporary: bool) -> None:
    error = cls("prov-main", "detail")
    assert isinstance(error, ProviderError)
    assert error.temporary is temporary
    assert error.provider == "prov-main"
    assert error.retry_after is None


def test_instance_overrides_temporary_and_keeps_retry_after() -> None:
    error = ProviderQuotaExceeded("p", "burst limit", temporary=True, retry_after=30.0)
    assert error.temporary is True
    assert error.retry_after == 30.0


class FakeSdkError(Exception):
    pass


def test_cause_is_kept() -> None:
    def call_sdk() -> None:
        try:
            raise FakeSdkError("503 Service Unavailable")
        except FakeSdkError as exc:
            raise ProviderUnavailable("city-a", str(exc)) from exc

    with pytest.raises(ProviderUnavailable) as caught:
        call_sdk()
    assert isinstance(caught.value.__cause__, FakeSdkError)
    assert "503" in str(caught.value)


@pytest.mark.parametrize(("cls", "_temporary"), SEMANTICS)
def test_bilingual_messages(cls: type[ProviderError], _temporary: bool) -> None:
    error = cls("water-k8s", "namespace x")
    assert error.describe("en") == error.message_en == str(error)
    assert error.describe("zh") == error.message_zh
    assert "water-k8s" in error.message_zh
    assert "namespace x" in error.message_zh
    assert error.message_zh != error.message_en
    # The Chinese title is really Chinese, not the English one copied.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message_zh)


def test_pickle_round_trip() -> None:
    error = ProviderConflict("p", "busy", temporary=False, retry_after=1.5)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ProviderConflict
    assert (copy.provider, copy.detail, copy.temporary, copy.retry_after) == (
        "p",
        "busy",
        False,
        1.5,
    )
