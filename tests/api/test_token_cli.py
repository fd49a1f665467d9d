"""``govcloud token create | list | revoke``.

Cases: ``create`` prints the token alone on one line (and only its hash is stored);
``list`` shows it active without the secret; ``revoke`` makes it refused; a principal
the estate does not declare gets no token (exit 1); a malformed ``--expires`` is invalid
input (exit 2); a department may not issue tokens.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.tables_auth import ApiToken
from controlplane.errors import Unauthenticated
from tests.governance.support import apply_estate


def _cli(app: App, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
        code = main(["--home", str(app.settings.home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_token_lifecycle(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    apply_estate(app)
    code, out, _ = _cli(app, capsys, "--as", "ops-li", "token", "create", "--principal",
                        "hrss-wang", "--expires", "7d")  # fmt: skip
    assert code == 0
    assert re.fullmatch(r"gct_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n", out), out
    token = out.strip()
    token_id, secret = token.split("_")[1], token.split("_", 2)[2]
    with app.sessions() as session:
        row = session.exec(select(ApiToken)).one()
    assert row.principal == "hrss-wang" and secret not in row.secret_hash
    assert app.tokens.authenticate(token) == "hrss-wang"
    code, out, _ = _cli(app, capsys, "--as", "ops-li", "token", "list", "-o", "json")
    assert code == 0 and '"active"' in out and secret not in out
    assert _cli(app, capsys, "--as", "ops-li", "token", "revoke", token_id)[0] == 0
    with pytest.raises(Unauthenticated):
        app.tokens.authenticate(token)
    code, _, err = _cli(app, capsys, "--as", "ops-li", "token", "create", "--principal", "ghost")
    assert code == 1 and "ghost" in err
    code, _, err = _cli(app, capsys, "--as", "ops-li", "token", "create", "--principal",
                        "ops-li", "--expires", "soon")  # fmt: skip
    assert code == 2 and "soon" in err
    code, _, err = _cli(app, capsys, "--as", "hrss-wang", "token", "create", "--principal",
                        "hrss-wang")  # fmt: skip
    assert code == 1 and "create API tokens" in err
