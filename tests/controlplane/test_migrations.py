"""Migrations and table models agree, on both engines.

Cases: the migration history has exactly one head, named in ``db/revision.py``; upgrading an empty database twice is
idempotent; after upgrading, Alembic's autogenerate finds no difference between the
migrated schema and the table models (a table or column added to a model without a
migration fails here), the trigram indexes of resource text search aside.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from controlplane.app import App
from controlplane.db import load_tables, migrate, revision, text_search


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(migrate._config()).get_heads()
    assert len(heads) == 1, f"migration history has several heads: {heads}"


def test_named_head_is_alembics_head() -> None:
    # App.ready() compares against the named head without importing Alembic.
    assert migrate.head_revision() == revision.HEAD, "name the new head in db/revision.py"


def test_stored_revision_reads_what_alembic_reads(app: App) -> None:
    assert revision.stored_revision(app.engine) == migrate.current_revision(app.engine)
    with app.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    assert revision.stored_revision(app.engine) is None


def _modelled(name: str | None, _type: str, _parents: object) -> bool:
    return not text_search.is_search_object(name)


def test_models_match_migrations(app: App) -> None:
    app.init()  # second upgrade: nothing to do
    assert migrate.current_revision(app.engine) == migrate.head_revision()
    load_tables()
    with app.engine.connect() as conn:
        # the trigram indexes are not modelled (see controlplane/db/text_search.py)
        context = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_name": _modelled}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
