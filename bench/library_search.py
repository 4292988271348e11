"""Library search bench: latency of documents.search.search() over many documents.

Not a test. It builds a throw-away database (Django's test-database machinery:
PostgreSQL creates ``test_<name>`` beside the database named in ``DATABASE_URL``
and drops it afterwards; SQLite uses a file in a temporary directory), migrates
it, inserts N documents of generated French text (a vocabulary of a few thousand
words with accents, Zipf-distributed like real prose, 200–2,000 words each; a
third carry text extracted from a file), recomputes every search_text
(``reindex_all``, timed), then times ``search()`` for ~50 queries as a member of
the assembly: a cold pass (the first run of each query on a fresh connection) and
warm passes. On PostgreSQL it also prints ``EXPLAIN ANALYZE`` of one query to
show the GIN index at work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_search_bench \\
        .venv/bin/python bench/library_search.py --documents 10000
    .venv/bin/python bench/library_search.py --documents 1000      # SQLite
    .venv/bin/python bench/library_search.py --quick                # a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Real French words (accents included); the generator adds their plurals and
# derived forms, and pseudo-words for the long tail of a real vocabulary.
BASE_WORDS = """
démocratie citoyen citoyenne assemblée département conseil délibération mandat budget
participatif mobilité transport rural ruralité santé hôpital médecin école collège lycée
éducation jeunesse personne âgée dépendance handicap accessibilité logement habitat énergie
rénovation thermique climat écologie biodiversité forêt rivière eau agriculture agriculteur
alimentation cantine circuit court producteur marché emploi insertion solidarité pauvreté
précarité revenu aide sociale action culture patrimoine musée bibliothèque sport association
bénévole bénévolat vélo route réseau numérique fibre internet inclusion égalité femme homme
génération territoire commune intercommunalité canton élu élue préfecture état loi décret
règlement procédure vote scrutin proposition recommandation avis rapport synthèse étude
enquête questionnaire consultation concertation débat réunion séance plénière commission
groupe atelier animation facilitateur méthode outil document fiche guide bibliographie
vidéo audio podcast entretien témoignage expérience expérimentation innovation projet
programme politique publique service agent direction financement subvention investissement
dépense recette impôt fiscalité péréquation dotation compétence collectivité région nation
europe européen international environnement pollution déchet recyclage tri compost
sécurité prévention risque inondation sécheresse canicule incendie secours pompier gendarme
justice droit devoir liberté fraternité laïcité république constitution charte principe
valeur éthique transparence information communication presse journal média réseaux social
covoiturage autobus autocar gare train ferroviaire piste cyclable chemin randonnée tourisme
économie entreprise commerce artisan artisanat industrie usine métier formation apprentissage
université recherche science technique technologie intelligence artificielle donnée
protection vie privée numérique accessible handicapé aidant famille enfant enfance crèche
petite adolescent étudiant retraité senior autonomie maintien domicile établissement
médico-social psychiatrie prévention addiction alcool tabac nutrition activité physique
qualité air bruit paysage urbanisme aménagement foncier terre sol artificialisation
zéro nette eau potable assainissement irrigation élevage vigne viticulture céréale maraîchage
""".split()

STOP_WORDS = (
    "le la les de des du un une et à en dans pour par sur avec que qui est sont au aux ce "
    "ces il elle nous vous ils leur leurs son sa ses plus comme mais ou où pas ne"
).split()

SUFFIXES = ["s", "x", "tion", "tions", "ique", "iques", "ment", "ments", "é", "ée", "ées", "er"]
SYLLABLES = [
    "ba",
    "bé",
    "ca",
    "cè",
    "da",
    "dé",
    "fa",
    "fê",
    "ga",
    "gé",
    "la",
    "lé",
    "ma",
    "mè",
    "na",
    "né",
    "pa",
    "pé",
    "ra",
    "ré",
    "sa",
    "sé",
    "ta",
    "té",
    "va",
    "vé",
    "ro",
    "lo",
    "mo",
    "no",
    "tu",
    "lu",
    "mu",
    "ri",
    "li",
    "mi",
    "çon",
    "gnon",
    "teau",
    "mière",
    "lière",
    "que",
    "ette",
]


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words = list(dict.fromkeys(BASE_WORDS))
    for word in list(words):
        words.append(word + "s")
    while len(words) < size:
        pseudo = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        words.append(pseudo + (rng.choice(SUFFIXES) if rng.random() < 0.3 else ""))
    return list(dict.fromkeys(words))


class Writer:
    """Zipf-distributed words with stop words between them, in sentences."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self.rng = rng
        self.words = words
        weights = [1.0 / (rank + 1) for rank in range(len(words))]
        self.cumulative = list(_accumulate(weights))

    def text(self, count: int) -> str:
        rng = self.rng
        chosen = rng.choices(self.words, cum_weights=self.cumulative, k=count)
        out: list[str] = []
        for i, word in enumerate(chosen):
            if rng.random() < 0.4:
                out.append(rng.choice(STOP_WORDS))
            out.append(word.capitalize() if i % 14 == 0 else word)
            if i % 14 == 13:
                out[-1] += "."
        return " ".join(out)


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


# --- A throw-away Django -------------------------------------------------------------------------


def setup_django(tmp: Path) -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["AGORA_DATA_DIR"] = str(tmp)
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ["PRIVATE_ROOT"] = str(tmp / "private")
    os.environ.setdefault("AGORA_ENV", "development")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(tmp / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return teardown


def seed(count: int, rng: random.Random, words: list[str]) -> dict[str, float]:
    from django.db import connection, transaction
    from django.utils import timezone

    from documents.models import (
        Audience,
        ContributorType,
        Document,
        DocumentFile,
        DocumentKind,
        DocumentStatus,
    )
    from documents.search import reindex_all

    writer = Writer(rng, words)
    started = time.perf_counter()
    documents, files = [], []
    now = timezone.now()
    for i in range(count):
        length = rng.randint(200, 2000)
        with_file = rng.random() < 1 / 3
        body_words = length // 3 if with_file else length
        status = rng.choices(
            [DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED, DocumentStatus.PROPOSED],
            weights=[90, 5, 5],
        )[0]
        document = Document(
            title=writer.text(rng.randint(3, 9)).rstrip("."),
            summary=writer.text(rng.randint(15, 40)),
            body="".join(f"<p>{writer.text(max(1, body_words // 4))}</p>" for _ in range(4)),
            kind=DocumentKind.FILE if with_file else DocumentKind.SHEET,
            audience=rng.choices(
                [Audience.ASSEMBLY, Audience.STAFF, Audience.PUBLIC], weights=[80, 10, 10]
            )[0],
            contributor_type=ContributorType.PROVIDER,
            status=status,
            published_at=None if status == DocumentStatus.PROPOSED else now,
        )
        documents.append(document)
        if with_file:
            text = writer.text(length - body_words)
            files.append(
                DocumentFile(
                    document=document,
                    version=1,
                    storage_name=uuid.uuid4().hex,
                    original_name=f"document-{i}.pdf",
                    size=len(text),
                    mime_type="application/pdf",
                    sha256="0" * 64,
                    text=text,
                )
            )
    with transaction.atomic():
        Document.objects.bulk_create(documents, batch_size=500)
        DocumentFile.objects.bulk_create(files, batch_size=500)
    inserted = time.perf_counter() - started

    started = time.perf_counter()
    changed = reindex_all()
    reindexed = time.perf_counter() - started
    assert changed == count, changed
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE documents_document")
    total_chars = sum(len(t) for t in Document.objects.values_list("search_text", flat=True))
    return {
        "insert_seconds": inserted,
        "reindex_seconds": reindexed,
        "files": len(files),
        "search_text_mib": total_chars / (1024 * 1024),
    }


def queries(words: list[str]) -> list[tuple[str, str]]:
    """(category, query): single common, mid and rare words, two words, accents both
    ways, plurals, a phrase."""
    common = BASE_WORDS[:10]
    mid = words[800:810]
    rare = words[-10:]
    out = [("common word", w) for w in common[:8]]
    out += [("mid word", w) for w in mid[:8]]
    out += [("rare word", w) for w in rare[:8]]
    out += [("two words", f"{a} {b}") for a, b in zip(common[:5], mid[:5], strict=True)]
    out += [("two words", f"{a} {b}") for a, b in zip(mid[:5], rare[:5], strict=True)]
    out += [
        ("unaccented", "democratie"),
        ("unaccented", "deliberation"),
        ("unaccented", "ecologie"),
        ("unaccented", "perequation"),
        ("capitals/plural", "DÉMOCRATIES"),
        ("capitals/plural", "Assemblées"),
        ("capitals/plural", "citoyennes"),
        ("capitals/plural", "départements"),
        ("phrase", '"budget participatif"'),
        ("phrase", '"santé publique"'),
        ("no match", "inexistantissime"),
        ("stop words only", "le la de"),
    ]
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run(count: int, warm_passes: int, seed_value: int) -> None:
    from django.db import connection

    rng = random.Random(seed_value)
    words = vocabulary(rng)
    print(f"# {connection.vendor}, {count:,} documents, vocabulary {len(words):,} words")
    figures = seed(count, rng, words)
    print(
        f"insert {figures['insert_seconds']:.1f} s; reindex_all {figures['reindex_seconds']:.1f} s "
        f"({count / figures['reindex_seconds']:.0f} documents/s); "
        f"{figures['files']:,} with a file; search_text {figures['search_text_mib']:.1f} MiB"
    )

    from documents.search import search

    sys.path.insert(0, str(ROOT))
    from tests import factories

    assembly = factories.make_assembly()
    member = factories.make_titulaire(assembly, email="bench@example.org")

    connection.close()  # cold: a fresh connection, nothing prepared, search's caches empty
    import documents.search as module

    module._CACHE.clear()
    module._stem.cache_clear()

    cases = queries(words)
    cold: dict[str, float] = {}
    totals: dict[str, int] = {}
    for _category, query in cases:
        started = time.perf_counter()
        _results, total = search(member, query)
        cold[query] = (time.perf_counter() - started) * 1000
        totals[query] = total
    warm: dict[str, list[float]] = {query: [] for _c, query in cases}
    for _ in range(warm_passes):
        for _category, query in cases:
            started = time.perf_counter()
            search(member, query)
            warm[query].append((time.perf_counter() - started) * 1000)

    all_cold = list(cold.values())
    all_warm = [ms for values in warm.values() for ms in values]
    print()
    print("| pass | queries | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| cold (first run of each) | {len(all_cold)} | {percentile(all_cold, 0.5):.1f} | "
        f"{percentile(all_cold, 0.99):.1f} | {max(all_cold):.1f} |"
    )
    print(
        f"| warm ({warm_passes} passes) | {len(all_warm)} | {percentile(all_warm, 0.5):.1f} | "
        f"{percentile(all_warm, 0.99):.1f} | {max(all_warm):.1f} |"
    )
    print()
    print("| kind of query | queries | matches (median) | warm p50 (ms) | warm max (ms) |")
    print("|---|---:|---:|---:|---:|")
    categories = list(dict.fromkeys(c for c, _q in cases))
    for category in categories:
        chosen = [q for c, q in cases if c == category]
        samples = [ms for q in chosen for ms in warm[q]]
        matches = statistics.median(totals[q] for q in chosen)
        print(
            f"| {category} | {len(chosen)} | {matches:,.0f} | {percentile(samples, 0.5):.1f} | "
            f"{max(samples):.1f} |"
        )

    if connection.vendor == "postgresql":
        from documents.access import visible_documents
        from documents.search import _matches, _rank

        for label, query in (("rare word", words[-1]), ("common word", BASE_WORDS[0])):
            print(f"\nEXPLAIN ANALYZE, matching ({label} « {query} »):")
            print(visible_documents(member).filter(_matches(query)).explain(analyze=True))
            ranked = (
                visible_documents(member)
                .filter(_matches(query))
                .annotate(rank=_rank(query))
                .order_by("-rank")
                .values_list("pk", flat=True)[:20]
            )
            print(f"\nEXPLAIN ANALYZE, ranking ({label}):")
            print(ranked.explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=None)
    parser.add_argument("--warm-passes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="500 documents, 2 warm passes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agora-search-bench-") as directory:
        teardown = setup_django(Path(directory))
        from django.db import connection

        default = 10_000 if connection.vendor == "postgresql" else 1_000
        count = 500 if args.quick else (args.documents or default)
        print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                print(f"PostgreSQL {cursor.fetchone()[0]}")
        try:
            run(count, 2 if args.quick else args.warm_passes, args.seed)
        finally:
            connection.close()
            teardown()


if __name__ == "__main__":
    main()
