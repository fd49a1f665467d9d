"""The schema revision this govcloud needs, and the one a database is at, without Alembic.

Every command checks the schema before it runs. Importing Alembic and scanning the
migration scripts for that check cost about a third of a second on each command, more
than the command itself, so the head is named here and the stored revision is read with
one query. ``tests/controlplane/test_migrations.py`` holds :data:`HEAD` to Alembic's own
view of the scripts: a new migration fails there until it is named here too. The
embedded read path (:mod:`controlplane.facade.embedded`) compares the same head, and
this module imports SQLAlchemy only when :func:`stored_revision` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["HEAD", "stored_revision"]

#: The newest migration's revision (``controlplane/db/migrations/versions``).
HEAD = "result_run_rule_index"

_VERSION_TABLE = "alembic_version"


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, ``None`` for a database never migrated.

    Several rows (a branched history) come back joined, which never equals :data:`HEAD`.
    """
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table(_VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars()
        found = sorted(str(row) for row in rows)
    return ",".join(found) or None
