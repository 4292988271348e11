"""The stored search vector of each document, GIN-indexed on PostgreSQL.

Matching and ranking read this column: an index on an expression over search_text made
PostgreSQL re-parse every document's text whenever a common word matched most of the
library (about 20 s at 10,000 documents; docs/performance.md, « Library search »).
On SQLite the column exists and stays empty (documents/search.py searches in Python).
"""

from typing import Any

import django.contrib.postgres.search
from django.db import migrations


def _on_postgresql(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


def fill(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "UPDATE documents_document SET search_vector = setweight(setweight("
        "to_tsvector('agora_french'::regconfig, COALESCE(search_text, '')), 'D'), 'A', "
        "tsvector_to_array(to_tsvector('agora_french'::regconfig, COALESCE(title, ''))))"
    )


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_search")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, verbose_name="search index"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(
            _on_postgresql(
                [
                    "CREATE INDEX IF NOT EXISTS document_search_vector "
                    "ON documents_document USING gin (search_vector)"
                ]
            ),
            _on_postgresql(["DROP INDEX IF EXISTS document_search_vector"]),
            elidable=False,
        ),
    ]
