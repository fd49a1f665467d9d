"""The composer's inline steps (``tenants.located._Composer._document``) against its methods.

The common events — a scalar without tag or anchor, a collection opened and closed — are
composed inline for speed; every other event goes to a method that holds the rules and
messages. A composer built with ``inline=False`` sends every event to its method, so the
two must give the same data, positions, aliases and refusals.

Cases:
- every YAML file of the repository (the valid and invalid manifest corpora, estates,
  policy packs), with the request schema's list caps;
- the generator's manifests (flow and block style, quoted CIDRs, nested lists), through
  libyaml and through the pure-Python parser;
- mutated manifests (bad tags and dates, deep nesting, aliases, duplicate keys, control
  characters, merges, generic damage);
- limits met on the inline path: the node limit, list caps and a duplicate key are refused
  at the same place with the same words.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import emit
from bench.generate import PRESETS, generate
from bench.mutate import YAML_MUTATORS
from tenants.bounds import REQUEST_LIST_CAPS
from tenants.errors import ManifestError
from tenants.limits import InputLimits
from tenants.located import C_PARSER, _check_text, _Composer, _parser, _Refusal

ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted([*ROOT.glob("tests/**/*.yaml"), *ROOT.glob("policies/packs/*.yaml")])
PARSERS = [True, False] if C_PARSER else [True]


def _composed(text: str, *, pure: bool, inline: bool, limits: InputLimits) -> object:
    try:
        _check_text(text, "f.yaml", limits)  # what is refused before any event is read
    except ManifestError as exc:
        return ("refused before parsing", str(exc))
    composer = _Composer(
        "f.yaml", limits, text, C_PARSER and not pure, REQUEST_LIST_CAPS, inline=inline
    )
    try:
        documents = composer.run(_parser(text, pure))
    except _Refusal as refusal:
        return ("refused", str(refusal.problem), refusal.stop)
    except yaml.YAMLError as exc:
        return ("parser", str(exc))
    return (
        "loaded",
        [(repr(d.data), d.start, d.values, d.keys, d.aliases) for d in documents],
        composer.nodes,
        composer.misplaced_tab(),
    )


def _agree(text: str, *, pure: bool, limits: InputLimits | None = None) -> None:
    limits = limits or InputLimits()
    inline = _composed(text, pure=pure, inline=True, limits=limits)
    assert inline == _composed(text, pure=pure, inline=False, limits=limits)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_inline_steps_agree_on_every_yaml_file(path: Path) -> None:
    # one parser: both give the same events (test_hostile_yaml holds them to it)
    _agree(path.read_bytes().decode("utf-8", errors="replace"), pure=not C_PARSER)


@pytest.mark.parametrize("pure", PARSERS, ids=lambda p: "pure" if p else "libyaml")
def test_inline_steps_agree_on_generated_manifests(pure: bool) -> None:
    province = generate(PRESETS["tiny"], 7)
    _agree(emit.dump_all(province.requests), pure=pure)


_MANIFESTS = sorted((ROOT / "tests/tenants/manifests/valid").glob("*.yaml"))


def _mutated(path: Path, names: list[str], seed: int) -> str:
    """The manifest at ``path`` damaged by the mutators ``names`` in turn, seeded."""
    rng = random.Random(seed)
    text = path.read_text()
    for name in names:
        text = YAML_MUTATORS[name](text, rng)
    return text


MUTATED = st.builds(
    _mutated,
    st.sampled_from(_MANIFESTS),
    st.lists(st.sampled_from(sorted(YAML_MUTATORS)), min_size=1, max_size=3),
    st.integers(0, 2**32),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(text=MUTATED)
def test_inline_steps_agree_on_mutated_manifests(text: str) -> None:
    _agree(text, pure=not C_PARSER)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: [1, 2, 3, 4, 5, 6]\nb: {c: d}\n", InputLimits(nodes=5)),
        ("a: {b: 1, c: [1, 2]}\n", InputLimits(nodes=4)),
        ("spec:\n  compute: [" + ", ".join(["{name: x}"] * 101) + "]\n", InputLimits()),
        ("spec: {network: {ingress: [" + ", ".join(["p"] * 101) + "]}}\n", InputLimits()),
        ("a: 1\nb: {c: 1}\na: 2\n", InputLimits()),
        ("a: {x: 1}\nb: [1]\na: {y: 2}\n", InputLimits()),
        ("a: {k: 1, k: [2]}\n", InputLimits()),
        ("a: [[[[[1]]]]]\n", InputLimits(depth=4)),
        ("a: 99999999999999999999999\nb: 2026-02-30\n", InputLimits()),
        ("{a: , b: }\n", InputLimits()),
        ("- {<<: {a: 1}, b: 2}\n- {? [1] : 2}\n", InputLimits()),
    ],
)
@pytest.mark.parametrize("pure", PARSERS, ids=lambda p: "pure" if p else "libyaml")
def test_inline_steps_agree_at_limits_and_errors(
    text: str, limits: InputLimits, pure: bool
) -> None:
    _agree(text, pure=pure, limits=limits)
