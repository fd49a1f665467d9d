"""Applying an estate declaratively, and reading it back.

``apply`` computes the difference between the file and the database and writes it in
one transaction: creations, updates (only changed columns) and removals — of providers,
tenants, the catalogue, rate cards, the policy binding and the governance sections
(principals, quotas, the approval chain). Applying the
same file twice changes nothing — no row, no timestamp, no audit event. Removing a
provider that still hosts resources, or a tenant that still owns systems, is refused
with the reason, and then nothing at all is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, col, select

from controlplane import audit
from controlplane.db.engine import transaction
from controlplane.db.models import (
    EstateRevision,
    Flavor,
    Image,
    PolicyBindingDoc,
    Provider,
    Rate,
    RateCard,
    Request,
    Resource,
    System,
    Tenant,
    TenantDiscount,
)
from controlplane.db.tables_requests import ApprovalStep, Principal, Quota
from controlplane.estate.schema import (
    EstateDocument,
    EstateSpec,
    FlavorSpec,
    ImageSpec,
    ProviderSpec,
    RateCardSpec,
    TenantSpec,
)
from controlplane.timeutil import Clock
from infra.cli import find_pulumi, install_hint
from tenants import ManifestError, Problem

__all__ = ["Change", "EstateApplyResult", "EstateService"]

Action = Literal["create", "update", "delete"]
Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class Change:
    """One entity the apply creates, updates or deletes (``fields``: what differs)."""

    entity: str
    key: str
    action: Action
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class EstateApplyResult:
    name: str
    changes: tuple[Change, ...]
    dry_run: bool
    revision: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for change in self.changes:
            per = out.setdefault(change.entity, {"create": 0, "update": 0, "delete": 0})
            per[change.action] += 1
        return out


def _provider_values(p: ProviderSpec) -> dict[str, Any]:
    return {
        "tier": p.tier,
        "platform": p.platform or p.name,
        "kind": p.kind,
        "engine": p.engine,
        "cloud": p.cloud,
        "context": p.context,
        "region": p.region,
        "city": p.city,
        "sector": p.sector,
        "certified_level": p.certified_level,
        "xinchuang": p.xinchuang,
        "arch": p.arch,
        "cpu_vendor": p.cpu_vendor,
        "in_province": p.in_province,
        "capacity_vcpu": p.capacity.vcpu,
        "capacity_memory_gib": p.capacity.memory_gib,
        "capacity_storage_gib": p.capacity.storage_gib,
        "capacity_public_ips": p.capacity.public_ips,
        "availability_target": p.availability_target,
        "sla_deductions": [
            {"below": str(d.below), "deduct": str(d.deduct)} for d in p.sla_deductions
        ],
        "seed": p.seed,
        "address_pool": str(p.address_pool) if p.address_pool is not None else None,
        "assessment": p.assessment.model_dump(mode="json", by_alias=True) if p.assessment else None,
    }


def _tenant_values(t: TenantSpec) -> dict[str, Any]:
    return {
        "name": t.name,
        "name_en": t.name_en,
        "level": t.level,
        "city": t.city,
        "sector": t.sector,
        "budget": t.budget,
    }


def _flavor_values(f: FlavorSpec) -> dict[str, Any]:
    return {"vcpu": f.vcpu, "memory_gib": f.memory_gib}


def _image_values(i: ImageSpec) -> dict[str, Any]:
    return {
        "os": i.os,
        "xinchuang": i.xinchuang,
        "hardened": i.hardened,
        "arches": list(i.arch),
        "checksum": i.checksum,
        "signature": i.signature,
        "patched_on": i.patched_on,
    }


def _card_values(c: RateCardSpec) -> dict[str, Any]:
    return {
        "effective_from": c.effective_from,
        "effective_to": c.effective_to,
        "currency": c.currency,
        "approval_ref": c.approval_ref,
        "approved_by": c.approved_by,
    }


def _rate_rows(c: RateCardSpec) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r.meter, tier): {"unit": r.unit, "proration": r.proration, "price": price}
        for r in c.rates
        for tier, price in r.prices.items()
    }


@dataclass(frozen=True)
class _Section:
    """One kind of keyed estate row: its table, key columns and desired rows from a spec."""

    model: type[SQLModel]
    entity: str
    key: str | tuple[str, ...]
    rows: Callable[[EstateSpec], Mapping[Any, Mapping[str, Any]]]
    timestamps: bool = False


_ENTITIES: tuple[_Section, ...] = (
    _Section(
        Provider,
        "provider",
        "name",
        lambda spec: {p.name: _provider_values(p) for p in spec.providers},
        timestamps=True,
    ),
    _Section(
        Tenant,
        "tenant",
        "code",
        lambda spec: {t.code: _tenant_values(t) for t in spec.tenants},
        timestamps=True,
    ),
    _Section(
        Flavor,
        "flavor",
        "name",
        lambda spec: {f.name: _flavor_values(f) for f in spec.catalog.flavors},
    ),
    _Section(
        Image,
        "image",
        "name",
        lambda spec: {i.name: _image_values(i) for i in spec.catalog.images},
    ),
)

# principals, quotas and the approval chain (controlplane.estate.governance), discounts
_GOVERNANCE: tuple[_Section, ...] = (
    _Section(
        Principal,
        "principal",
        "name",
        lambda spec: {
            p.name: {"roles": list(p.roles), "tenant": p.tenant} for p in spec.principals
        },
    ),
    _Section(
        Quota,
        "quota",
        ("tenant", "provider"),
        lambda spec: {(q.tenant, q.provider): q.limits() for q in spec.quotas},
    ),
    _Section(
        ApprovalStep,
        "approval_step",
        "name",
        lambda spec: {
            s.name: {"position": i, "role": s.role, "condition": s.when.stored()}
            for i, s in enumerate(spec.approvals)
        },
    ),
    _Section(
        TenantDiscount,
        "discount",
        ("tenant", "effective_from"),
        lambda spec: {
            (d.tenant, d.effective_from): {
                "percent": d.percent,
                "effective_to": d.effective_to,
                "reference": d.reference,
            }
            for d in spec.discounts
        },
    ),
)


def _differs(row: SQLModel, values: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(k for k, v in values.items() if getattr(row, k) != v)


@dataclass
class _Plan:
    """What one apply will write, computed before anything is written."""

    changes: list[Change] = field(default_factory=list)
    writes: list[Callable[[Session, datetime], None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class EstateService:
    """Estate apply and read operations over one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        pulumi_cli: Callable[[], str | None] = find_pulumi,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # Where this process finds the ``pulumi`` CLI (injected so tests choose).
        self._pulumi_cli = pulumi_cli

    # ---- apply -------------------------------------------------------------------

    def apply(
        self, document: EstateDocument, *, actor: str, dry_run: bool = False
    ) -> EstateApplyResult:
        """Make the database hold exactly the estate in ``document``."""
        estate = document.estate
        with transaction(self._sessions) as session:
            plan = _Plan()
            for section in _ENTITIES:
                self._plan_section(session, plan, section, estate.spec)
            self._plan_rate_cards(session, plan, estate.spec.all_rate_cards())
            self._plan_policy(session, plan, estate.spec.policies)
            for section in _GOVERNANCE:
                self._plan_section(session, plan, section, estate.spec)
            self._check_removals(session, plan, document)
            plan.problems.extend(self._engine_problems(document))
            if plan.problems:
                raise ManifestError(plan.problems)
            result = EstateApplyResult(estate.metadata.name, tuple(plan.changes), dry_run)
            if dry_run or not plan.changes:
                session.rollback()
                return result
            now = self._clock()
            for write in plan.writes:
                write(session, now)
            session.flush()
            revision = EstateRevision(
                name=estate.metadata.name,
                spec_hash=estate.content_hash(),
                applied_by=actor,
                applied_at=now,
                summary=result.counts(),
            )
            session.add(revision)
            session.flush()
            audit.append(
                session,
                at=now,
                actor=actor,
                action="estate.apply",
                subject=f"estate/{estate.metadata.name}",
                payload={
                    "revision": revision.id,
                    "spec_hash": revision.spec_hash,
                    "counts": result.counts(),
                    "changes": [
                        [c.entity, c.key, c.action, list(c.fields)] for c in plan.changes[:500]
                    ],
                },
            )
            opt_out = document.policy.opt_out if document.policy is not None else None
            if opt_out is not None:
                # relaxing the 等保 floor is a decision of record: its own audit event
                audit.append(
                    session,
                    at=now,
                    actor=actor,
                    action="policy.baseline.advisory",
                    subject=f"estate/{estate.metadata.name}",
                    payload={"revision": revision.id, **opt_out.to_record()},
                )
            return EstateApplyResult(
                estate.metadata.name, tuple(plan.changes), dry_run, revision.id
            )

    def _plan_keyed(
        self,
        session: Session,
        plan: _Plan,
        model: type[Row],
        entity: str,
        key: str | tuple[str, ...],
        desired: Mapping[Any, Mapping[str, Any]],
        *,
        timestamps: bool = False,
    ) -> None:
        """Plan rows of ``model`` keyed by one column or a tuple of columns."""
        columns = (key,) if isinstance(key, str) else key

        def key_of(row: SQLModel) -> Any:
            values = tuple(getattr(row, c) for c in columns)
            return values[0] if isinstance(key, str) else values

        def key_values(name: Any) -> dict[str, Any]:
            return dict(zip(columns, (name,) if isinstance(key, str) else name, strict=True))

        def label(name: Any) -> str:
            return name if isinstance(key, str) else "/".join(str(part) for part in name)

        existing = {key_of(row): row for row in session.exec(select(model)).all()}
        for name in sorted(desired):
            values = desired[name]
            row = existing.get(name)
            if row is None:
                plan.changes.append(Change(entity, label(name), "create"))
                plan.writes.append(_creator(model, {**key_values(name), **values}, timestamps))
                continue
            changed = _differs(row, values)
            if changed:
                plan.changes.append(Change(entity, label(name), "update", changed))
                plan.writes.append(_updater(row, values, timestamps))
        for name in sorted(set(existing) - set(desired)):
            plan.changes.append(Change(entity, label(name), "delete"))
            plan.writes.append(_deleter(existing[name]))

    def _plan_section(
        self, session: Session, plan: _Plan, section: _Section, spec: EstateSpec
    ) -> None:
        self._plan_keyed(
            session,
            plan,
            section.model,
            section.entity,
            section.key,
            section.rows(spec),
            timestamps=section.timestamps,
        )

    def _plan_rate_cards(
        self, session: Session, plan: _Plan, cards: Iterable[RateCardSpec]
    ) -> None:
        existing = {c.version: c for c in session.exec(select(RateCard)).all()}
        desired = {c.version: c for c in cards}
        for version in sorted(desired):
            spec = desired[version]
            values, rates = _card_values(spec), _rate_rows(spec)
            card = existing.get(version)
            if card is None:
                plan.changes.append(Change("rate_card", version, "create"))
                plan.writes.append(_card_creator(version, values, rates))
                continue
            stored = {
                (r.meter, r.tier): r
                for r in session.exec(select(Rate).where(Rate.rate_card_id == card.id)).all()
            }
            changed = list(_differs(card, values))
            rate_changes = sorted(
                f"{m}@{t}"
                for (m, t) in set(stored) | set(rates)
                if (m, t) not in stored
                or (m, t) not in rates
                or _differs(stored[m, t], rates[m, t])
            )
            if changed or rate_changes:
                plan.changes.append(
                    Change("rate_card", version, "update", (*changed, *rate_changes))
                )
                plan.writes.append(_card_updater(card, values, stored, rates))
        for version in sorted(set(existing) - set(desired)):
            plan.changes.append(Change("rate_card", version, "delete"))
            plan.writes.append(_card_deleter(existing[version]))

    def _plan_policy(self, session: Session, plan: _Plan, document: dict[str, Any] | None) -> None:
        stored = session.get(PolicyBindingDoc, 1)
        desired = _canonical(document) if document is not None else None
        if stored is None and desired is None:
            return
        if stored is not None and desired is not None and stored.document == desired:
            return
        action: Action = "create" if stored is None else "delete" if desired is None else "update"
        plan.changes.append(Change("policy_binding", "estate", action))

        def write(session: Session, now: datetime) -> None:
            if desired is None:
                session.delete(stored)
            elif stored is None:
                session.add(PolicyBindingDoc(id=1, document=desired, updated_at=now))
            else:
                stored.document = desired
                stored.updated_at = now
                session.add(stored)

        plan.writes.append(write)

    def _engine_problems(self, document: EstateDocument) -> list[Problem]:
        """``engine: pulumi`` where this process has no ``pulumi`` CLI: refused, never
        silently provisioned with the SDK instead."""
        wanted = [
            (i, p) for i, p in enumerate(document.estate.spec.providers) if p.engine == "pulumi"
        ]
        if not wanted or self._pulumi_cli() is not None:
            return []
        return [
            document.doc.problem(
                ("spec", "providers", i, "engine"),
                f"provider {p.name} declares engine: pulumi, but no `pulumi` CLI is on PATH "
                f"here; {install_hint(p.kind)}",
                expected="a pulumi CLI on PATH, or engine: sdk",
                found="pulumi",
            )
            for i, p in wanted
        ]

    def _check_removals(self, session: Session, plan: _Plan, document: EstateDocument) -> None:
        doc = document.doc
        gone = {c.key for c in plan.changes if c.entity == "provider" and c.action == "delete"}
        if gone:
            hosted = session.exec(
                select(Provider.name, func.count(col(Resource.id)))
                .join(Resource, col(Resource.provider_id) == col(Provider.id))
                .where(col(Provider.name).in_(gone), col(Resource.deleted_at).is_(None))
                .group_by(Provider.name)
            ).all()
            placed = session.exec(
                select(Provider.name, func.count(col(System.id)))
                .join(System, col(System.provider_id) == col(Provider.id))
                .where(col(Provider.name).in_(gone))
                .group_by(Provider.name)
            ).all()
            for name, count in [*hosted, *placed]:
                plan.problems.append(
                    doc.problem(
                        ("spec", "providers"),
                        f"provider {name!r} cannot be removed: it still hosts {count} "
                        f"{'resources' if (name, count) in hosted else 'systems'}; "
                        "migrate or delete them first",
                        expected=f"provider {name!r} kept in the estate",
                    )
                )
        gone_tenants = {
            c.key for c in plan.changes if c.entity == "tenant" and c.action == "delete"
        }
        if gone_tenants:
            owning = session.exec(
                select(Tenant.code, func.count(col(Request.id)))
                .join(Request, col(Request.tenant_id) == col(Tenant.id))
                .where(col(Tenant.code).in_(gone_tenants))
                .group_by(Tenant.code)
            ).all()
            for code, count in owning:
                plan.problems.append(
                    doc.problem(
                        ("spec", "tenants"),
                        f"tenant {code!r} cannot be removed: it has {count} requests on record",
                        expected=f"tenant {code!r} kept in the estate",
                    )
                )

    # ---- read --------------------------------------------------------------------

    def providers(self) -> list[Provider]:
        with self._sessions() as session:
            return list(session.exec(select(Provider).order_by(Provider.name)).all())

    def provider(self, name: str) -> Provider | None:
        with self._sessions() as session:
            return session.exec(select(Provider).where(Provider.name == name)).first()

    def tenants(self) -> list[Tenant]:
        with self._sessions() as session:
            return list(session.exec(select(Tenant).order_by(Tenant.code)).all())

    def tenant(self, code: str) -> Tenant | None:
        with self._sessions() as session:
            return session.exec(select(Tenant).where(Tenant.code == code)).first()

    def flavors(self) -> list[Flavor]:
        with self._sessions() as session:
            return list(session.exec(select(Flavor).order_by(Flavor.name)).all())

    def images(self) -> list[Image]:
        with self._sessions() as session:
            return list(session.exec(select(Image).order_by(Image.name)).all())

    def rate_cards(self) -> list[tuple[RateCard, list[Rate]]]:
        with self._sessions() as session:
            cards = session.exec(select(RateCard).order_by(col(RateCard.effective_from))).all()
            rates = session.exec(select(Rate).order_by(Rate.meter, Rate.tier)).all()
            by_card: dict[int | None, list[Rate]] = {}
            for rate in rates:
                by_card.setdefault(rate.rate_card_id, []).append(rate)
            return [(card, by_card.get(card.id, [])) for card in cards]

    def principals(self) -> list[Principal]:
        with self._sessions() as session:
            return list(session.exec(select(Principal).order_by(Principal.name)).all())

    def quotas(self) -> list[Quota]:
        with self._sessions() as session:
            return list(session.exec(select(Quota).order_by(Quota.tenant, Quota.provider)).all())

    def approval_chain(self) -> list[ApprovalStep]:
        with self._sessions() as session:
            return list(
                session.exec(select(ApprovalStep).order_by(col(ApprovalStep.position))).all()
            )

    def policy_document(self) -> dict[str, Any] | None:
        """The stored policy section of the estate (None when the estate binds no packs)."""
        with self._sessions() as session:
            stored = session.get(PolicyBindingDoc, 1)
            return stored.document if stored else None

    def latest_revision(self) -> EstateRevision | None:
        with self._sessions() as session:
            return session.exec(
                select(EstateRevision).order_by(col(EstateRevision.id).desc()).limit(1)
            ).first()


def _canonical(document: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-equal form of a YAML section (Decimals and dates as text) for storage."""
    result: dict[str, Any] = json.loads(json.dumps(document, default=str, sort_keys=True))
    return result


def _creator(
    model: type[Row], values: Mapping[str, Any], timestamps: bool
) -> Callable[[Session, datetime], None]:
    def write(session: Session, now: datetime) -> None:
        stamps = {"created_at": now, "updated_at": now} if timestamps else {}
        session.add(model(**values, **stamps))

    return write


def _updater(
    row: SQLModel, values: Mapping[str, Any], timestamps: bool
) -> Callable[[Session, datetime], None]:
    def write(session: Session, now: datetime) -> None:
        for key, value in values.items():
            setattr(row, key, value)
        if timestamps:
            setattr(row, "updated_at", now)  # noqa: B010  (generic over table models)
        session.add(row)

    return write


def _deleter(row: SQLModel) -> Callable[[Session, datetime], None]:
    def write(session: Session, _now: datetime) -> None:
        session.delete(row)

    return write


def _card_creator(
    version: str, values: Mapping[str, Any], rates: Mapping[tuple[str, str], Mapping[str, Any]]
) -> Callable[[Session, datetime], None]:
    def write(session: Session, _now: datetime) -> None:
        card = RateCard(version=version, **values)
        session.add(card)
        session.flush()
        assert card.id is not None
        for (meter, tier), rate in rates.items():
            session.add(Rate(rate_card_id=card.id, meter=meter, tier=tier, **rate))

    return write


def _card_updater(
    card: RateCard,
    values: Mapping[str, Any],
    stored: Mapping[tuple[str, str], Rate],
    rates: Mapping[tuple[str, str], Mapping[str, Any]],
) -> Callable[[Session, datetime], None]:
    def write(session: Session, _now: datetime) -> None:
        for key, value in values.items():
            setattr(card, key, value)
        session.add(card)
        assert card.id is not None
        for rate_key, row in stored.items():
            if rate_key not in rates:
                session.delete(row)
            elif _differs(row, rates[rate_key]):
                for name, value in rates[rate_key].items():
                    setattr(row, name, value)
                session.add(row)
        for (meter, tier), rate in rates.items():
            if (meter, tier) not in stored:
                session.add(Rate(rate_card_id=card.id, meter=meter, tier=tier, **rate))

    return write


def _card_deleter(card: RateCard) -> Callable[[Session, datetime], None]:
    def write(session: Session, _now: datetime) -> None:
        for rate in session.exec(select(Rate).where(Rate.rate_card_id == card.id)).all():
            session.delete(rate)
        session.flush()
        session.delete(card)

    return write
