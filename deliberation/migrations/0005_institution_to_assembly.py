"""The assembly's institution moved to the ``assembly`` app: state only, no table changes."""

import django.db.models.deletion
from django.db import migrations, models


MOVED = ["assembly", "canton", "seat", "membership", "mandate", "subgroup"]


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new, model__in=MOVED)
                .values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=set(MOVED) - taken).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "deliberation", "assembly")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "assembly", "deliberation")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('accounts', '0006_seat_in_assembly'),
        ('assembly', '0001_initial'),
        ('deliberation', '0004_proposals_drafts'),
        ('documents', '0005_mandate_in_assembly'),
        ('forums', '0004_mandate_subgroup_in_assembly'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay where they are (see assembly/migrations/0001).
            state_operations=[
                migrations.RemoveField(
                    model_name='seat',
                    name='assembly',
                ),
                migrations.RemoveField(
                    model_name='mandate',
                    name='assembly',
                ),
                migrations.RemoveField(
                    model_name='seat',
                    name='canton',
                ),
                migrations.AlterField(
                    model_name='proposal',
                    name='mandate',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='proposals', to='assembly.mandate', verbose_name='mandate'),
                ),
                migrations.RemoveField(
                    model_name='subgroup',
                    name='mandate',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='seat',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='subgroup',
                    name='facilitators',
                ),
                migrations.RemoveField(
                    model_name='subgroup',
                    name='members',
                ),
                migrations.AlterField(
                    model_name='proposal',
                    name='subgroup',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='proposals', to='assembly.subgroup', verbose_name='subgroup'),
                ),
                migrations.DeleteModel(
                    name='Assembly',
                ),
                migrations.DeleteModel(
                    name='Canton',
                ),
                migrations.DeleteModel(
                    name='Mandate',
                ),
                migrations.DeleteModel(
                    name='Seat',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
                migrations.DeleteModel(
                    name='Subgroup',
                ),
            ],
            database_operations=[],
        ),
        # The admin's log, permissions and object permissions name the models by content
        # type: they follow the models (a fresh database has none yet: nothing to do).
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
