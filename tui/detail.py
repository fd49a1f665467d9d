"""What a confirmation or a drill-down shows of one record, as plain lines (pure: no
terminal, no facade).

:func:`plan_lines`: a request's plan as the approver must see it before approving — the
resources it creates, changes and deletes, its monthly price and every policy verdict
that did not pass. :func:`statement_lines`: a statement's lines with their usage and the
rate-card version each was priced from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from controlplane.i18n import Lang, tr

__all__ = ["plan_lines", "statement_lines"]

_SIGNS = {"create": "+", "update": "~", "delete": "-", "unchanged": "="}


def _changes(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(action, "kind/name") of every change the plan records."""
    recorded = plan.get("changes")
    if isinstance(recorded, list) and recorded:
        return [(str(c.get("action")), f"{c.get('kind')}/{c.get('name')}") for c in recorded]
    facts = plan.get("govcloud") or {}
    deleted = facts.get("delete")
    if plan.get("action") == "delete" and isinstance(deleted, list):
        return [("delete", str(d)) for d in deleted]
    return [("create", f"{d.get('kind')}/{d.get('name')}") for d in facts.get("desired") or ()]


def _price(plan: Mapping[str, Any]) -> str:
    price = plan.get("price")
    if isinstance(price, Mapping) and price.get("monthly") is not None:
        return f"{price['monthly']} {price.get('currency') or 'CNY'}"
    facts = plan.get("govcloud") or {}
    monthly = facts.get("monthlyPrice")
    return "—" if monthly is None else f"{monthly} CNY"


def plan_lines(request: str, plan: Mapping[str, Any], lang: Lang) -> list[str]:
    """``request`` (its name) and its plan: changes, monthly price, policy verdicts."""
    lines = [request]
    changes = [(a, n) for a, n in _changes(plan) if a != "unchanged"]
    if changes:
        counts = ", ".join(f"{_SIGNS.get(a, '?')}{sum(1 for b, _ in changes if b == a)}"
                           for a in dict.fromkeys(a for a, _ in changes))  # fmt: skip
        lines.append(f"    {tr('tui.plan', lang)} ({counts}):")
        lines.extend(f"      {_SIGNS.get(a, '?')} {n}" for a, n in changes[:8])
        if len(changes) > 8:
            lines.append(f"      … +{len(changes) - 8}")
    else:
        lines.append(f"    {tr('tui.plan', lang)}: {tr('tui.no_changes', lang)}")
    lines.append(f"    {tr('tui.monthly_price', lang)}: {_price(plan)}")
    lines.extend(_verdicts(plan, lang))
    return lines


def _verdicts(plan: Mapping[str, Any], lang: Lang) -> list[str]:
    policy = plan.get("policy")
    if not isinstance(policy, Mapping):
        reasons = (plan.get("govcloud") or {}).get("reasons") or ()
        head = f"    {tr('tui.verdicts', lang)}: {tr('tui.not_recorded', lang)}"
        return [head, *(f"      ! {r}" for r in reasons)]
    verdicts: Sequence[Mapping[str, Any]] = policy.get("verdicts") or ()
    failing = [v for v in verdicts if v.get("outcome") not in ("pass", "passed", "waived")]
    admitted = tr("yes" if policy.get("admitted") else "no", lang)
    head = (f"    {tr('tui.verdicts', lang)}: {len(verdicts)}, "
            f"{tr('tui.not_passed', lang)} {len(failing)}; {tr('tui.admitted', lang)} {admitted}")  # fmt: skip
    lines = [head]
    for v in failing[:6]:
        message = v.get("message_zh" if lang == "zh" else "message_en") or ""
        lines.append(f"      ✗ {v.get('rule_id')} [{v.get('severity')}] {v.get('outcome')} "
                     f"{message}".rstrip())  # fmt: skip
    if len(failing) > 6:
        lines.append(f"      … +{len(failing) - 6}")
    return lines


def statement_lines(view: Any, lang: Lang) -> list[str]:
    """A statement's lines grouped by system and provider: meter, billed quantity (in
    the rate's proration periods) × unit price = amount, the rate-card version and the
    usage intervals behind each; then adjustments and the total."""
    statement = view.statement
    out = [f"{statement.tenant} {statement.tenant_name} {statement.month} ({view.state})"]
    versions = ", ".join(f"{r.version} ({r.approval_ref})" for r in statement.rate_versions)
    out.append(f"{tr('tui.rate_card', lang)}: {versions or '—'}")
    for group in statement.groups:
        out += ["", f"{group.system or '—'} @ {group.provider}: {group.subtotal}"]
        for line in group.lines:
            discount = f" -{line.discount_percent}%" if line.discount_percent else ""
            out.append(f"  {line.meter:<20} {line.billed_quantity} {line.unit} × "
                       f"{line.unit_price}{discount} = {line.amount}")  # fmt: skip
            out.append(f"      {tr('tui.rate_card', lang)} {line.rate_version} · "
                       f"{line.proration} · {tr('tui.intervals', lang)} "
                       f"{len(line.interval_ids)}: {', '.join(line.interval_ids[:3])}"
                       f"{' …' if len(line.interval_ids) > 3 else ''}")  # fmt: skip
    for adjustment in statement.adjustments:
        out.append(f"  {tr('tui.adjustment', lang)} ({adjustment.kind}): {adjustment.amount} "
                   f"{adjustment.reason}")  # fmt: skip
    out += ["", f"{tr('total', lang)}: {statement.total}"]
    return out
