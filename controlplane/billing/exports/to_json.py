"""JSON export: the canonical statement documents plus their content hashes.

The document is the very data the content hash is computed over, so a reader can
re-hash it to check the statement. Keys are English (a machine format); ``lang`` only
selects the human title. Imports the billing value modules only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import BinaryIO

from controlplane.billing.exports.labels import Lang, label
from controlplane.billing.statements import Statement, statement_document


def write_json(statements: Iterable[Statement], out: BinaryIO, lang: Lang = "zh") -> None:
    payload = {
        "title": label("title", lang),
        "statements": [
            statement_document(st) | {"contentHash": st.content_hash} for st in statements
        ],
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
    out.write(text.encode("utf-8") + b"\n")
