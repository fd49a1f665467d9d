"""Packs as data and the estate's baseline/overlay bindings.

Cases: every built-in pack loads and binds; the level packs nest (l2 ⊂ l3 ⊂ l4);
pack-file errors (unknown rule id, bad parameter type, unknown parameter, duplicate
rule, wrong kind) are located at file:line:col; two packs merge to the stricter
setting and only explicit settings take part; a must-not-change clash is refused;
Tighten directions; an overlay that loosens the baseline (retention 180 → 90, a risky
port removed, enforce → warn, a rule disabled) is refused with a located error, while
a tightening overlay is accepted and chosen for its scope.
"""

from __future__ import annotations

import textwrap

import pytest

from policies import BUILTIN_PACKS, Enforcement, Tighten, bind_packs, builtin_packs, load_pack
from policies.binding import PackConflict
from policies.overlays import load_policy_binding
from tenants import ManifestError, load_yaml_documents


def test_builtin_packs_load_and_bind_every_rule() -> None:
    packs = builtin_packs()
    assert tuple(packs) == BUILTIN_PACKS
    bound = bind_packs(BUILTIN_PACKS)
    assert len(bound.rules) == 57
    l2, l3, l4 = ({e.rule_id for e in packs[n].entries} for n in ("mlps-l2", "mlps-l3", "mlps-l4"))
    assert l2 < l3 < l4
    assert "MLPS-L4-PLT-02" in l4 - l3
    assert bound.rules["CSL-LOG-01"].params.min_days == 180  # type: ignore[attr-defined]


PACK = """\
apiVersion: govcloud.io/v1
kind: PolicyPack
metadata:
  name: city-extra
  title: {zh: 甲市补充, en: City A extras}
spec:
  rules:
    - id: CSL-LOG-01
      params:
        minDays: lots
    - id: NO-SUCH-RULE
    - id: MLPS-L1-NET-02
      params: {riskyPortz: [22]}
    - id: CSL-LOG-01
"""


def test_pack_errors_are_located() -> None:
    with pytest.raises(ManifestError) as caught:
        load_pack(PACK, "city-extra.yaml")
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) == {
        "spec.rules[0].params.minDays",
        "spec.rules[1].id",
        "spec.rules[2].params.riskyPortz",
        "spec.rules[3].id",
    }
    loc = problems["spec.rules[0].params.minDays"].location
    assert loc is not None and (loc.file, loc.line) == ("city-extra.yaml", 10)
    assert problems["spec.rules[1].id"].location.line == 11  # type: ignore[union-attr]
    assert "unknown rule id" in problems["spec.rules[1].id"].message
    assert "twice" in problems["spec.rules[3].id"].message


def test_pack_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(ManifestError) as caught:
        load_pack(PACK.replace("PolicyPack", "Estate"), "x.yaml")
    assert caught.value.problems[0].path == "kind"


def _pack(name: str, body: str) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: govcloud.io/v1
        kind: PolicyPack
        metadata: {{name: {name}, title: {{zh: t, en: t}}}}
        spec:
          rules:
        """
    ) + textwrap.indent(textwrap.dedent(body), "    ")


def test_packs_merge_to_the_stricter_setting() -> None:
    a = load_pack(_pack("a", "- {id: CSL-LOG-01, mode: warn, params: {minDays: 365}}\n"), "a")
    b = load_pack(_pack("b", "- {id: CSL-LOG-01, mode: enforce}\n"), "b")
    c = load_pack(_pack("c", "- {id: MLPS-L1-NET-02, params: {riskyPorts: [8888]}}\n"), "c")
    bound = bind_packs(
        ["a", "b", "c", "gov-cloud-baseline"], {"a": a, "b": b, "c": c, **builtin_packs()}
    )
    log = bound.rules["CSL-LOG-01"]
    assert log.enforcement is Enforcement.ENFORCE
    assert log.params.min_days == 365  # type: ignore[attr-defined]
    ports = bound.rules["MLPS-L1-NET-02"].params.risky_ports  # type: ignore[attr-defined]
    assert 8888 in ports and 22 not in ports  # baseline leaves ports at default: no opinion
    sources = bound.rules["MLPS-L1-NET-02"].params.management_sources  # type: ignore[attr-defined]
    assert sources == {"bastion", "10.0.0.0/8"}


def test_fixed_parameter_clash_is_refused() -> None:
    a = load_pack(_pack("a", "- {id: DATA-IMP-01, params: {province: GD}}\n"), "a")
    b = load_pack(_pack("b", "- {id: DATA-IMP-01, params: {province: GX}}\n"), "b")
    with pytest.raises(PackConflict):
        bind_packs(["a", "b"], {"a": a, "b": b})


@pytest.mark.parametrize(
    ("direction", "base", "other", "looser"),
    [
        (Tighten.HIGHER, 180, 90, True),
        (Tighten.HIGHER, 180, 365, False),
        (Tighten.LOWER, 48, 72, True),
        (Tighten.LOWER, 48, 24, False),
        (Tighten.SUPERSET, frozenset({22, 3389}), frozenset({22}), True),
        (Tighten.SUPERSET, frozenset({22}), frozenset({22, 23}), False),
        (Tighten.SUBSET, frozenset({"kunpeng"}), frozenset({"kunpeng", "intel"}), True),
        (Tighten.SUBSET, frozenset({"kunpeng", "hygon"}), frozenset({"kunpeng"}), False),
        (Tighten.FIXED, "GD", "GX", True),
        (Tighten.FIXED, "GD", "GD", False),
    ],
)
def test_tighten_directions(direction: Tighten, base: object, other: object, looser: bool) -> None:
    assert direction.is_looser(base, other) is looser


ESTATE = """\
apiVersion: govcloud.io/v1
kind: Estate
metadata: {name: example-province}
spec:
  policies:
    baseline:
      packs: [gov-cloud-baseline, mlps-l2, mlps-l3, mlps-l4, csl-log-retention]
      rules:
        MLPS-L1-NET-04: {mode: enforce}
    overlays:
      - name: city-a
        scope: {city: city-a}
        packs: [xinchuang]
        rules:
          CSL-LOG-01:
            params: {minDays: OVERLAY_DAYS}
"""


def _estate(text: str) -> object:
    (doc,) = load_yaml_documents(text, "estate.yaml")
    return load_policy_binding(doc)


def test_tightening_overlay_is_accepted_and_scoped() -> None:
    policy = _estate(ESTATE.replace("OVERLAY_DAYS", "365"))
    city = policy.for_scope(level=3, city="city-a")  # type: ignore[attr-defined]
    assert city.rules["CSL-LOG-01"].params.min_days == 365
    assert "CII-XC-01" in city.rules
    base = policy.for_scope(level=3, city="city-b")  # type: ignore[attr-defined]
    assert base.rules["CSL-LOG-01"].params.min_days == 180
    assert base.rules["MLPS-L1-NET-04"].enforcement is Enforcement.ENFORCE


def test_overlay_loosening_retention_is_refused_with_location() -> None:
    with pytest.raises(ManifestError) as caught:
        _estate(ESTATE.replace("OVERLAY_DAYS", "90"))
    (problem,) = caught.value.problems
    assert problem.path == "spec.policies.overlays[0].rules.CSL-LOG-01.params.minDays"
    assert problem.location is not None
    assert (problem.location.file, problem.location.line) == ("estate.yaml", 16)
    assert problem.found == "90" and problem.expected == "180 or stricter"
    assert "loosens CSL-LOG-01.minDays" in problem.message


@pytest.mark.parametrize(
    ("override", "path", "line"),
    [
        (
            "MLPS-L1-NET-02: {params: {riskyPorts: [3389]}}",
            "rules.MLPS-L1-NET-02.params.riskyPorts",
            15,
        ),
        ("MLPS-L1-NET-04: {mode: warn}", "rules.MLPS-L1-NET-04.mode", 15),
        ("MLPS-L1-NET-01: {disabled: true}", "rules.MLPS-L1-NET-01", 15),
        ("DATA-IMP-01: {params: {province: GX}}", "rules.DATA-IMP-01.params.province", 15),
    ],
)
def test_overlay_loosening_is_refused(override: str, path: str, line: int) -> None:
    text = ESTATE.replace("CSL-LOG-01:\n            params: {minDays: OVERLAY_DAYS}", override)
    with pytest.raises(ManifestError) as caught:
        _estate(text)
    paths = {p.path: p for p in caught.value.problems}
    full = f"spec.policies.overlays[0].{path}"
    assert full in paths, list(paths)
    assert paths[full].location is not None and paths[full].location.line == line


def test_unknown_pack_and_rule_in_binding_are_located() -> None:
    text = ESTATE.replace("packs: [xinchuang]", "packs: [xinchaung]").replace(
        "CSL-LOG-01:\n", "CSL-LOG-99:\n"
    )
    with pytest.raises(ManifestError) as caught:
        _estate(text)
    paths = {p.path for p in caught.value.problems}
    assert "spec.policies.overlays[0].packs[0]" in paths
    assert "spec.policies.overlays[0].rules.CSL-LOG-99" in paths
