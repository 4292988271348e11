"""Full-text search of the library on PostgreSQL (documents/search.py).

- the ``unaccent`` extension (a trusted extension since PostgreSQL 13: the database
  owner may create it; on older servers a superuser must run
  ``CREATE EXTENSION unaccent`` once);
- a text search configuration ``agora_french``: PostgreSQL's ``french`` with
  ``unaccent`` before the French stemmer, so « démocratie », « DEMOCRATIES » and
  « démocratiques » all become ``democrat``. French stop words are dropped first
  (dictionary ``agora_french_stop``: ``simple`` with the ``french`` stop list and
  ``ACCEPT = false``), because once unaccented « à », « été », « même » would no
  longer be in the stemmer's stop list and would be indexed;
- (the GIN index is on the stored ``search_vector`` column: migration 0003).

On SQLite it does nothing: documents/search.py searches there in Python.
Reversing drops the configuration and the dictionary; the extension stays (harmless,
and something else may use it).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
            WHERE c.cfgname = 'agora_french' AND n.nspname = current_schema()
        ) THEN
            CREATE TEXT SEARCH CONFIGURATION agora_french (COPY = pg_catalog.french);
        END IF;
    END
    $$
    """,
    """
    DO $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
            WHERE d.dictname = 'agora_french_stop' AND n.nspname = current_schema()
        ) THEN
            CREATE TEXT SEARCH DICTIONARY agora_french_stop
                (TEMPLATE = pg_catalog.simple, STOPWORDS = french, ACCEPT = false);
        END IF;
    END
    $$
    """,
    "ALTER TEXT SEARCH CONFIGURATION agora_french ALTER MAPPING FOR hword, hword_part, word "
    "WITH agora_french_stop, unaccent, french_stem",
]

BACKWARD = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS agora_french",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS agora_french_stop",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_library")]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
