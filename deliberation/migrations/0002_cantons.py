"""The 27 cantons of Haute-Garonne (decree of 2014, in force since 2015)."""

from django.db import migrations
from django.utils.text import slugify

CANTONS = [
    "Auterive", "Bagnères-de-Luchon", "Blagnac", "Castanet-Tolosan", "Castelginest",
    "Cazères", "Escalquens", "Léguevin", "Muret", "Pechbonnieu", "Plaisance-du-Touch",
    "Portet-sur-Garonne", "Revel", "Saint-Gaudens",
    *[f"Toulouse-{n}" for n in range(1, 12)],
    "Tournefeuille", "Villemur-sur-Tarn",
]


def canton_model(apps):
    """The model as of this migration; the tests' reference data passes the live registry,
    where the model is ``assembly.Canton`` (moved by assembly.0001, same table)."""
    try:
        return apps.get_model("deliberation", "Canton")
    except LookupError:
        return apps.get_model("assembly", "Canton")


def create_cantons(apps, schema_editor):
    Canton = canton_model(apps)
    for name in CANTONS:
        Canton.objects.update_or_create(code=slugify(name), defaults={"name": name})


def remove_cantons(apps, schema_editor):
    canton_model(apps).objects.filter(
        code__in=[slugify(n) for n in CANTONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]
    operations = [migrations.RunPython(create_cantons, remove_cantons)]
