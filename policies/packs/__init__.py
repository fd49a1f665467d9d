"""Policy packs: YAML files listing rules with their mode and parameters.

Owns the pack file schema, located loading (unknown rule ids and bad parameters point at
``file:line:col``) and the built-in packs shipped as ``policies/packs/*.yaml``.
Imports :mod:`tenants` for located YAML and validation, nothing else internal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from pydantic import Field, ValidationError

from policies.binding import BoundPacks, BoundRule
from policies.params import Params
from policies.registry import get_rule
from policies.verdicts import Enforcement
from tenants import LocatedDocument, ManifestError, Problem, StrictModel, parse_model
from tenants.located import load_yaml_documents
from tenants.validation import problems_from_validation

__all__ = [
    "BUILTIN_PACKS",
    "Pack",
    "PackEntry",
    "bind_packs",
    "builtin_packs",
    "load_pack",
    "validate_params",
]

BUILTIN_PACKS = (
    "gov-cloud-baseline",
    "mlps-l2",
    "mlps-l3",
    "mlps-l4",
    "data-classification",
    "crypto-gbt39786",
    "csl-log-retention",
    "xinchuang",
)

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


class _Title(StrictModel):
    zh: str
    en: str


class _Metadata(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    title: _Title


class _Entry(StrictModel):
    id: str
    mode: Enforcement = Enforcement.ENFORCE
    params: dict[str, Any] = Field(default_factory=dict)


class _Spec(StrictModel):
    rules: list[_Entry] = Field(min_length=1)


class _PackDocument(StrictModel):
    api_version: Literal["govcloud.io/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicyPack"]
    metadata: _Metadata
    spec: _Spec


@dataclass(frozen=True)
class PackEntry:
    rule_id: str
    enforcement: Enforcement
    params: Params


@dataclass(frozen=True)
class Pack:
    name: str
    title_zh: str
    title_en: str
    entries: tuple[PackEntry, ...]
    file: str

    def bound_rules(self) -> list[BoundRule]:
        return [
            BoundRule(get_rule(e.rule_id), e.enforcement, e.params, (self.name,))
            for e in self.entries
        ]


def validate_params(
    rule_id: str,
    values: Mapping[str, Any],
    doc: LocatedDocument,
    path: tuple[str | int, ...],
    base: Params | None = None,
) -> Params | list[Problem]:
    """``values`` (on top of ``base``) as the rule's parameters, or located problems."""
    spec = get_rule(rule_id).spec
    data = base.model_dump(by_alias=True) if base is not None else {}
    data.update(values)
    try:
        return spec.params.model_validate(data)
    except ValidationError as exc:
        return problems_from_validation(exc, doc, path)


def _parse(doc: LocatedDocument) -> Pack:
    raw = parse_model(_PackDocument, doc)
    problems: list[Problem] = []
    entries: list[PackEntry] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.spec.rules):
        where: tuple[str | int, ...] = ("spec", "rules", i)
        try:
            get_rule(entry.id)
        except KeyError:
            problems.append(doc.problem((*where, "id"), "unknown rule id", found=entry.id))
            continue
        if entry.id in seen:
            problems.append(doc.problem((*where, "id"), "rule listed twice", found=entry.id))
            continue
        seen.add(entry.id)
        params = validate_params(entry.id, entry.params, doc, (*where, "params"))
        if isinstance(params, list):
            problems.extend(params)
            continue
        entries.append(PackEntry(entry.id, entry.mode, params))
    if problems:
        raise ManifestError(problems)
    meta = raw.metadata
    return Pack(meta.name, meta.title.zh, meta.title.en, tuple(entries), doc.file)


def load_pack(text: str, file: str) -> Pack:
    """Parse one pack file; raises ``ManifestError`` with located problems."""
    docs = load_yaml_documents(text, file)
    if len(docs) != 1:
        raise ManifestError([Problem(None, "", f"{file}: expected exactly one document")])
    return _parse(docs[0])


@cache
def builtin_packs() -> Mapping[str, Pack]:
    """The packs shipped with govcloud, by name."""
    out: dict[str, Pack] = {}
    folder = resources.files(__package__)
    for name in BUILTIN_PACKS:
        item = folder / f"{name}.yaml"
        pack = load_pack(item.read_text(encoding="utf-8"), f"policies/packs/{name}.yaml")
        if pack.name != name:
            raise ValueError(f"{name}.yaml declares pack {pack.name}")
        out[name] = pack
    return MappingProxyType(out)


def bind_packs(
    names: list[str] | tuple[str, ...], packs: Mapping[str, Pack] | None = None
) -> BoundPacks:
    """Bind the named packs together (the stricter setting wins where they overlap)."""
    table = builtin_packs() if packs is None else packs
    rules: list[BoundRule] = []
    for name in names:
        rules.extend(table[name].bound_rules())
    return BoundPacks.of(names, rules)
