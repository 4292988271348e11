# The comments of a library document live in a room of kind « document » (issue 6).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0001_library'),
        ('forums', '0002_room_one_plenary_and_staff_per_mandate'),
    ]

    operations = [
        migrations.AddField(
            model_name='room',
            name='document',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='room', to='documents.document', verbose_name='document'),
        ),
        migrations.AlterField(
            model_name='room',
            name='kind',
            field=models.CharField(choices=[('subgroup', 'subgroup'), ('plenary', 'plenary'), ('direct', 'direct messages'), ('staff', 'staff'), ('document', 'comments on a document')], max_length=10, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('document__isnull', False), ('kind', 'document')), models.Q(models.Q(('kind', 'document'), _negated=True), ('document__isnull', True)), _connector='OR'), name='room_document_only_for_document_rooms'),
        ),
    ]
