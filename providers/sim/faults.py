"""Fault injection switches for the simulator provider.

Owns ``SimulatorFaults`` (what should go wrong) and ``SimulatedCrash`` (a process
dying mid-apply, deliberately *not* a ``ProviderError`` so it escapes the driver the
way a real crash would). Must not import anything internal outside ``providers``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SimulatedCrash", "SimulatorFaults"]


class SimulatedCrash(RuntimeError):
    """The simulated control-plane process died after ``created`` creates."""

    def __init__(self, provider: str, created: int) -> None:
        self.provider = provider
        self.created = created
        super().__init__(f"simulated crash on {provider} after {created} creates")


@dataclass(frozen=True, slots=True)
class SimulatorFaults:
    """What the simulator should get wrong; the default is a healthy cloud.

    - ``unavailable``: every call raises ``ProviderUnavailable``; health is unreachable.
    - ``auth_failure``: calls raise ``ProviderAuthError``; health is reachable, auth not ok.
    - ``fail_after_creates``: after this many successful creates (counted from when the
      faults were set) the next create raises ``SimulatedCrash``.
    - ``fail_resources``: ``"kind/name"`` keys whose create/update fails with a
      temporary ``ProviderConflict`` (the others proceed).
    - ``retry_after``: seconds suggested on the temporary errors raised.
    """

    unavailable: bool = False
    auth_failure: bool = False
    fail_after_creates: int | None = None
    fail_resources: frozenset[str] = frozenset()
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.fail_after_creates is not None and self.fail_after_creates < 0:
            raise ValueError("fail_after_creates must not be negative")
