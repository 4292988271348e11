"""First published version of the texts people read or agree to.

The wording is content (French, for the assembly's members), written in the
small format of ``gdpr.markup``. What follows code or settings — the table of
what is kept and for how long (from the privacy declarations), the DPO's and
the DCCU's contacts — is not in these texts: the pages add it when they show
them, so it cannot drift. Later versions are written and published by the DCCU
or the DPD on the platform.
"""

from django.db import migrations
from django.utils import timezone

NOTICE_TITLE = "Vos données personnelles sur Agora"
NOTICE = """\
## Qui est responsable de vos données ?

Le **Conseil départemental de la Haute-Garonne** (1 boulevard de la Marquette, 31090 Toulouse Cedex 9) est responsable du traitement. Son service Dialogue citoyen (DCCU) organise l'Assemblée citoyenne et administre Agora. Le prestataire qui anime l'assemblée travaille pour le Département, selon ses instructions.

## Pourquoi Agora utilise vos données

- Vous permettre de participer à l'Assemblée citoyenne : échanger avec les autres membres, lire la documentation, écrire ensemble les propositions de l'assemblée.
- Organiser le travail : séances plénières, sous-groupes, animation, comptes rendus.
- Vérifier que vous pouvez être membre de l'assemblée (âge, domicile en Haute-Garonne, ni agent du Département ni élu·e) et gérer les remplacements.
- Protéger la plateforme et prouver le respect de vos droits : journal des accès, preuves de vos choix.

## Sur quelle base ?

- Pour l'essentiel : une **mission d'intérêt public** confiée au Département, la participation citoyenne (article 6.1.e du RGPD). Ces traitements sont nécessaires au fonctionnement de l'assemblée.
- Pour la sécurité et les preuves : des **obligations légales** (article 6.1.c du RGPD).
- Pour quelques choix facultatifs seulement — afficher votre canton à côté de votre nom, recevoir un résumé par courriel, apparaître sur les photos et enregistrements des séances — **votre consentement** (article 6.1.a du RGPD). Ils restent désactivés tant que vous ne les activez pas, et vous pouvez les retirer à tout moment, aussi simplement, dans [Mes choix](/confidentialite/choix/).

## Qui voit vos données ?

- Les autres participants voient le nom que vous choisissez d'afficher, et ce que vous écrivez ou déposez dans les espaces où vous participez.
- Les animateurs et animatrices voient les noms et la composition des sous-groupes.
- L'équipe du DCCU voit les informations de votre compte pour administrer l'assemblée. Le délégué à la protection des données (DPD) du Département y accède pour traiter vos demandes.
- Personne d'autre : vos données ne sont ni vendues ni transmises, et ne quittent pas l'Union européenne. Agora n'utilise ni publicité, ni mesure d'audience, ni service extérieur chargé dans vos pages (polices, scripts, vidéos intégrées).

## Combien de temps ?

Chaque catégorie de données a sa propre durée de conservation, rappelée dans le tableau « Ce qu'Agora conserve, et combien de temps » de cette page. La plupart des données sont conservées pendant le mandat de l'assemblée, puis un an. Ce que vous avez écrit avec les autres (messages dans les salons, propositions, documents partagés) reste dans le travail collectif, sous un pseudonyme, si votre compte est effacé.

## Vos droits

Vous pouvez à tout moment :

- **consulter** vos données et en obtenir une copie ;
- les faire **corriger** ;
- demander leur **effacement** ;
- vous **opposer** à un traitement ou demander sa **limitation** ;
- **retirer** un consentement donné, sans avoir à vous justifier.

Le plus simple : la page [Mes données](/mes-donnees/), une fois connecté·e. Vous pouvez aussi écrire au délégué à la protection des données du Département (coordonnées sur cette page). Une réponse vous est donnée dans un délai d'un mois (trois mois au plus pour une demande complexe ; on vous dit alors pourquoi).

## Réclamation

Si vous estimez que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la Commission nationale de l'informatique et des libertés (CNIL), 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, ou en ligne sur [cnil.fr](https://www.cnil.fr/fr/plaintes).

## Cookies

Agora n'utilise que les cookies strictement nécessaires : votre session de connexion, la protection des formulaires et la langue choisie. Aucun cookie de mesure d'audience ou de publicité : c'est pourquoi aucun bandeau ne vous demande votre accord.
"""

CHARTER_TITLE = "Règles de vie de l'Assemblée citoyenne"
CHARTER = """\
Agora est l'espace de travail de l'Assemblée citoyenne de la Haute-Garonne. Pour que chacune et chacun puisse s'y exprimer librement, nous nous engageons à respecter ces règles.

## Respect

- Je m'adresse aux autres avec courtoisie, même en cas de désaccord. Je critique des idées, jamais des personnes.
- Je n'écris ni propos injurieux, discriminatoires, haineux ou diffamatoires, ni contenu illégal.
- Je laisse de la place aux autres : chaque voix compte, y compris celles qui s'expriment moins facilement.

## Confidentialité

- Les échanges des sous-groupes et les documents de travail restent dans l'assemblée : je ne les publie pas et je ne les transmets pas à l'extérieur sans l'accord du groupe.
- Je ne cite pas nommément d'autres participants en dehors de l'assemblée.
- Je n'enregistre pas et je ne photographie pas les autres sans leur accord.
- Je garde pour moi mes codes de connexion.

## Neutralité et sincérité

- Je participe en mon nom, en tant que citoyen·ne. Je n'utilise pas Agora pour faire de la publicité, de la propagande électorale ou pour défendre des intérêts particuliers sans le dire.
- Je cite mes sources quand je partage une information.

## Modération

- Les animateurs, les animatrices et l'équipe du DCCU veillent au respect de ces règles. Ils peuvent masquer un message qui ne les respecte pas, en expliquant pourquoi.
- Si un message vous semble contraire à ces règles, signalez-le à l'animation de votre sous-groupe ou au DCCU.
- En cas de manquements répétés, le DCCU peut suspendre l'accès à Agora, après avoir entendu la personne concernée.

Le règlement intérieur adopté par l'assemblée complète ces règles.
"""

PURPOSES = {
    "show_canton": (
        "Afficher mon canton à côté de mon nom",
        """\
Si vous l'acceptez, les autres participants voient le nom de votre canton à côté de votre nom (par exemple « Camille D. — Muret »). Cela aide à savoir d'où chacun parle.

Sans votre accord, seul votre nom est affiché. Le DCCU connaît toujours votre canton, qui est nécessaire à l'organisation de l'assemblée.

Vous pouvez retirer votre accord à tout moment dans [Mes choix](/confidentialite/choix/) : votre canton n'est alors plus affiché.
""",
    ),
    "email_digest": (
        "Recevoir un résumé par courriel",
        """\
Si vous l'acceptez, Agora vous envoie un courriel, au plus une fois par jour, qui résume ce qui s'est passé dans vos sous-groupes et dans l'assemblée (nouveaux messages, documents, rendez-vous).

Sans votre accord, vous ne recevez que les courriels nécessaires : codes de connexion et informations importantes sur l'assemblée.

Vous pouvez retirer votre accord à tout moment dans [Mes choix](/confidentialite/choix/).
""",
    ),
    "recordings": (
        "Apparaître sur les photos et enregistrements des séances",
        """\
Si vous l'acceptez, vous pouvez apparaître sur les photos, les vidéos et les enregistrements sonores faits pendant les séances de l'assemblée (en salle ou en visioconférence). Le Département les utilise pour les comptes rendus, pour informer le public du travail de l'assemblée et pour ses archives.

Sans votre accord, l'équipe veille à ne pas vous photographier ni vous filmer, et vous pouvez participer aux séances en visioconférence sans caméra. Vous pouvez le rappeler à tout moment à l'équipe.

Vous pouvez retirer votre accord à tout moment dans [Mes choix](/confidentialite/choix/) : les images déjà publiées seront retirées dans la mesure du possible, et aucune nouvelle image de vous ne sera utilisée.
""",
    ),
}


def create_first_versions(apps, schema_editor):
    PolicyText = apps.get_model("gdpr", "PolicyText")
    now = timezone.now()
    texts = [
        ("notice", "", NOTICE_TITLE, NOTICE),
        ("charter", "", CHARTER_TITLE, CHARTER),
        *(("purpose", code, title, body) for code, (title, body) in PURPOSES.items()),
    ]
    for kind, purpose, title, body in texts:
        PolicyText.objects.get_or_create(
            kind=kind, purpose=purpose, version=1,
            defaults={"title": title, "body": body, "published_at": now},
        )


def remove_first_versions(apps, schema_editor):
    # Only if nobody ever read or agreed to them: proofs are never deleted.
    PolicyText = apps.get_model("gdpr", "PolicyText")
    ConsentRecord = apps.get_model("gdpr", "ConsentRecord")
    first = PolicyText.objects.filter(version=1)
    if ConsentRecord.objects.filter(text__in=first).exists():
        raise RuntimeError("People have already read or agreed to these texts.")
    first.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("gdpr", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_first_versions, remove_first_versions),
    ]
