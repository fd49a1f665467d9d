"""Chinese command help, and the command framework's own words, for ``--lang zh``.

Command and option help is written in English in the command modules (docstrings and
``help=``); :data:`HELP_ZH` gives each text its Chinese, keyed by the English so that
changing a help text without its translation is caught (tests/cli/test_zh_walk.py walks
every command). The framework's fixed words (panel titles, ``Usage:``, ``[required]``,
its usage-error sentences) are module-level strings of typer and its vendored click; in
Chinese they are swapped for the duration of one command line and restored after.
typer renders help and usage errors with ``rich``, which a command that runs normally
never needs: :func:`localized` loads it only for help, and :func:`framework_error` only
when there is an error to say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from typer import Abort
from typer._click import formatting
from typer._click.decorators import help_option
from typer._click.exceptions import ClickException

from controlplane.i18n import Lang
from providers.kinds import KINDS

if TYPE_CHECKING:
    from tenants import Problem

__all__ = [
    "HELP_ZH",
    "framework_error",
    "help_texts",
    "localized",
    "problem_text",
    "problem_zh",
    "refusal_text",
    "translate_usage_error",
]

HELP_ZH: Mapping[str, str] = {
    # root
    "govcloud — control plane for a provincial 1+M+N government cloud (政务云).":
        "govcloud —— 省级“1+M+N”政务云的管控平台。",
    "State directory (default ~/.local/share/govcloud).":
        "状态目录（默认 ~/.local/share/govcloud）。",
    "Principal the command acts as (default local-operator; with a context: "
    "impersonated, which the server checks).":
        "执行命令的主体（默认 local-operator；经由上下文时为代入身份）。",
    "Send the command to this context's server (default: the configuration's "
    "current context; '' for the local home).":
        "命令发往的上下文（默认当前上下文；'' 为本地）。",
    # config (contexts)
    "Contexts: which govcloud server a command goes to, with which token.":
        "上下文：命令发往哪个 govcloud 服务器、使用哪个令牌。",
    "Add or replace a context (the file is written readable by you only).":
        "新增或替换一个上下文（配置文件只允许本人读写）。",
    "Name of the context.": "上下文名称。",
    "API server URL (https://HOST:PORT).": "API 服务器地址（HTTPS）。",
    "Bearer token (govcloud token create).": "持有者令牌（govcloud token create）。",
    "CA certificate file to verify the server.": "校验服务器证书所用的 CA 证书文件。",
    "Make NAME the context every command goes through.": "把 NAME 设为所有命令经由的上下文。",
    "Remove a context (and unset it if it was the current one).":
        "删除一个上下文（若为当前上下文则一并取消）。",
    "Every context: name, server and CA (never the token); * marks the current one.":
        "所有上下文：名称、服务器和 CA（从不显示令牌）；* 标出当前上下文。",
    "The name of the current context (exit 1 when none is set).":
        "当前上下文的名称（未设置时退出码 1）。",
    "zh or en (default: from LANG).": "zh 或 en（默认取自 LANG）。",
    "Output format: table, wide, json or yaml.": "输出格式。",
    "At most this many rows per page.": "每页最多显示的行数。",
    "Token printed at the end of the previous page.": "上页末尾给出的续页令牌",
    "File to write.": "写入的文件。",
    "YYYY-MM": "月份，格式 YYYY-MM。",
    "Department code.": "部门编码。",
    "Provider name.": "云平台名称。",
    # demo, init, plan, apply, delete
    "Generate a province (SQLite + simulator clouds) and run govcloud's flow on it.":
        "生成一个演示省份（SQLite + 模拟云），并在其上运行 govcloud 的完整流程。",
    "Where to build the demo (default: a new temporary directory).":
        "演示数据目录 （默认新建临时目录）",
    "tiny | demo | province": "规模：tiny、demo 或 province。",
    "Generator seed (same seed, same province).": "生成器种子 （种子相同， 省份相同）",
    "Departments whose requests are applied.": "提交申请的部门数。",
    "Show what a SystemRequest would do: placement, resources, policy, price — change nothing.":
        "预览 SystemRequest 的效果：放置、资源、策略、价格——不做任何修改。",
    "SystemRequest manifest ('-' for stdin).": "SystemRequest 清单文件（'-' 表示标准输入）。",
    "Record a request for every SystemRequest in FILE (identical specs: no-op).":
        "为 FILE 中每个 SystemRequest 记录一项申请（规格相同则不做任何事）。",
    "Record a deletion of every system FILE names.": "为 FILE 中列出的每个系统记录删除申请。",
    "Create or migrate the database (idempotent).": "创建或升级数据库（可重复执行）。",
    # audit
    "The append-only, keyed and checkpointed audit log.":
        "只追加、带密钥链和签名检查点的审计日志。",
    "Detect altered, removed, reordered, re-chained or forged events and truncation\n"
    "(against the latest signed checkpoint); exit 1 if there is any.":
        "检查审计日志是否被篡改或截断；发现则以状态 1 退出。\n\n"
        "篡改指事件被改动、删除、调换顺序、重新链接或伪造；截断对照最近的签名检查点判断。",
    "Sign the current head and append it to the checkpoint file(s) now (for schedulers).":
        "立即签名当前链头并追加到检查点文件（供定时任务使用）。",
    "Start sealing with a new key; old keys stay in the ring so the past still verifies.":
        "开始使用新密钥封存；旧密钥留在密钥环中，历史记录仍可校验。",
    # bill
    "Monthly bills: rate, review, finalize, export.": "月度账单：计价、核对、定稿、导出。",
    "Rate the month and write its statements (deterministic, one transaction).":
        "为该月计价并生成结算单（结果确定，单一事务）。",
    "Statements with budget month-to-date, linear projection and an overrun flag.":
        "结算单，含本月至今预算执行、线性预测与超支预警。",
    "One department's statement.": "只看一个部门的结算单。",
    "One total per tier or per platform, over every statement shown.": "按层级或平台各出合计。",
    "Mark draft statements as confirmed (checked by the department or finance).":
        "将草稿结算单标记为已确认（部门或财政已核对）。",
    "Freeze the month's statements; refused while any coverage gap is unacknowledged.":
        "冻结该月结算单；存在未确认的覆盖缺口时拒绝。",
    "Record an approved correction; it lands on the next month that is not finalized.":
        "记录一笔已批准的更正，计入下一个未定稿的月份。",
    "Signed CNY; negative is a credit.": "金额（元）， 负数为退款",
    "YYYY-MM the correction is about.": "更正所涉及的月份 YYYY-MM",
    "Write statements for finance as CSV, XLSX, PDF or JSON (Chinese by default).":
        "为财政导出结算单：CSV、XLSX、PDF 或 JSON（默认中文）。",
    "zh (default) or en.": "zh（默认）或 en。",
    # estate
    "Declare and inspect the estate (providers, tenants, catalogue, prices).":
        "声明与查看资源目录（云平台、部门、服务目录、价格）。",
    "Make the database hold exactly this estate (declarative, idempotent).":
        "使数据库与该资源目录完全一致（声明式，可重复执行）。",
    "estate.yaml": "资源目录文件（estate.yaml）。",
    "Show what would change; change nothing.": "只显示变更， 不做任何修改",
    "The estate as stored: providers by tier, tenants, catalogue, rate cards.":
        "已保存的资源目录：各层级云平台、部门、服务目录、价目表。",
    # get
    "Show what the clouds hold (after `provider sync`).":
        "查看各云平台上的资源（在 `provider sync` 之后）。",
    "Resources as last observed by `provider sync`.": "`provider sync` 最近一次观测到的资源。",
    # the kind list is the providers' own declaration, so a new kind is never untranslated
    f"One of: {', '.join(KINDS)}.": "资源类型之一： " + "、 ".join(KINDS),
    "Only govcloud-managed, or only unmanaged.": "只看纳管的， 或只看未纳管的",
    "Include resources gone from the cloud.": "含已从云上消失的资源",
    "Drift found by `provider sync`: missing, changed and unmanaged resources.":
        "`provider sync` 发现的漂移：缺失、被改动和未纳管的资源。",
    "Include resolved drift.": "包括已消除的漂移。",
    # meter
    "Usage metering: collect, import, coverage gaps.": "用量计量：采集、导入、覆盖缺口。",
    "Pull usage from every provider's driver since its last collection window.":
        "从各云平台驱动采集自上次采集窗口以来的用量。",
    "ISO-8601 time (default: now).": "ISO-8601 时间（默认现在）。",
    "Only these providers.": "只采集这些云平台。",
    "Import usage of a cloud govcloud cannot reach; any bad row refuses the whole file.":
        "导入 govcloud 无法直连的云的用量；任一行有误则整个文件不导入。",
    "usage.csv or usage.json": "用量文件（usage.csv 或 usage.json）。",
    "Spans of the month no source vouches for (open ones block `bill finalize`).":
        "该月没有任何数据来源覆盖的时段（未确认的会阻止 `bill finalize`）。",
    "YYYY-MM (default: this month).": "月份 YYYY-MM（默认本月）。",
    "Record a provider's measured monthly availability (SLA evidence).":
        "记录云平台实测的月度可用性（SLA 依据）。",
    "Measured availability, e.g. 99.87": "实测可用性，例如 99.87",
    "Where the figure comes from.": "该数字的来源。",
    "Coverage gaps of a month and their acknowledgement.": "某月的覆盖缺口及其确认。",
    "Acknowledge a coverage gap with a reason (recorded in the audit log).":
        "确认一个覆盖缺口并说明原因（记入审计日志）。",
    "Why no usage is expected there.": "该时段为何没有用量。",
    "Every open gap of the month.": "该月所有未确认的缺口。",
    "ISO-8601 (with --end).": "ISO-8601 时间（与 --end 一起使用）。",
    "ISO-8601 (with --start).": "ISO-8601 时间（与 --start 一起使用）。",
    # policy
    "Policy rules, continuous audit, compliance reports and waivers (等保 2.0).":
        "策略规则、持续审计、合规报告与豁免（等保 2.0）。",
    "The rule catalogue: implemented, or not evaluable with the missing input named.":
        "规则目录：已实现的，或无法评估并注明缺少的输入。",
    "等保 level 1-4": "等保级别 1-4",
    "a built-in pack, e.g. mlps-l3": "内置策略包，例如 mlps-l3",
    "Audit the whole inventory now and store every result (passes included).":
        "立即审计全部资源并保存每条结果（包括通过的）。",
    "Per-测评单元 conclusions, rules, evidence and open waivers of one system.\n\n"
    "``-o json|yaml`` prints the report's JSON form (``--format json``) on stdout.":
        "一个系统按测评单元的结论、规则、证据与未到期豁免。\n\n"
        "``-o json|yaml`` 在标准输出打印报告的 JSON 形式（同 ``--format json``）。",
    "information system name": "信息系统名称",
    "when the name is not unique": "系统名称不唯一时指定部门",
    "Violations across audit runs: opened, still failing, waived, resolved.":
        "历次审计的违规：新发现、仍未通过、已豁免、已解决。",
    "open | waived | resolved": "状态：open、waived 或 resolved",
    "Only violations on this cloud (their resource's, else their system's).":
        "只列此云平台上的违规。",
    "Only those on the clouds of this tier (provincial, municipal, sector).":
        "只列该层级各云平台上的。",
    "Only requests their plan placed on this cloud.": "只列规划放置在此云平台上的申请。",
    "Request, approve and list policy waivers.": "申请、批准和列出策略豁免。",
    "Ask for a time-limited exception to one rule (critical rules are never waived).":
        "为一条规则申请限时豁免（严重级规则不可豁免）。",
    "rule id, e.g. MLPS-L1-NET-04": "规则编号，例如 MLPS-L1-NET-04",
    "system:NAME | resource:ID | tenant:CODE": "范围： system:名称、 resource:ID 或 tenant:编码",
    "YYYY-MM-DD or ISO-8601 with offset": "YYYY-MM-DD，或带时区的 ISO-8601 时间",
    "Approve a request (not your own; needs the approver role in the estate).":
        "批准一项申请（不能是自己的；需要资源目录中的审批角色）。",
    "Waivers, requested and approved (expired ones included, with their expiry).":
        "豁免，包括待批准和已批准的（含已过期的及其到期时间）。",
    "requested | approved": "状态：requested 或 approved",
    # provider
    "Clouds of the estate (1 provincial + M municipal + N sector).":
        "资源目录中的云平台（1 个省级 + M 个市级 + N 个行业云）。",
    "Providers, optionally of one tier.": "云平台列表，可只看一个层级。",
    "provincial | municipal | sector": "层级：provincial、municipal 或 sector",
    "One provider in full.": "一个云平台的全部信息。",
    "Refresh a provider's inventory, health and drift from the cloud itself.":
        "从云平台本身刷新其资源清单、健康状态和漂移。",
    "Provider to sync.": "要同步的云平台。",
    "Sync every provider of the estate.": "同步资源目录中的所有云平台。",
    # request
    "Department requests: list, show, approve, reject, provision.":
        "部门申请：列出、查看、批准、驳回、开通。",
    "Requests you may see (a department sees its own).": "你可查看的申请（部门只能看到自己的）。",
    "One request with its history, approvals and provisioning outcomes.":
        "一项申请及其状态变更、审批与开通结果。",
    "Approve the request's next pending step (never your own request).":
        "批准申请的下一个待审批步骤（不能批准自己的申请）。",
    "Reject the request at its next pending step, saying why.":
        "在下一个待审批步骤驳回申请，并说明原因。",
    "Hand an approved request to its provider's driver (re-run to retry or resume).":
        "将已批准的申请交给云平台驱动开通（重复执行即重试或继续）。",
    # infra
    "Pulumi programs of department systems (基础设施即代码).":
        "部门系统的 Pulumi 程序（基础设施即代码）。",
    "Write a system's self-contained Pulumi project.": "导出一个系统自成一体的 Pulumi 项目。",
    "The system (metadata.name) to export.": "要导出的系统 （metadata.name）",
    "Provider of the stack (default: where it was placed).": "堆栈所在云平台 （默认为放置处）",
    "Directory to write the project into.": "写入项目的目录。",
    # repair
    "Re-apply a system's declared state: undo the drift the last sync found.":
        "重新应用系统声明的状态：撤销最近一次同步发现的漂移。",
    "Show the plan only.": "只显示计划",
    "Also remove resources govcloud did not create.": "同时删除不是 govcloud 创建的资源",
    "Plan from the last sync.": "按上次同步制定计划",
    # tenant
    "Departments (委办局) of the estate.": "资源目录中的部门（委办局）。",
    "Departments, optionally of one city.": "部门列表，可只看一个城市。",
    "Only this city's departments.": "只看该城市的部门。",
    "One department in full.": "一个部门的全部信息。",
    # tui (the operations console)
    "Open the operations console: `:` views, `/` filter, `d` describe, `?` keys.":
        "打开运维控制台：`:` 切换视图，`/` 过滤，`d` 详情，`?` 按键说明。",
    "View to open first (a name or alias, e.g. resources).":
        "首先打开的视图， 名称或别名 （如 resources）。",
    "Seconds between refreshes.": "自动刷新间隔（秒）。",
    "High-contrast theme: white on black (or GOVCLOUD_HIGH_CONTRAST=1).":
        "高对比度主题： 黑底白字； 或设置 GOVCLOUD_HIGH_CONTRAST=1。",
    "File keeping the scopes pinned to keys 1-9 (default: beside the client config).":
        "保存固定范围 （按键 1-9） 的文件； 默认在客户端配置旁。",
    # serve and token (the HTTP API)
    "Serve the govcloud API at /api/v1 and run the jobs that keep the estate in its declared state.":
        "在 /api/v1 提供 govcloud API，并运行使资源目录保持声明状态的计划作业。",
    "Serve the API only: no jobs, no reconciler.": "只提供 API： 不运行作业和调和器",
    "Run the jobs and the reconciler only (probes still served).":
        "只运行作业和调和器 （仍提供健康探针）",
    "Job schedule file (jobs: NAME: every, cron, enabled); or GOVCLOUD_JOBS_CONFIG.":
        "作业计划文件 （jobs: 名称: every、cron、enabled）； 或 GOVCLOUD_JOBS_CONFIG",
    "This replica's name (default: HOSTNAME/pid).": "本副本的名称 （默认 HOSTNAME/pid）",
    "Reconcile threads (default: 4 on PostgreSQL, 1 on SQLite).":
        "调和线程数 （默认 PG 4 个， SQLite 1 个）",
    "Seconds a claim lives without renewal (crash recovery).":
        "认领租约未续期时的存活秒数 （用于崩溃恢复）",
    # jobs
    "Scheduled jobs of govcloud serve: runs, outcomes, run now.":
        "govcloud serve 的计划作业：运行记录、结果、立即运行。",
    "Every job: schedule, last run and its outcome, next firing.":
        "所有作业：计划、上次运行及其结果、下次触发时间。",
    "Job name (see `govcloud jobs list`).": "作业名称（见 `govcloud jobs list`）。",
    "How many recent runs.": "显示最近多少次运行。",
    "One job and its latest runs, newest first.": "一个作业及其最近的运行记录（最新在前）。",
    "Queue a firing of NAME now; a running `govcloud serve` takes it.":
        "立即为 NAME 排入一次触发；由运行中的 `govcloud serve` 执行。",
    # budget
    "Department budgets: alerts raised by the projection job.":
        "部门预算：预算预测作业发出的预警。",
    "Budget thresholds crossed by a department's projected yearly spend, newest first.":
        "部门预计年度支出越过的预算阈值（最新在前）。",
    "Only this department's.": "只看该部门的。",
    "Only this budget year.": "只看该预算年度的。",
    "HOST:PORT to listen on.": "监听的 HOST:PORT。",
    "TLS certificate (PEM).": "TLS 证书（PEM）。",
    "TLS private key (PEM).": "TLS 私钥（PEM）。",
    "Largest request body in bytes.": "请求体上限（字节）。",
    "Accept Keystone tokens, mapped to principals by this KeystoneMapping file.":
        "接受 Keystone 令牌，按此 KeystoneMapping 文件映射到主体。",
    "Bearer tokens for the HTTP API (govcloud serve).": "HTTP API（govcloud serve）的持有者令牌。",
    "Issue a token and print it (alone, once; -o json|yaml: with its record).":
        "签发令牌并打印（仅此一次，单独一行；-o json|yaml 时附带其记录）。",
    "Declared principal it acts for.": "令牌代表的已声明主体。",
    "Lifetime: 90m, 12h, 30d, 2w.": "有效期：90m、12h、30d、2w。",
    "A token that never expires.": "永不过期的令牌。",
    "Tokens with their state (active, expired, revoked) — never their secrets.":
        "令牌及其状态（有效、过期、吊销）——从不显示密钥。",
    "Revoke a token by its id (the part after ``gct_``); it is refused from now on.":
        "按编号（``gct_`` 之后的部分）吊销令牌；此后该令牌被拒绝。",
}  # fmt: skip

#: typer's fixed help/error words (module-level strings in ``typer.rich_utils``).
_RICH_ZH: Mapping[str, str] = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "DEPRECATED_STRING": "（已弃用）",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}

_HELP_OPTION_ZH = "显示本帮助并退出。"

Table = tuple[tuple[re.Pattern[str], str], ...]


def _table(*pairs: tuple[str, str]) -> Table:
    """(English pattern, Chinese replacement) pairs, compiled."""
    return tuple((re.compile(pattern), zh) for pattern, zh in pairs)


def _replace_all(text: str, table: Table) -> str:
    """Every known phrase inside ``text`` said in Chinese."""
    for pattern, zh in table:
        text = pattern.sub(zh, text)
    return text


def _replace_whole(text: str, table: Table) -> str:
    """``text`` in Chinese when it is one of the known sentences, else as it is."""
    for pattern, zh in table:
        if pattern.match(text):
            return pattern.sub(zh, text)
    return text


#: The vendored click's usage-error sentences (English, fixed) and their Chinese.
_USAGE_ERRORS_ZH = _table(
    (r"^Missing option (?P<a>.+)\.$", r"缺少选项 \g<a>。"),
    (r"^Missing argument (?P<a>.+)\.$", r"缺少参数 \g<a>。"),
    (r"^Missing parameter: (?P<a>.+)$", r"缺少参数：\g<a>"),
    (r"^No such command (?P<a>.+)\.$", r"没有这个命令：\g<a>。"),
    (r"^No such option: (?P<a>\S+)(?: \(Possible options: (?P<b>.+)\))?$",
     r"没有这个选项：\g<a>"),
    (r"^Got unexpected extra arguments? \((?P<a>.+)\)$", r"多余的参数（\g<a>）"),
    (r"^Option (?P<a>.+) requires an argument\.$", r"选项 \g<a> 需要一个值。"),
    (r"^Option (?P<a>.+) requires (?P<n>\d+) arguments\.$", r"选项 \g<a> 需要 \g<n> 个值。"),
    (r"^Invalid value for (?P<a>[^:]+): (?P<b>.+)$", r"\g<a> 的值无效：\g<b>"),
    (r"^Invalid value: (?P<b>.+)$", r"值无效：\g<b>"),
)  # fmt: skip

#: Sentences inside those errors (click's type checks and govcloud's option checks).
_DETAILS_ZH = _table(
    (r"Value error, ", ""),
    (r"Input should be a valid integer, unable to parse string as an integer",
     "应为整数"),
    (r"Input should be greater than or equal to (?P<n>\S+)", r"应大于或等于 \g<n>"),
    (r"Input should be less than or equal to (?P<n>\S+)", r"应小于或等于 \g<n>"),
    (r"'(?P<v>[^']*)' is not one of (?P<c>.+)\.", r"'\g<v>' 不在可选值 \g<c> 之中。"),
    (r"'(?P<v>[^']*)' is not (?P<c>'[^']*')\.", r"'\g<v>' 不是 \g<c>。"),
    (r"'(?P<v>[^']*)' is not a valid integer\.", r"'\g<v>' 不是整数。"),
    (r"(?P<v>\S+) is not in the range (?P<r>.+)\.", r"\g<v> 不在范围 \g<r> 之内。"),
    (r"(?P<k>File|Path|Directory) '(?P<f>[^']*)' does not exist\.", r"文件 '\g<f>' 不存在。"),
    (r"not a continue token of `(?P<l>[^`]+)`", r"不是 `\g<l>` 的续页令牌"),
    (r"'(?P<v>[^']*)' is not an ISO-8601 time", r"'\g<v>' 不是 ISO-8601 时间"),
    (r"'(?P<v>[^']*)' has no UTC offset \(e\.g\. \+08:00\)",
     r"'\g<v>' 没有时区偏移（例如 +08:00）"),
    (r"'(?P<v>[^']*)' is not a number", r"'\g<v>' 不是数字"),
    (r"'(?P<v>[^']*)' is not an amount", r"'\g<v>' 不是金额"),
    (r"expected YYYY-MM, got (?P<v>.+)", r"应为 YYYY-MM，实际为 \g<v>"),
)  # fmt: skip


def translate_usage_error(message: str) -> str:
    """A usage error's sentence in Chinese (left as it is when it is not one we know)."""
    return _replace_whole(_replace_all(message, _DETAILS_ZH), _USAGE_ERRORS_ZH)


def help_texts(command: Any) -> Iterator[tuple[Any, str]]:
    """Every (command or parameter, help text) of the command tree under ``command``."""
    if command.help:
        yield command, command.help
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            yield param, text
    for sub in (getattr(command, "commands", None) or {}).values():
        yield from help_texts(sub)


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in (getattr(command, "commands", None) or {}).values():
        yield from _commands(sub)


def _translate_tree(command: Any) -> None:
    for owner, text in list(help_texts(command)):
        zh = HELP_ZH.get(text)
        if zh is None:
            continue
        owner.help = zh
        if hasattr(owner, "short_help"):
            owner.short_help = None
    for each in _commands(command):
        # ``--help`` is made on first use and cached on the command: make it now, in
        # Chinese (the tree is built afresh for every command line)
        if getattr(each, "_help_option", True) is None and each.add_help_option:
            help_option(["--help"])(each)
            each._help_option = each.params.pop()
            each._help_option.help = _HELP_OPTION_ZH


@contextmanager
def localized(command: Any, lang: Lang, *, help_wanted: bool = False) -> Iterator[None]:
    """Within this block the command tree and the framework speak ``lang``.

    ``help_wanted``: the command line asks for help, which typer renders with ``rich``
    (loaded here only then; a usage error loads it in :func:`framework_error`).
    """
    if lang != "zh":
        yield
        return
    _translate_tree(command)
    saved_usage = formatting.HelpFormatter.write_usage

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        saved_usage(self, prog, args, "用法：" if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]
    try:
        if help_wanted:
            with _rich_words(lang):
                yield
        else:
            yield
    finally:
        formatting.HelpFormatter.write_usage = saved_usage  # type: ignore[method-assign]


@contextmanager
def _rich_words(lang: Lang) -> Iterator[None]:
    """typer's ``rich`` renderer speaking ``lang`` within this block."""
    if lang != "zh":
        yield
        return
    from typer import rich_utils

    saved: dict[str, Any] = {name: getattr(rich_utils, name) for name in _RICH_ZH}
    saved_error = rich_utils.rich_format_error
    for name, zh in _RICH_ZH.items():
        setattr(rich_utils, name, zh)

    def format_error(self: ClickException) -> None:
        english: Callable[[], str] = self.format_message
        self.format_message = lambda: translate_usage_error(english())  # type: ignore[method-assign]
        saved_error(self)

    rich_utils.rich_format_error = format_error
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)
        rich_utils.rich_format_error = saved_error


def framework_error(exc: ClickException | Abort, lang: Lang) -> int:
    """Say a usage error (or an abort) as typer does, in ``lang``; its exit code.

    Called inside :func:`localized` for the command line that raised it.
    """
    from typer import rich_utils

    with _rich_words(lang):
        if isinstance(exc, Abort):
            rich_utils.rich_abort_error()
            return 1
        rich_utils.rich_format_error(exc)
    return exc.exit_code


#: The fixed sentences of located input problems (``tenants.validation``) in Chinese;
#: a problem whose sentence carries data (a name, a number) keeps that data as it is.
_PROBLEMS_ZH = _table(
    (r"^required field is missing$", "缺少必填字段"),
    (r"^unknown field \(check the spelling\)$", "未知字段（请检查拼写）"),
    (r"^not an allowed value$", "不是允许的值"),
    (r"^wrong type$", "类型错误"),
    (r"^too small$", "太小"),
    (r"^too large$", "太大"),
    (r"^not a whole number$", "不是整数"),
    (r"^an integer$", "整数"),
    (r"^true or false$", "true 或 false"),
    (r"^a string$", "字符串"),
    (r"^a date YYYY-MM-DD$", "日期 YYYY-MM-DD"),
    (r"^an ISO-8601 time with an offset$", "带时区的 ISO-8601 时间"),
    (r'^a decimal number written as a quoted string, e\.g\. "45\.00"$',
     '用引号括起的十进制数，例如 "45.00"'),
    (r'^a decimal number, e\.g\. "45\.00"$', '十进制数，例如 "45.00"'),
    (r"^a mapping$", "映射"),
    (r"^a list$", "列表"),
    (r"^one of (?P<a>.+)$", r"以下之一：\g<a>"),
    (r"^at least (?P<a>.+)$", r"至少 \g<a>"),
    (r"^at most (?P<a>.+)$", r"至多 \g<a>"),
    (r"^more than (?P<a>.+)$", r"大于 \g<a>"),
    (r"^less than (?P<a>.+)$", r"小于 \g<a>"),
    (r"^text matching (?P<a>.+)$", r"匹配 \g<a> 的文本"),
    (r"^YAML syntax error: (?P<a>.+)$", r"YAML 语法错误：\g<a>"),
    (r"^YAML error: (?P<a>.+)$", r"YAML 错误：\g<a>"),
    (r"^file is not UTF-8 text$", "文件不是 UTF-8 文本"),
    (r"^an estate file holds exactly one document$", "资源目录文件只能包含一个文档"),
    (r"^no SystemRequest in the file$", "文件中没有 SystemRequest"),
    (r"^contains no usage records$", "没有任何用量记录"),
    (r"^cannot read (?P<a>.+)$", r"无法读取 \g<a>"),
    # tenants' own checks (quantities, names, money, ports, networks, request rules)
    (r"^(?P<w>.+) must be a quantity$", r"\g<w> 须为数量"),
    (r"^(?P<w>.+) must be finite$", r"\g<w> 须为有限值"),
    (r"^not a quantity: (?P<e>.+)$", r"不是数量：\g<e>"),
    (r"^(?P<w>.+) must not be negative$", r"\g<w> 不能为负数"),
    (r"^zero or more$", "零或以上"),
    (r"^cpu is counted in whole millicores$", "cpu 以整毫核计"),
    (r"^(?P<w>.+) must be a whole number$", r"\g<w> 须为整数"),
    (r"^not a DNS label: (?P<e>.+)$", r"不是 DNS 标签：\g<e>"),
    (r"^not a catalogue name$", "不是服务目录名称"),
    (r"^not an amount of money$", "不是金额"),
    (r"^an amount must be finite and not negative$", "金额须为有限值且不为负"),
    (r"^amount is too large$", "金额过大"),
    (r"^an amount is exact to the fen \(0\.01 CNY\)$", "金额精确到分（0.01 元）"),
    (r"^a provincial department has no city$", "省级部门没有所属城市"),
    (r"^no city for level provincial$", "省级不填 city"),
    (r"^a (?P<l>\S+) department must name its city$", r"\g<l> 级部门须填写所属城市"),
    (r"^not a port$", "不是端口"),
    (r"^port (?P<p>\S+) is out of range$", r"端口 \g<p> 超出范围"),
    (r"^port range runs backwards$", "端口范围首尾颠倒"),
    (r"^first port <= last port$", "起始端口 <= 结束端口"),
    (r"^not a traffic source$", "不是流量来源"),
    (r"^not a CIDR network$", "不是 CIDR 网段"),
    (r"^the address has host bits set$", "地址含有主机位"),
    (r"^the network address, i\.e\. (?P<a>.+)$", r"网络地址，即 \g<a>"),
    (r"^(?P<r>\S+) is above (?P<u>.+)$", r"\g<r> 高于 \g<u>"),
    (r"^icmp has no ports$", "icmp 没有端口"),
    (r"^no port for protocol icmp$", "icmp 协议不填端口"),
    (r"^a (?P<p>\S+) rule needs a port$", r"\g<p> 规则需要端口"),
    (r"^an offsite copy needs backups enabled$", "异地备份需要先启用备份"),
    (r"^a system needs at least one compute group or a kubernetes namespace$",
     "系统至少需要一个计算组或一个 kubernetes 命名空间"),
    (r"^a non-empty compute list or a kubernetes block$", "非空的 compute 列表或 kubernetes 段"),
    (r"^duplicate compute name (?P<n>.+)$", r"计算组名称 \g<n> 重复"),
    (r"^a name not already used by (?P<a>.+)$", r"未被 \g<a> 使用的名称"),
    # the estate's cross-checks (controlplane.estate.schema)
    (r"^a municipal cloud serves one city$", "市级云只服务一个城市"),
    (r"^a sector cloud serves one sector$", "行业云只服务一个行业"),
    (r"^a (?P<f>city|sector|cloud|context) field$", r"\g<f> 字段"),
    (r"^a municipal department belongs to a city$", "市级部门须属于一个城市"),
    (r"^an estate has exactly one provincial cloud \(the 1 of 1\+M\+N\)$",
     "资源目录须有且只有一个省级云（1+M+N 中的 1）"),
    (r"^an estate is a mapping$", "资源目录须为映射"),
    (r"^an openstack provider names its clouds\.yaml cloud$",
     "openstack 云平台须指明 clouds.yaml 中的 cloud"),
    (r"^a kubernetes provider names its kubeconfig context$",
     "kubernetes 云平台须指明 kubeconfig 的 context"),
    (r"^a department principal acts for one tenant$", "部门用户只代表一个部门"),
    (r"^only department principals are scoped to a tenant$", "只有部门用户限定于某个部门"),
    (r"^a role is listed twice$", "角色重复列出"),
    (r"^a (?P<w>discount|rate card) must end after it starts$", r"\g<w> 的结束须晚于开始"),
    (r"^SLA deductions need the provider's availabilityTarget$",
     "SLA 扣减需要云平台的 availabilityTarget"),
    (r"^a deduction applies below the availability target, not above it$",
     "扣减只适用于低于可用性目标的情况"),
    (r"^(?P<f>cloud|context|seed) is for (?P<k>\S+) providers \(kind is (?P<v>[^)]+)\)$",
     r"\g<f> 只用于 \g<k> 云平台（此处 kind 为 \g<v>）"),
    (r"^only (?P<t>municipal|sector) clouds have a (?P<f>city|sector) \(tier is (?P<v>[^)]+)\)$",
     r"只有 \g<t> 云有 \g<f>（此处 tier 为 \g<v>）"),
    (r"^duplicate rate-card version (?P<v>.+)$", r"价目表版本 \g<v> 重复"),
    (r"^duplicate (?P<w>\S+) (?P<k>\S+) \(first declared at (?P<a>[^)]+)\)$",
     r"\g<w> \g<k> 重复（首次声明于 \g<a>）"),
    (r"^meter (?P<m>\S+) is priced twice in this version$", r"计量项 \g<m> 在此版本中重复定价"),
    (r"^no price for tier\(s\) (?P<t>.+), which providers of this estate have$",
     r"缺少层级 \g<t> 的价格（本资源目录有该层级的云平台）"),
    (r"^unknown (?P<w>provider|tenant) (?P<k>\S+)$", r"没有 \g<w> \g<k>"),
    (r"^(?P<w>provider|tenant) (?P<k>\S+) cannot be removed: (?P<r>.+)$",
     r"\g<w> \g<k> 不能删除：\g<r>"),
    (r"^duplicate (?P<w>\S+) (?P<f>name|code) (?P<k>\S+) \(first declared at (?P<a>[^)]+)\)$",
     r"\g<w> \g<f> \g<k> 重复（首次声明于 \g<a>）"),
    (r"^a unique (?P<w>\S+) (?P<f>name|code)$", r"不重复的 \g<w> \g<f>"),
    (r"^Input should be a valid decimal$", "应为十进制数"),
    (r"^Input should be a valid (?P<t>\w+)$", r"应为有效的 \g<t>"),
    (r"^rate card (?P<a>\S+) overlaps version (?P<b>\S+) \(effective (?P<f>\S+) to (?P<t>.+)\)$",
     r"价目表 \g<a> 与版本 \g<b> 的生效期（\g<f> 至 \g<t>）重叠"),
    (r"^version (?P<v>\S+) to end \(effectiveTo\) first$", r"先为版本 \g<v> 设定结束日期（effectiveTo）"),
    (r"^(?P<w>discounts\[\d+\]) to end \(effectiveTo\) first$",
     r"先为 \g<w> 设定结束日期（effectiveTo）"),
    (r"^overlaps the discount at (?P<w>\S+) for the same tenant$", r"与同一部门的折扣 \g<w> 重叠"),
    (r"^must be a DNS label: .+$",
     "须为 DNS 标签：小写字母、数字和 '-'，1-63 个字符，以字母或数字开头和结尾"),
    (r"^must not be negative$", "不能为负数"),
    (r"^a price for every tier in use$", "为在用的每个层级定价"),
    (r"^a date after (?P<d>\S+)$", r"晚于 \g<d> 的日期"),
    (r"^one provider with tier provincial$", "一个 tier 为 provincial 的云平台"),
    (r"^(?P<n>\d+) documents?$", r"\g<n> 个文档"),
    (r"^apiVersion/kind/metadata/spec$", "apiVersion/kind/metadata/spec 四个字段"),
    (r"^(?P<n>\d+) or stricter$", r"\g<n> 或更严格"),
    (r"^must be a finite decimal amount$", "须为有限的十进制金额"),
    (r"^has more than 4 decimal places$", "小数超过 4 位"),
    (r"^a budget is exact to the fen: at most 2 decimal places$", "预算精确到分：至多 2 位小数"),
)  # fmt: skip


def problem_zh(text: str | None) -> str | None:
    """One sentence of a located problem in Chinese (as it is when it is not known)."""
    return None if text is None else _replace_whole(text, _PROBLEMS_ZH)


def problem_text(problem: Problem, lang: Lang) -> str:
    """``file:line:col: field.path: what is wrong (expected …, found …)`` in ``lang``."""
    if lang != "zh":
        return str(problem)
    where = str(problem.location) if problem.location else "<输入>"
    text = f"{where}: {problem.path or '<文档>'}: {problem_zh(problem.message)}"
    if problem.expected is not None:
        text += f"（应为 {problem_zh(problem.expected)}"
        text += f"，实际为 {problem.found}）" if problem.found is not None else "）"
    return text


#: Refusals of the bills, metering and compliance services, which say them in English.
_REFUSALS_ZH = _table(
    (r"(?P<m>\d{4}-\d{2}) cannot be finalized: ", r"\g<m> 无法定稿："),
    (r"it is already finalized", "已经定稿"),
    (r"the month has not ended \(it ends (?P<t>[^)]+)\)", r"该月尚未结束（结束于 \g<t>）"),
    (r"unacknowledged coverage gap (?P<g>.+?)(?=;|$)", r"未确认的覆盖缺口 \g<g>"),
    (r"(?P<p>\S+): no usage data for (?P<s>\[[^)]+\))", r"\g<p> 在 \g<s> 没有用量数据"),
    (r"it has no statements: run `govcloud bill run` first",
     "还没有结算单：请先运行 `govcloud bill run`"),
    (r"the stored data has changed since the last run for (?P<t>.+?): "
     r"run `govcloud bill run` again",
     r"自上次计价以来 \g<t> 的数据有变化：请重新运行 `govcloud bill run`"),
    (r"no statement for (?P<m>[^:]+): run `govcloud bill run` first",
     r"\g<m> 没有结算单：请先运行 `govcloud bill run`"),
    (r"statement (?P<s>\S+) is finalized", r"结算单 \g<s> 已定稿"),
    (r"unknown department '(?P<t>[^']+)'", r"没有部门 '\g<t>'"),
    (r"unknown provider\(s\): (?P<p>.+)", r"没有这些云平台：\g<p>"),
    (r"unknown provider '(?P<p>[^']+)'", r"没有云平台 '\g<p>'"),
    (r"(?P<p>\S+) has no open coverage gap in (?P<m>\S+)", r"\g<p> 在 \g<m> 没有未确认的覆盖缺口"),
    (r"acknowledging a coverage gap needs a reason", "确认覆盖缺口需要说明原因"),
    (r"an availability figure needs its evidence reference", "可用性数字需要注明依据"),
    (r"availability (?P<v>\S+) is not a percentage", r"可用性 \g<v> 不是百分数"),
    (r"gap start (?P<s>\S+) is not before end", r"缺口开始时间 \g<s> 不早于结束时间"),
)  # fmt: skip


def refusal_text(exc: Exception, lang: Lang) -> str:
    """Why a service refused, in ``lang``: its own ``describe`` when it has one; a
    bilingual message's half; else the known sentences translated (others as they are)."""
    describe = getattr(exc, "describe", None)
    if callable(describe):
        return str(describe(lang))
    text = str(exc)
    english, sep, chinese = text.partition(" / ")
    if sep and re.search(r"[\u4e00-\u9fff]", chinese):
        return chinese if lang == "zh" else english
    return _replace_all(text, _REFUSALS_ZH) if lang == "zh" else text
