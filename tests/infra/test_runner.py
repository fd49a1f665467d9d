"""The Automation API runner, with the CLI faked at its one seam (``PulumiCommand``).

Cases:
- one stack per (tenant, system, provider): project ``<tenant>-<system>``, stack named
  after the provider, created once then selected; the workspace gets the ``file://``
  backend under the govcloud home (or the configured URL), the passphrase secrets
  provider and passphrase, the stack config and the exported program;
- ``up`` records every engine event as a history line (failures and diagnostics too) and
  reports each resource step; ``preview`` reports the change summary without touching
  state; ``refresh`` names drifted resources; ``destroy`` deletes what the stack holds,
  and a stack that never existed is empty;
- ``ConcurrentUpdateError`` is the temporary ``StackBusy`` (cause kept) and a retry works;
- operations a crash left pending are found, reported by name and refuse ``up``/``destroy``;
- at most ``max_concurrent`` stacks run at once;
- without a ``pulumi`` on PATH every operation is refused early with ``PulumiMissing``
  (saying what to install), before any file is written;
- with a real ``pulumi`` on PATH (not installable here: reported as not run otherwise),
  an empty stack is created in the file backend with passphrase secrets and destroyed.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from infra.blueprint import blueprint
from infra.errors import EngineFailed, PendingOperations, PulumiMissing, StackBusy
from infra.export import render_program
from infra.runner import RunnerSettings, StackId, StackRunner
from providers.types import DesiredResource, SystemRef
from tests.infra.fake_pulumi import FakePulumi, Scripted

SYSTEM = SystemRef("hrss", "portal", "7", 3)
DESIRED = [DesiredResource("network", "net", {"cidr": "10.0.0.0/24", "router": False})]
PLAN = blueprint(SYSTEM, DESIRED, "openstack", provider="prov-main")
STACK = StackId("hrss", "portal", "prov-main")
CONFIG = {"openstack:cloud": "prov-main"}
NETWORK = "openstack:networking/network:Network"


@pytest.fixture
def fake() -> FakePulumi:
    return FakePulumi()


@pytest.fixture
def runner(tmp_path: Path, fake: FakePulumi) -> StackRunner:
    return StackRunner(RunnerSettings(tmp_path / "pulumi", "s3cret"), command=lambda: fake)


def commands(fake: FakePulumi) -> list[str]:
    return [" ".join(call.args[:2]) for call in fake.calls]


def test_one_stack_per_system_and_provider_in_a_file_backend_with_passphrase_secrets(
    runner: StackRunner, fake: FakePulumi, tmp_path: Path
) -> None:
    fake.script = [Scripted("create", NETWORK, "network/net")]
    runner.up(PLAN, STACK, CONFIG)
    runner.up(PLAN, STACK, CONFIG)
    assert STACK.qualified == "organization/hrss-portal/prov-main"
    assert list(fake.stacks) == ["hrss-portal/prov-main"]
    assert commands(fake).count("stack init") == 1
    init = next(c for c in fake.calls if c.args[:2] == ["stack", "init"])
    assert (
        init.args[2] == "prov-main"
        and fake.stacks["hrss-portal/prov-main"].secrets_provider == "passphrase"
    )
    backend = (tmp_path / "pulumi" / "state").resolve().as_uri()
    assert backend.startswith("file://")
    for call in fake.calls:
        assert call.env["PULUMI_BACKEND_URL"] == backend
        assert call.env["PULUMI_CONFIG_PASSPHRASE"] == "s3cret"
        assert call.cwd == str(runner.work_dir(STACK))
    work = Path(runner.work_dir(STACK))
    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    assert project["name"] == "hrss-portal" and project["backend"]["url"] == backend
    assert (work / "__main__.py").read_text() == render_program(PLAN, provider="prov-main")
    assert fake.stacks["hrss-portal/prov-main"].config == CONFIG


def test_a_configured_backend_url_is_used(tmp_path: Path, fake: FakePulumi) -> None:
    settings = RunnerSettings(tmp_path, "pw", backend_url="s3://state-bucket/govcloud")
    StackRunner(settings, command=lambda: fake).up(PLAN, STACK, CONFIG)
    assert {c.env["PULUMI_BACKEND_URL"] for c in fake.calls} == {"s3://state-bucket/govcloud"}


def test_up_records_every_event_line_and_step(runner: StackRunner, fake: FakePulumi) -> None:
    fake.script = [
        Scripted("create", NETWORK, "network/net"),
        Scripted("create", "openstack:networking/subnet:Subnet", "network/net", failed=True),
    ]
    report = runner.up(PLAN, STACK, CONFIG)
    assert report.events == (
        f"create {NETWORK} network/net",
        "error network/net: network/net: quota exceeded",
        "failed create openstack:networking/subnet:Subnet network/net",
    )
    assert [(s.op, s.name, s.failed, s.resource_id) for s in report.steps] == [
        ("create", "network/net", False, "network/net-id"),
        ("create", "network/net", True, "network/net-id"),
    ]
    assert report.changes == {"create": 2}


def test_preview_is_the_plan_diff(runner: StackRunner, fake: FakePulumi) -> None:
    fake.script = [Scripted("create", NETWORK, "network/net")]
    report = runner.preview(PLAN, STACK, CONFIG)
    assert report.changes == {"create": 1}
    assert [(s.op, s.name) for s in report.steps] == [("create", "network/net")]
    assert fake.stacks["hrss-portal/prov-main"].resources == {}


def test_refresh_names_drift_and_destroy_deletes(runner: StackRunner, fake: FakePulumi) -> None:
    assert runner.destroy(STACK, "openstack", CONFIG).steps == ()
    assert "stack init" not in commands(fake), "destroying a never-made stack creates none"
    fake.script = [Scripted("create", NETWORK, "network/net")]
    runner.up(PLAN, STACK, CONFIG)
    fake.script = [
        Scripted("refresh", NETWORK, "network/net", diffs=("tags",)),
        Scripted("refresh", "openstack:networking/subnet:Subnet", "network/net"),
    ]
    assert runner.refresh(STACK, "openstack", CONFIG).drifted() == ["network/net"]
    report = runner.destroy(STACK, "openstack", CONFIG)
    assert [(s.op, s.name) for s in report.steps] == [("delete", "network/net")]
    assert fake.stacks["hrss-portal/prov-main"].resources == {}


def test_a_concurrent_update_is_busy_and_retryable(runner: StackRunner, fake: FakePulumi) -> None:
    fake.busy_times = 1
    with pytest.raises(StackBusy) as caught:
        runner.up(PLAN, STACK, CONFIG)
    assert caught.value.temporary
    assert isinstance(caught.value.__cause__, auto.ConcurrentUpdateError)
    assert "Another update is currently in progress" in caught.value.detail
    fake.script = [Scripted("create", NETWORK, "network/net")]
    assert runner.up(PLAN, STACK, CONFIG).steps


def test_other_engine_failures_keep_the_cli_message(runner: StackRunner, fake: FakePulumi) -> None:
    runner.up(PLAN, STACK, CONFIG)
    fake.fail_with["refresh"] = "error: could not load plugin openstack"
    with pytest.raises(EngineFailed, match="could not load plugin openstack") as caught:
        runner.refresh(STACK, "openstack", CONFIG)
    assert not caught.value.temporary
    assert isinstance(caught.value.__cause__, auto.CommandError)


def test_pending_operations_after_a_crash_are_found_and_reported(
    runner: StackRunner, fake: FakePulumi
) -> None:
    fake.script = [Scripted("create", NETWORK, "network/net")]
    runner.up(PLAN, STACK, CONFIG)
    urn = "urn:pulumi:prov-main::hrss-portal::openstack:compute/instance:Instance::server/web-1"
    fake.stacks["hrss-portal/prov-main"].pending = [{"type": "creating", "resource": {"urn": urn}}]
    assert runner.pending(STACK, "openstack") == [("creating", "server/web-1")]
    for operation in (lambda: runner.up(PLAN, STACK, CONFIG),
                      lambda: runner.destroy(STACK, "openstack", CONFIG)):  # fmt: skip
        before = len([c for c in fake.calls if c.args[0] in ("up", "destroy")])
        with pytest.raises(PendingOperations, match="creating server/web-1") as caught:
            operation()
        assert not caught.value.temporary
        assert len([c for c in fake.calls if c.args[0] in ("up", "destroy")]) == before


def test_at_most_max_concurrent_stacks_run_at_once(tmp_path: Path, fake: FakePulumi) -> None:
    runner = StackRunner(RunnerSettings(tmp_path, "pw", max_concurrent=2), command=lambda: fake)
    fake.delay = 0.2
    errors: list[BaseException] = []

    def run(n: int) -> None:
        system = SystemRef("hrss", f"s{n}", "1", 2)
        try:
            runner.up(blueprint(system, DESIRED, "openstack", provider="p"),
                      StackId("hrss", f"s{n}", "p"), CONFIG)  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert fake.max_running == 2
    assert len(fake.stacks) == 4


def test_without_a_pulumi_cli_every_operation_is_refused_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    runner = StackRunner(RunnerSettings(tmp_path / "pulumi", "pw"))
    for operation in (
        lambda: runner.up(PLAN, STACK, CONFIG),
        lambda: runner.preview(PLAN, STACK, CONFIG),
        lambda: runner.refresh(STACK, "openstack", CONFIG),
        lambda: runner.destroy(STACK, "openstack", CONFIG),
        lambda: runner.pending(STACK, "openstack"),
    ):
        with pytest.raises(PulumiMissing) as caught:
            operation()
        assert caught.value.provider == "prov-main" and not caught.value.temporary
        assert "pulumi plugin install resource openstack" in caught.value.detail
        assert "请安装 Pulumi 命令行" in caught.value.describe("zh")
    assert not (tmp_path / "pulumi").exists()


REAL = shutil.which("pulumi")


@pytest.mark.skipif(
    REAL is None, reason="needs the pulumi CLI on PATH; it cannot be installed here"
)
def test_with_the_real_cli_a_stack_is_made_with_passphrase_secrets(tmp_path: Path) -> None:
    runner = StackRunner(RunnerSettings(tmp_path / "pulumi", "real-pass"))
    assert runner.pending(STACK, "openstack") == []
    assert runner.destroy(STACK, "openstack", CONFIG).steps == ()
    work = runner.work_dir(STACK)
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(work),
        env_vars={
            "PULUMI_BACKEND_URL": runner.settings.backend,
            "PULUMI_CONFIG_PASSPHRASE": "real-pass",
        },
        secrets_provider="passphrase",
        project_settings=auto.ProjectSettings(name=STACK.project, runtime="python"),
    )
    stack = auto.create_or_select_stack(STACK.stack, work_dir=str(work), opts=opts)
    stack.set_config("openstack:cloud", auto.ConfigValue("prov-main"))
    assert "encryptionsalt" in (work / "Pulumi.prov-main.yaml").read_text()
    assert runner.pending(STACK, "openstack") == []
    assert runner.destroy(STACK, "openstack", CONFIG).steps == ()
