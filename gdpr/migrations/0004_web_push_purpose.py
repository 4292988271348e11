"""Web push (notifications/webpush.py) as an optional purpose, with its first text.

The text is shown only when the platform has VAPID keys (gdpr.consent.is_offered).
"""

from django.db import migrations, models
from django.utils import timezone

TITLE = "Recevoir les notifications sur mon téléphone ou mon ordinateur"
BODY = """\
Si vous l'acceptez, Agora peut afficher une notification sur les appareils que vous choisissez (téléphone, ordinateur), même quand Agora n'est pas ouvert : « Agora : vous avez 3 nouvelles notifications ». En la touchant, vous arrivez sur la page de vos notifications.

Pour cela, votre navigateur passe par le service de notification de son éditeur (Google, Mozilla, Apple ou Microsoft). Ce service ne voit qu'un message chiffré, qui ne contient ni nom, ni texte : seulement le nombre de nouvelles notifications.

Agora garde, pour chaque appareil, l'adresse donnée par ce service et les clés de chiffrement de l'appareil. Sans votre accord, rien n'est envoyé et rien n'est gardé.

Vous pouvez retirer votre accord à tout moment dans [Mes choix](/confidentialite/choix/) ou dans vos préférences de notification : tous vos appareils sont alors oubliés.
"""


def create_text(apps, schema_editor):
    PolicyText = apps.get_model("gdpr", "PolicyText")
    PolicyText.objects.get_or_create(
        kind="purpose", purpose="web_push", version=1,
        defaults={"title": TITLE, "body": BODY, "published_at": timezone.now()},
    )


def remove_text(apps, schema_editor):
    PolicyText = apps.get_model("gdpr", "PolicyText")
    ConsentRecord = apps.get_model("gdpr", "ConsentRecord")
    first = PolicyText.objects.filter(purpose="web_push")
    if ConsentRecord.objects.filter(text__in=first).exists():
        raise RuntimeError("People have already agreed to this text.")
    first.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("gdpr", "0003_consent_policytext_asks_again"),
    ]

    operations = [
        migrations.AlterField(
            model_name="policytext",
            name="purpose",
            field=models.CharField(
                blank=True,
                choices=[
                    ("show_canton", "Show my canton next to my name"),
                    ("email_digest", "Receive a daily email digest"),
                    ("recordings", "Appear in photos and recordings of sessions"),
                    ("web_push", "Receive notifications on my devices"),
                ],
                max_length=20,
                verbose_name="optional purpose",
            ),
        ),
        migrations.RunPython(create_text, remove_text),
    ]
