"""Seed a complete, plausible demo assembly (idempotent: a second run changes nothing)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from assembly.demo import seed_assembly
from assembly.models import Mandate, Membership, MembershipKind, Subgroup
from deliberation.models import Proposal
from forums.models import Room

DEFAULT_PASSWORD = "agora-demo"  # noqa: S105 - published demo password

# A few opening messages per room, so that the demo does not start on empty rooms.
# Authors: "member:N" is the room's (or the assembly's) Nth member, else a staff email.
SUBGROUP_MESSAGES = [
    ("facilitator", "Bonjour à toutes et à tous ! Bienvenue dans le salon du sous-groupe. "
     "Présentez-vous en quelques mots, et dites ce qui vous a donné envie de travailler "
     "sur ce thème."),
    ("member:0", "Bonjour ! Je m'occupe de ma mère qui vit seule à la campagne, alors le "
     "sujet me parle beaucoup."),
    ("member:1", "Bonjour à tous. Je suis infirmière libérale, je vois chaque semaine des "
     "personnes âgées qui auraient besoin de **plus d'aide** à domicile."),
    ("member:2", "Salut ! Avant la prochaine séance, est-ce qu'on pourrait lire le rapport "
     "du Département ? Il est dans la bibliothèque."),
]
ROOM_MESSAGES = {
    "plenary": [
        ("dccu@example.org", "Bienvenue dans le salon de l'assemblée plénière. Ici, tout le "
         "monde peut lire les échanges ; les membres titulaires, l'équipe et le comité de "
         "suivi peuvent écrire. Merci de respecter la charte."),
        ("member:5", "Merci pour l'accueil ! La prochaine plénière a bien lieu à l'Hôtel du "
         "Département ?"),
        ("agent1@example.org", "Oui, salle de l'assemblée. Le programme sera envoyé une "
         "semaine avant."),
    ],
    "staff": [
        ("facilitateur1@example.org", "Point d'étape : les six sous-groupes ont tous fait "
         "leur première séance en visio."),
        ("agent2@example.org", "Je dépose les fiches pédagogiques sur l'APA dans la "
         "bibliothèque d'ici vendredi."),
    ],
}

# The library (documents/): themes, documents of every kind and contributor type, and the
# welcome path. "publish": a member's proposal a facilitator publishes; without it a
# member's document stays « proposé » (awaiting moderation).
LIBRARY_THEMES = [
    ("autonomie", "Autonomie et grand âge"),
    ("sante", "Santé"),
    ("mobilite", "Mobilité"),
    ("democratie", "Démocratie participative"),
]
WELCOME_PATH = "Bienvenue dans l'Assemblée"
LIBRARY_DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("dccu@example.org", {
        "kind": "fichier", "title": "Présentation de l'Assemblée citoyenne",
        "summary": "Qui siège, comment on travaille, le calendrier des plénières.",
        "pdf": "Assemblee citoyenne de la Haute-Garonne : presentation, role des membres "
               "titulaires et remplacants, calendrier des plenieres.",
        "themes": ["democratie"],
    }),
    ("facilitateur1@example.org", {
        "kind": "fiche", "title": "Fiche : comment se déroule une séance",
        "summary": "Le déroulé d'une plénière et d'une interplénière, pas à pas.",
        "body": "<h2>Avant la séance</h2><p>Lisez les documents du parcours.</p>"
                "<h2>Pendant</h2><ul><li>Tour de parole</li><li>Travail en sous-groupes</li>"
                "</ul><h2>Après</h2><p>Le compte rendu est publié dans la bibliothèque.</p>",
        "themes": ["democratie"],
    }),
    ("agent1@example.org", {
        "kind": "lien", "title": "Le site du Département de la Haute-Garonne",
        "url": "https://www.haute-garonne.fr/", "summary": "Les compétences du Département.",
    }),
    ("agent2@example.org", {
        "kind": "fiche", "title": "Fiche : l'allocation personnalisée d'autonomie (APA)",
        "summary": "Qui peut en bénéficier, comment la demander, ce qu'elle finance.",
        "body": "<p>L'<strong>APA</strong> aide les personnes de 60 ans et plus en perte "
                "d'autonomie à payer les aides dont elles ont besoin.</p>",
        "themes": ["autonomie"],
    }),
    ("facilitateur2@example.org", {
        "kind": "video", "title": "Vidéo : l'Assemblée citoyenne en trois minutes",
        "url": "https://www.example.org/videos/assemblee-3-minutes",
        "summary": "Une courte vidéo pour les nouveaux membres et les remplaçants.",
        "themes": ["democratie"],
    }),
    ("agent3@example.org", {
        "kind": "audio", "title": "Podcast : être aidant au quotidien",
        "url": "https://www.example.org/podcasts/aidants",
        "summary": "Trois aidants racontent leur semaine.", "themes": ["autonomie"],
    }),
    ("facilitateur3@example.org", {
        "kind": "bibliographie", "title": "Bibliographie : vieillir chez soi",
        "summary": "Rapport Libault, « Grand âge et autonomie », ministère des Solidarités, "
                   "2019.\nDrees, « L'aide à domicile », Études et résultats, 2023.",
        "themes": ["autonomie"],
    }),
    ("agent4@example.org", {
        "kind": "lien", "title": "Le transport à la demande en Haute-Garonne",
        "url": "https://www.example.org/transport-a-la-demande",
        "summary": "Les lignes et les horaires du transport à la demande.",
        "themes": ["mobilite"],
    }),
    ("agent5@example.org", {
        "kind": "fiche", "title": "Note de l'équipe : calendrier des saisines",
        "summary": "Document de travail réservé à l'équipe.", "audience": "equipe",
        "body": "<p>Calendrier prévisionnel, à ne pas diffuser.</p>",
    }),
    ("dccu@example.org", {
        "kind": "lien", "title": "La charte de la participation citoyenne",
        "url": "https://www.example.org/charte-participation", "audience": "public",
        "summary": "La charte publique qui encadre la démarche.", "themes": ["democratie"],
    }),
    ("membre001@example.org", {
        "kind": "lien", "title": "Témoignage : ma mère et l'EHPAD",
        "url": "https://www.example.org/temoignage-ehpad", "publish": True,
        "summary": "Un article de journal local qu'une membre a trouvé éclairant.",
        "themes": ["autonomie", "sante"],
    }),
    ("membre002@example.org", {
        "kind": "lien", "title": "Article : les déserts médicaux en zone rurale",
        "url": "https://www.example.org/deserts-medicaux",
        "summary": "Proposé par un membre, en attente d'un modérateur.", "themes": ["sante"],
    }),
]
WELCOME_STEPS = [
    "Présentation de l'Assemblée citoyenne",
    "Vidéo : l'Assemblée citoyenne en trois minutes",
    "Fiche : comment se déroule une séance",
    "Le site du Département de la Haute-Garonne",
    "Fiche : l'allocation personnalisée d'autonomie (APA)",
]


def _demo_pdf(text: str) -> bytes:
    """A small one-page PDF (Helvetica, a correct cross-reference table)."""
    stream = b"BT /F1 14 Tf 60 720 Td (" + text.encode("latin-1", "replace") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


class Command(BaseCommand):
    help = "Seed the demo assembly: 216 members, a saisine, 6 subgroups and the staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="Password of every account created (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.AGORA_DEMO:
            raise CommandError("Refused: seed_demo only runs with AGORA_DEMO on.")
        with transaction.atomic():
            summary = self.seed(options["password"])
        for line in summary:
            self.stdout.write(line)

    def seed(self, password: str) -> list[str]:
        demo = seed_assembly(password)
        assembly, seats, users, mandate = demo.assembly, demo.seats, demo.users, demo.mandate
        created_users, added, created_subgroups = (
            demo.created_users, demo.added_memberships, demo.created_subgroups
        )
        sent = self.ensure_conversations(mandate, users)
        created_proposals = self.ensure_proposals(mandate)
        created_documents = self.ensure_library(mandate, users)
        from decisions.demo import DEMO_QUESTION, ensure_demo_vote

        opened_votes = ensure_demo_vote(mandate)
        from workshops.demo import ensure_workshops

        created_walls, created_boards = ensure_workshops(mandate)
        from assembly.demo_draws import ensure_demo_draw

        ensure_demo_draw(assembly)
        from assembly.demo import ensure_sessions

        created_sessions = ensure_sessions(mandate)
        from deliberation.demo_followup import COMMITTEE, ensure_followup

        followed = ensure_followup(mandate, users)
        from assembly.demo_deadlines import ensure_session_documents

        created_session_docs = ensure_session_documents(mandate, users)
        from assembly.demo_attendance import ensure_attendance

        created_attendances = ensure_attendance(assembly, users)

        memberships = Membership.objects.current().filter(seat__assembly=assembly)
        full = memberships.filter(kind=MembershipKind.TITULAIRE).count()
        subs = memberships.filter(kind=MembershipKind.REMPLACANT).count()
        subgroups = Subgroup.objects.filter(mandate=mandate).count()
        rooms = Room.objects.filter(mandate=mandate).count()
        proposals = Proposal.objects.filter(mandate=mandate).count()
        summary = [
            f"Assembly: {assembly} ({len(seats)} seats)",
            f"People: {len(users)} ({created_users} created)",
            f"Memberships: {full} full members, {subs} substitutes ({added} added)",
            f"Mandate: {mandate} ({mandate.start} – {mandate.end})",
            f"Subgroups: {subgroups} ({created_subgroups} created)",
            f"Conversations: {rooms} rooms ({sent} messages sent)",
            f"Proposals: {proposals} ({created_proposals} created, drafts from the template)",
            f"Library: {created_documents} documents created, path « {WELCOME_PATH} »",
            f"Vote open in the plenary: « {DEMO_QUESTION} » ({opened_votes} opened)",
            f"Workshops: {created_walls} idea walls and {created_boards} whiteboards created",
            f"Sessions: {created_sessions} created (« Agenda » in the menu)",
            f"Follow-up: {followed} adopted proposals answered and followed; committee: "
            f"{COMMITTEE[0]} … {COMMITTEE[-1]} ({len(COMMITTEE)} members)",
            f"Sessions with documents due: {created_session_docs} created (see /echeances/)",
            f"Past plenaries: {created_attendances} attendances recorded (membre001's "
            "statement in « Mes présences et indemnités »)",
        ]
        if created_users:
            summary.append(f"Password of the created accounts: {password}")
        return summary

    def ensure_conversations(self, mandate: Mandate, users: dict[str, User]) -> int:
        """Every room of the mandate, with a few opening messages (idempotent: fixed ids)."""
        import uuid

        from forums.actions import do_send_message, ensure_rooms
        from forums.models import RoomKind

        ensure_rooms(mandate)
        titulaires = sorted(
            (u for u in users.values() if u.email.startswith("membre")), key=lambda u: u.email
        )
        sent = 0
        for room in Room.objects.filter(mandate=mandate).select_related("subgroup"):
            if room.kind == RoomKind.SUBGROUP:
                assert room.subgroup is not None  # noqa: S101 - a subgroup room has one
                script = SUBGROUP_MESSAGES
                members = list(room.subgroup.members.order_by("email"))
                facilitator = room.subgroup.facilitators.order_by("email").first()
            else:
                script = ROOM_MESSAGES.get(room.kind, [])
                members, facilitator = titulaires, None
            for index, (who, body) in enumerate(script):
                if who == "facilitator":
                    author = facilitator
                elif who.startswith("member:"):
                    position = int(who.split(":")[1])
                    author = members[position] if position < len(members) else None
                else:
                    author = users.get(who)
                if author is None:
                    continue
                client_id = uuid.uuid5(uuid.NAMESPACE_URL, f"agora-demo/{room.name}/{index}")
                _message, created = do_send_message(author, room, body=body,
                                                    client_id=client_id)
                sent += created
        return sent

    def ensure_library(self, mandate: Mandate, users: dict[str, User]) -> int:
        """Themes, documents of every kind and contributor type (one real PDF stored through
        documents.files), the welcome reading path, and a member's proposal awaiting
        moderation (idempotent: a title that exists is not added again)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from documents import actions as library
        from documents.models import Document, ReadingPath, ReadingPathItem, Theme

        themes = {
            slug: Theme.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in LIBRARY_THEMES
        }
        facilitator = users["facilitateur1@example.org"]
        created = 0
        documents: dict[str, Document] = {}
        for author_email, entry in LIBRARY_DOCUMENTS:
            title = entry["title"]
            existing = Document.objects.filter(title=title).first()
            if existing is not None:
                documents[title] = existing
                continue
            author = users[author_email]
            upload = None
            if entry.get("pdf"):
                upload = SimpleUploadedFile("presentation-assemblee.pdf", _demo_pdf(entry["pdf"]),
                                            content_type="application/pdf")
            doc = library.do_propose_document(
                author, kind=entry["kind"], title=title, summary=entry.get("summary", ""),
                url=entry.get("url", ""), body=entry.get("body", ""), upload=upload,
                mandates=[mandate], themes=[themes[t] for t in entry.get("themes", [])],
                audience=entry.get("audience", "assemblee"),
            )
            if entry.get("publish") and doc.status == "propose":
                library.do_publish_document(facilitator, doc)
            documents[title] = doc
            created += 1
        path, _new = ReadingPath.objects.get_or_create(
            slug="bienvenue", defaults={
                "title": WELCOME_PATH, "mandate": mandate, "position": 0,
                "description": "Cinq documents pour découvrir l'assemblée, son mandat et la "
                               "façon de travailler ensemble : à lire à votre rythme.",
            },
        )
        for position, title in enumerate(WELCOME_STEPS):
            ReadingPathItem.objects.get_or_create(
                path=path, document=documents[title], defaults={"position": position}
            )
        return created

    def ensure_proposals(self, mandate: Mandate) -> int:
        """One proposal per subgroup, its draft filled with the template (idempotent: a
        subgroup that has a proposal gets none more)."""
        from deliberation.proposals import do_create_proposal

        created = 0
        for subgroup in Subgroup.objects.filter(mandate=mandate).order_by("name"):
            if Proposal.objects.filter(subgroup=subgroup).exists():
                continue
            do_create_proposal(None, subgroup, f"Proposition du sous-groupe {subgroup.name}")
            created += 1
        return created
