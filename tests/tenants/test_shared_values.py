"""Value models shared within one reading (``tenants.validation.ValueModel``).

Cases:
- equal blocks of the documents of one file are one instance (volumes, ingress rules,
  compute groups with their volumes, backup blocks); blocks left out are the one
  instance at defaults, equal to a freshly built one;
- two files never share an instance; direct construction never does;
- inputs that are equal in Python but not the same YAML are not confused: ``1`` and
  ``true``, ``0`` and ``false``, ``500`` and ``"500"`` — the later one is still refused
  (or validated) on its own, with its own located error;
- an input that cannot be keyed exactly (a float, here a Decimal) is validated anew;
- an invalid block is never kept: each document repeating it gets its own error.
"""

from __future__ import annotations

import pytest

from tenants import BackupSpec, ComputeSpec, ManifestError, Placement, Volume
from tenants.manifest import load_requests
from tenants.records import SystemRecords
from tenants.validation import SharedValues

DOC = """\
apiVersion: govcloud.io/v1
kind: SystemRequest
metadata:
  name: {name}
  tenant: hrss
spec:
  dataClassification: general
  classifiedProtection: 3
  compute:
    - {{name: web, flavor: c2m4, image: ubuntu-22.04, volumes: [{volume}]}}
  network:
    ingress: [{{port: 443, from: internet}}]
  backup: {backup}
"""


def _doc(
    name: str,
    volume: str = "{sizeGiB: 100, encrypted: true}",
    backup: str = "{enabled: true, offsite: false}",
) -> str:
    return DOC.format(name=name, volume=volume, backup=backup)


def _file(*docs: str) -> str:
    return "---\n".join(docs)


def test_equal_blocks_of_one_file_are_one_instance() -> None:
    a, b = load_requests(_file(_doc("a"), _doc("b")))
    sa, sb = a.request.spec, b.request.spec
    assert sa.compute[0] is sb.compute[0]
    assert sa.compute[0].volumes[0] is sb.compute[0].volumes[0]
    assert sa.network is sb.network
    assert sa.network.ingress[0] is sb.network.ingress[0]
    assert sa.backup is sb.backup
    assert a.request.metadata is not b.request.metadata


def test_blocks_left_out_are_the_defaults_instance() -> None:
    a, b = load_requests(_file(_doc("a"), _doc("b")))
    assert a.request.spec.placement is b.request.spec.placement is Placement.at_defaults()
    assert a.request.spec.records is SystemRecords.at_defaults()
    assert a.request.spec.records == SystemRecords()
    assert Placement.at_defaults().model_fields_set == set()


def test_files_and_direct_construction_share_nothing() -> None:
    (a,) = load_requests(_doc("a"))
    (b,) = load_requests(_doc("b"))
    assert a.request.spec.compute[0] == b.request.spec.compute[0]
    assert a.request.spec.compute[0] is not b.request.spec.compute[0]
    assert Volume(size_gib=100) is not Volume(size_gib=100)
    assert Volume.model_validate({"sizeGiB": 1}, context=SharedValues()) == Volume(size_gib=1)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("{sizeGiB: 100, encrypted: true}", "{sizeGiB: 100, encrypted: 1}"),
        ("{sizeGiB: 100, encrypted: false}", "{sizeGiB: 100, encrypted: 0}"),
        ("{sizeGiB: 100}", '{sizeGiB: "100"}'),
    ],
)
def test_equal_in_python_is_not_the_same_yaml(first: str, second: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(_file(_doc("a", volume=first), _doc("b", volume=second)))
    (problem,) = caught.value.problems
    assert problem.location is not None and problem.location.line == 24  # document b only
    assert problem.path.startswith("spec.compute[0].volumes[0].")


def test_true_after_one_is_its_own_value() -> None:
    a, b = load_requests(
        _file(_doc("a", backup="{enabled: true, retentionDays: 7}"), _doc("b", backup="{}"))
    )
    assert a.request.spec.backup == BackupSpec(enabled=True, retention_days=7)
    assert b.request.spec.backup == BackupSpec()
    assert a.request.spec.backup is not b.request.spec.backup


def test_unkeyable_input_is_validated_anew() -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(
            _file(_doc("a", volume="{sizeGiB: 100.0}"), _doc("b", volume="{sizeGiB: 100.0}"))
        )
    assert [p.location.line for p in caught.value.problems if p.location] == [10, 24]


def test_an_invalid_block_is_refused_in_every_document() -> None:
    bad = "{enabled: false, offsite: true}"
    with pytest.raises(ManifestError) as caught:
        load_requests(_file(*(_doc(name, backup=bad) for name in "abc")))
    problems = caught.value.problems
    assert [p.path for p in problems] == ["spec.backup.offsite"] * 3
    assert [p.location.line for p in problems if p.location] == [13, 27, 41]


def test_compute_groups_differing_in_one_volume_are_two() -> None:
    a, b = load_requests(_file(_doc("a"), _doc("b", volume="{sizeGiB: 200}")))
    assert a.request.spec.compute[0] is not b.request.spec.compute[0]
    assert isinstance(a.request.spec.compute[0], ComputeSpec)
