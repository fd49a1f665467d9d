"""What a rating run reads besides usage: the estate as billing values.

Owns the translation of stored estate rows into the pure core's values: the rate card
(``RateCard`` of every stored version with its 文号 and approver, and the estate's
per-department discounts), provider tiers,
department names and annual budgets, and each provider's SLA rule: the deduction tiers
the estate declares for it (``slaDeductions``), or — for a provider with an availability
target and no tiers — ``DEFAULT_SLA_TIERS`` (in points below the target). Reads through
the caller's session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from controlplane.billing import (
    Discount,
    Proration,
    Rate,
    RateCard,
    RateCardVersion,
    SlaRule,
    SlaTier,
    Tier,
)
from controlplane.db.models import Provider, Tenant, TenantDiscount
from controlplane.db.models import Rate as RateRow
from controlplane.db.models import RateCard as RateCardRow

__all__ = ["DEFAULT_SLA_TIERS", "EstateInputs", "load_inputs", "sla_rule"]

# (points below target, percent deducted): a miss of less than 0.5 points costs 5 %,
# up to 2 points 10 %, more 20 % of the month's charges on that provider.
DEFAULT_SLA_TIERS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("0"), Decimal("5")),
    (Decimal("0.5"), Decimal("10")),
    (Decimal("2"), Decimal("20")),
)


@dataclass(frozen=True)
class EstateInputs:
    card: RateCard
    tiers: dict[str, Tier]
    tenant_names: dict[str, str]
    budgets: dict[str, Decimal]
    sla_rules: dict[str, SlaRule]


def sla_rule(target: Decimal) -> SlaRule:
    """The deduction rule for a provider whose monthly availability target is ``target``."""
    return SlaRule(
        target,
        tuple(
            SlaTier(max(target - points, Decimal(0)), deduct)
            for points, deduct in DEFAULT_SLA_TIERS
        ),
    )


def _card(session: Session) -> RateCard:
    rates: dict[int, dict[str, list[RateRow]]] = defaultdict(lambda: defaultdict(list))
    for row in session.exec(select(RateRow)).all():
        rates[row.rate_card_id][row.meter].append(row)
    versions = []
    for card in session.exec(select(RateCardRow).order_by(col(RateCardRow.effective_from))).all():
        assert card.id is not None
        per_meter = rates.get(card.id, {})
        versions.append(
            RateCardVersion(
                version=card.version,
                effective_from=card.effective_from,
                effective_to=card.effective_to,
                approval_ref=card.approval_ref or "",
                approver=card.approved_by or "",
                currency=card.currency,
                rates=tuple(
                    Rate(
                        meter,
                        rows[0].unit,
                        {Tier(r.tier): r.price for r in rows},
                        Proration(rows[0].proration),
                    )
                    for meter, rows in sorted(per_meter.items())
                ),
            )
        )
    discounts = [
        Discount(d.tenant, d.percent, d.effective_from, d.effective_to, d.reference or "")
        for d in session.exec(select(TenantDiscount).order_by(col(TenantDiscount.id))).all()
    ]
    return RateCard.of(versions, discounts)


def load_inputs(session: Session) -> EstateInputs:
    providers = session.exec(select(Provider)).all()
    tenants = session.exec(select(Tenant)).all()
    return EstateInputs(
        card=_card(session),
        tiers={p.name: Tier(p.tier) for p in providers},
        tenant_names={t.code: t.name for t in tenants},
        budgets={t.code: t.budget for t in tenants},
        sla_rules={
            p.name: SlaRule.from_data(p.availability_target, p.sla_deductions)
            if p.sla_deductions
            else sla_rule(p.availability_target)
            for p in providers
            if p.availability_target is not None
        },
    )
