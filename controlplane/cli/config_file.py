"""The client configuration: named contexts (server, token, CA), like a kubeconfig.

``~/.config/govcloud/config.yaml`` (or ``$GOVCLOUD_CONFIG``)::

    apiVersion: govcloud.io/v1
    kind: Config
    current-context: prod
    contexts:
      - name: prod
        server: https://govcloud.example.gov:8443
        token: gct_…
        ca: /etc/govcloud/ca.pem        # optional: verify the server with this CA

The file is written with mode 0600 (it holds bearer tokens); a token is never printed
back. A malformed file is reported as ``file:line:col: what is wrong`` (exit 2), never
a traceback. Pure file handling: imports PyYAML and the i18n words only, so a command
run through a context does not load the database layers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

__all__ = [
    "ClientConfig",
    "ConfigFileError",
    "Context",
    "config_path",
    "load_config",
    "save_config",
]

API_VERSION = "govcloud.io/v1"
_CONTEXT_KEYS = ("name", "server", "token", "ca")


class ConfigFileError(Exception):
    """The client configuration file is malformed, at ``path:line:col``."""

    def __init__(self, path: Path, line: int, column: int, message_zh: str, message_en: str):
        self.path, self.line, self.column = path, line, column
        self.message_zh, self.message_en = message_zh, message_en
        super().__init__(self.describe("en"))

    def describe(self, lang: str = "en") -> str:
        message = self.message_zh if lang == "zh" else self.message_en
        return f"{self.path}:{self.line}:{self.column}: {message}"


@dataclass(frozen=True)
class Context:
    """Where a command is sent and with which credential."""

    name: str
    server: str
    token: str
    ca: str | None = None

    def record(self) -> dict[str, str | None]:
        """What ``config get-contexts -o json`` shows: never the token itself."""
        return {"name": self.name, "server": self.server, "ca": self.ca}


@dataclass(frozen=True)
class ClientConfig:
    """Every context of the file and the one in use."""

    path: Path
    contexts: tuple[Context, ...] = ()
    current: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def find(self, name: str) -> Context | None:
        return next((c for c in self.contexts if c.name == name), None)

    def with_context(self, context: Context) -> ClientConfig:
        kept = tuple(c for c in self.contexts if c.name != context.name)
        return replace(self, contexts=(*kept, context))

    def document(self) -> dict[str, object]:
        contexts = [
            {
                k: v
                for k, v in (
                    ("name", c.name),
                    ("server", c.server),
                    ("token", c.token),
                    ("ca", c.ca),
                )
                if v is not None
            }
            for c in self.contexts
        ]
        out: dict[str, object] = {"apiVersion": API_VERSION, "kind": "Config"}
        if self.current is not None:
            out["current-context"] = self.current
        out["contexts"] = contexts
        return out


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$GOVCLOUD_CONFIG``, else ``$XDG_CONFIG_HOME/govcloud/config.yaml`` (``~/.config``)."""
    env = os.environ if env is None else env
    explicit = env.get("GOVCLOUD_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base).expanduser() / "govcloud" / "config.yaml"


def _at(path: Path, node: yaml.Node, zh: str, en: str) -> ConfigFileError:
    mark = node.start_mark
    return ConfigFileError(path, mark.line + 1, mark.column + 1, zh, en)


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    import yaml  # loaded only when a configuration file exists (see load_config)

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _at(path, node, f"{what} 须为非空字符串", f"{what} must be a non-empty string")
    return str(node.value)


def _mapping(path: Path, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise _at(path, node, f"{what} 须为映射", f"{what} must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = _scalar(path, key, "key")
        if name in out:
            raise _at(path, key, f"键 {name!r} 重复", f"duplicate key {name!r}")
        out[name] = (key, value)
    return out


def _context(path: Path, node: yaml.Node, index: int) -> Context:
    where = f"contexts[{index}]"
    fields = _mapping(path, node, where)
    for key, (key_node, _) in fields.items():
        if key not in _CONTEXT_KEYS:
            raise _at(path, key_node, f"{where}: 未知字段 {key!r}（可用：{', '.join(_CONTEXT_KEYS)}）",
                      f"{where}: unknown field {key!r} (known: {', '.join(_CONTEXT_KEYS)})")  # fmt: skip
    for required in ("name", "server", "token"):
        if required not in fields:
            raise _at(path, node, f"{where}: 缺少 {required}", f"{where}: {required} is missing")
    values = {k: _scalar(path, v, f"{where}.{k}") for k, (_, v) in fields.items()}
    server = values["server"]
    if not server.startswith(("http://", "https://")):
        raise _at(path, fields["server"][1], f"{where}.server 须以 http:// 或 https:// 开头",
                  f"{where}.server must start with http:// or https://")  # fmt: skip
    return Context(values["name"], server.rstrip("/"), values["token"], values.get("ca"))


def load_config(path: Path) -> ClientConfig:
    """The configuration at ``path`` (an absent file is an empty configuration)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ClientConfig(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path, 1, 1, f"无法读取：{exc}", f"cannot be read: {exc}") from None
    import yaml  # a command without a configuration file does without it

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        raise ConfigFileError(path, line, column, f"YAML 无效：{problem}", problem) from None
    if root is None:
        return ClientConfig(path)
    top = _mapping(path, root, "the configuration")
    contexts: list[Context] = []
    if "contexts" in top:
        seq = top["contexts"][1]
        if not isinstance(seq, yaml.SequenceNode):
            raise _at(path, seq, "contexts 须为列表", "contexts must be a list")
        for index, item in enumerate(seq.value):
            found = _context(path, item, index)
            if any(c.name == found.name for c in contexts):
                raise _at(path, item, f"上下文 {found.name!r} 重复",
                          f"context {found.name!r} is declared twice")  # fmt: skip
            contexts.append(found)
    current = None
    if "current-context" in top:
        current = _scalar(path, top["current-context"][1], "current-context")
    return ClientConfig(path, tuple(contexts), current)


def save_config(config: ClientConfig) -> None:
    """Write the file readable by its owner only (0600), atomically."""
    import yaml

    config.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = yaml.safe_dump(config.document(), sort_keys=False, allow_unicode=True)
    scratch = config.path.with_name(f".{config.path.name}.{os.getpid()}.tmp")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(scratch, 0o600)
        os.replace(scratch, config.path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
