"""The demo assembly: its 216 members, its staff, its saisine and its subgroups, seated
through the assembly's own operations (``seed_demo`` adds the conversations, the library and
the proposals). Idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role, grant_role
from assembly import actions
from assembly.models import (
    Assembly,
    Mandate,
    MandateKind,
    Membership,
    MembershipKind,
    Seat,
    SeatCategory,
    SeatOffer,
    Subgroup,
)

ASSEMBLY_NAME = "Assemblée citoyenne de la Haute-Garonne 2025-2027"
MANDATE_START = date(2025, 10, 1)
MANDATE_END = date(2027, 6, 30)
SEED = 31

SAISINE_TITLE = "Bien vieillir en Haute-Garonne"
SAISINE_QUESTION = (
    "Comment le Département peut-il mieux accompagner l'autonomie des personnes âgées, "
    "à domicile comme en établissement, et soutenir celles et ceux qui les aident ?"
)
SUBGROUPS = [
    ("Habitat et maintien à domicile", "Adapter les logements, aides à domicile, téléassistance."),
    ("Aidants", "Soutien, répit et reconnaissance des proches aidants."),
    ("Santé et accès aux soins", "Prévention, déserts médicaux, coordination des soins."),
    ("Mobilité des aînés", "Se déplacer sans voiture, transport à la demande, lien aux bourgs."),
    ("Lien social et isolement", "Rompre l'isolement, bénévolat, liens entre générations."),
    ("EHPAD et résidences autonomie", "Qualité de l'accueil, coût, alternatives à l'EHPAD."),
]
SUBGROUPS_PER_FACILITATOR = 2


# First names by generation, so that a 25-year-old is not called Josiane.
FIRST_NAMES = {
    (True, True): [
        "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie",
        "Pauline", "Lucie", "Anaïs", "Mathilde", "Élodie", "Océane", "Clara", "Justine", "Yasmine",
        "Marion",
    ],
    (True, False): [
        "Sophie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Christine", "Martine",
        "Françoise", "Monique", "Brigitte", "Véronique", "Patricia", "Valérie", "Sandrine",
        "Corinne", "Muriel", "Josiane", "Mireille", "Odile", "Fatima",
    ],
    (False, True): [
        "Lucas", "Hugo", "Thomas", "Théo", "Nathan", "Louis", "Maxime", "Antoine", "Julien",
        "Romain", "Nicolas", "Kevin", "Quentin", "Mathieu", "Benoît", "Guillaume", "Mehdi",
        "Florian", "Adrien", "Yanis",
    ],
    (False, False): [
        "Sébastien", "Jérôme", "Laurent", "Philippe", "Pierre", "Michel", "Alain", "Jean",
        "Bernard", "Patrick", "Christian", "Daniel", "Gérard", "Serge", "Didier", "Thierry",
        "Pascal", "Bruno", "Éric", "Jean-Pierre",
    ],
}
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Lopez", "Fabre", "Rousseau", "Blanc", "Guerin", "Muller", "Henry",
    "Roussel", "Nicolas", "Perrin", "Mathieu", "Clément", "Gauthier", "Dumas", "Fontaine",
    "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire",
    "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Gomez",
    "Jean", "Pujol", "Cazeneuve", "Bousquet", "Castex", "Marty", "Soula", "Sabatier",
    "Fauré", "Bonnafous", "Lacoste", "Esquerré", "Vidal", "Delpech", "Carrère", "Puig",
    "Baylac", "Abadie", "Rouquette", "Cassagne", "Escaffre", "Saint-Blancat", "Sentenac",
]
# A few real postal codes of each canton's communes (Toulouse's own for its cantons).
TOULOUSE_CODES = ["31000", "31100", "31200", "31300", "31400", "31500"]
POSTAL_CODES = {
    "auterive": ["31190", "31560", "31810"],
    "bagneres-de-luchon": ["31110", "31510", "31160"],
    "blagnac": ["31700", "31840"],
    "castanet-tolosan": ["31320", "31670", "31450"],
    "castelginest": ["31780", "31150"],
    "cazeres": ["31220", "31260", "31370"],
    "escalquens": ["31750", "31130", "31590"],
    "leguevin": ["31490", "31530", "31470"],
    "muret": ["31600", "31860"],
    "pechbonnieu": ["31140", "31380", "31620"],
    "plaisance-du-touch": ["31830", "31770"],
    "portet-sur-garonne": ["31120", "31270"],
    "revel": ["31250", "31460", "31540"],
    "saint-gaudens": ["31800", "31210", "31350"],
    "tournefeuille": ["31170"],
    "villemur-sur-tarn": ["31340", "31330"],
}
# Ages on the first day of the mandate, kept inside the band until its last day.
YOUNG_AGES = (20, 42)
OLDER_AGES = (47, 82)

STAFF = [
    # (email, first name, last name, role, department agent)
    ("facilitateur1@example.org", "Amandine", "Ribes", Role.FACILITATEUR, False),
    ("facilitateur2@example.org", "Olivier", "Castan", Role.FACILITATEUR, False),
    ("facilitateur3@example.org", "Samira", "Benali", Role.FACILITATEUR, False),
    ("agent1@example.org", "Hélène", "Maury", Role.AGENT, True),
    ("agent2@example.org", "Frédéric", "Doumeng", Role.AGENT, True),
    ("agent3@example.org", "Agnès", "Lafforgue", Role.AGENT, True),
    ("agent4@example.org", "Stéphane", "Bories", Role.AGENT, True),
    ("agent5@example.org", "Coralie", "Sicard", Role.AGENT, True),
    ("dccu@example.org", "Claire", "Dupuy", Role.DCCU, False),
    ("dpd@example.org", "Marc", "Lefèvre", Role.DPD, False),
]


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    birth_date: date | None = None
    postal_code: str = ""
    is_department_agent: bool = False

    def as_user(self, password_hash: str) -> User:
        return User(
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            display_name=f"{self.first_name} {self.last_name[0]}.",
            birth_date=self.birth_date,
            postal_code=self.postal_code,
            is_department_agent=self.is_department_agent,
            password=password_hash,
        )


def _member(rng: random.Random, email: str, seat: Seat) -> Person:
    female = seat.category in {SeatCategory.FEMME_18_44, SeatCategory.FEMME_45}
    young = seat.category in {SeatCategory.FEMME_18_44, SeatCategory.HOMME_18_44}
    low, high = YOUNG_AGES if young else OLDER_AGES
    age = rng.randint(low, high)
    birth_date = MANDATE_START.replace(year=MANDATE_START.year - age - 1) + timedelta(
        days=rng.randint(1, 364)
    )
    code = seat.canton.code
    postal_codes = TOULOUSE_CODES if code.startswith("toulouse-") else POSTAL_CODES[code]
    return Person(
        email=email,
        first_name=rng.choice(FIRST_NAMES[female, young]),
        last_name=rng.choice(LAST_NAMES),
        birth_date=birth_date,
        postal_code=rng.choice(postal_codes),
    )


@dataclass
class DemoAssembly:
    assembly: Assembly
    seats: list[Seat]
    users: dict[str, User]
    created_users: int
    added_memberships: int
    mandate: Mandate
    created_subgroups: int


def seed_assembly(password: str) -> DemoAssembly:
    """The assembly with its 108 seats, the people seated, the staff, the saisine and its
    subgroups (inside the caller's transaction)."""
    assembly = Assembly.objects.filter(name=ASSEMBLY_NAME).first() or (
        actions.do_create_assembly(
            None, name=ASSEMBLY_NAME, mandate_start=MANDATE_START, mandate_end=MANDATE_END
        )
    )
    seats = list(
        Seat.objects.filter(assembly=assembly)
        .select_related("canton")
        .order_by("canton__code", "category")
    )
    if len(seats) != 108:
        raise CommandError(f"{assembly} has {len(seats)} seats instead of 108.")

    rng = random.Random(SEED)  # the same people on every run and every machine
    titulaires = [_member(rng, f"membre{i:03d}@example.org", s) for i, s in enumerate(seats, 1)]
    substitutes = [
        _member(rng, f"remplacant{i:03d}@example.org", s) for i, s in enumerate(seats, 1)
    ]
    staff = [
        Person(email, first, last, is_department_agent=agent)
        for email, first, last, _role, agent in STAFF
    ]
    users, created_users = ensure_users([*titulaires, *substitutes, *staff], password)

    for email, _first, _last, role, _agent in STAFF:
        grant_role(users[email], role)
        if role in settings.AGORA_STAFF_2FA_ROLES:  # they must enrol a TOTP app
            enrol_demo_totp(users[email])

    added = ensure_memberships(
        seats,
        [users[p.email] for p in titulaires],
        [users[p.email] for p in substitutes],
    )
    ensure_seat_stories(seats, users)
    mandate = Mandate.objects.filter(assembly=assembly, title=SAISINE_TITLE).first() or (
        actions.do_create_mandate(
            None,
            assembly=assembly,
            kind=MandateKind.SAISINE,
            title=SAISINE_TITLE,
            question=SAISINE_QUESTION,
            start=MANDATE_START,
            end=MANDATE_END,
        )
    )
    facilitators = [users[email] for email, *_rest in STAFF if email.startswith("facilit")]
    created_subgroups = ensure_subgroups(mandate, seats, facilitators)
    return DemoAssembly(assembly, seats, users, created_users, added, mandate, created_subgroups)


def ensure_users(people: list[Person], password: str) -> tuple[dict[str, User], int]:
    """Create the missing accounts in bulk; existing ones are left as they are."""
    emails = [p.email for p in people]
    existing = {u.email: u for u in User.objects.filter(email__in=emails)}
    # One hash for all: hashing 226 passwords one by one would take a minute.
    password_hash = make_password(password)
    missing = [p.as_user(password_hash) for p in people if p.email not in existing]
    User.objects.bulk_create(missing)
    existing.update({u.email: u for u in missing})
    return existing, len(missing)

def ensure_memberships(
    seats: list[Seat], titulaires: list[User], substitutes: list[User]
) -> int:
    """Seat each demo person once, through the action, unless they were seated before."""
    assembly_memberships = Membership.objects.filter(seat__in=seats)
    ever_seated = set(assembly_memberships.values_list("user_id", flat=True))
    open_memberships = assembly_memberships.open()
    held_seats = set(
        open_memberships.filter(kind=MembershipKind.TITULAIRE).values_list("seat_id", flat=True)
    )
    first_ranks = set(
        open_memberships.filter(kind=MembershipKind.REMPLACANT, substitute_rank=1).values_list(
            "seat_id", flat=True
        )
    )
    added = 0
    for seat, titulaire, substitute in zip(seats, titulaires, substitutes, strict=True):
        if titulaire.pk not in ever_seated and seat.pk not in held_seats:
            actions.do_add_membership(
                None,
                user=titulaire,
                seat=seat,
                kind=MembershipKind.TITULAIRE,
                start=MANDATE_START,
            )
            added += 1
        if substitute.pk not in ever_seated and seat.pk not in first_ranks:
            actions.do_add_membership(
                None,
                user=substitute,
                seat=seat,
                kind=MembershipKind.REMPLACANT,
                substitute_rank=1,
                start=MANDATE_START,
            )
            added += 1
    return added

def ensure_seat_stories(seats: list[Seat], users: dict[str, User]) -> None:
    """Two stories of the seats page (docs/assembly.md): a past replacement (membre108
    resigned, remplacant108 accepted the seat) and a pending offer (membre107 became an
    agent of the département: démission d'office, the seat waits for remplacant107's
    answer). Once only: nothing is done when the assembly has offers already."""
    if SeatOffer.objects.filter(seat__in=seats).exists():
        return
    resigned, successor = users["membre108@example.org"], users["remplacant108@example.org"]
    membership = Membership.objects.open().filter(user=resigned).first()
    if membership is not None and membership.kind == MembershipKind.TITULAIRE:
        offer = actions.do_resign(
            resigned, confirmed=True,
            note="Je pars m'occuper d'un parent malade, je n'aurai plus le temps.",
        )
        if offer is not None and offer.user_id == successor.pk:
            actions.do_accept_seat_offer(successor, offer)
    incompatible = users["membre107@example.org"]
    if Membership.objects.open().filter(user=incompatible).exists():
        actions.do_update_eligibility(None, incompatible, is_department_agent=True)


def ensure_subgroups(
    mandate: Mandate, seats: list[Seat], facilitators: list[User]
) -> int:
    """Six subgroups of 18, each with women and men of both age bands from many cantons."""
    seats = sorted(seats, key=lambda seat: (seat.category, seat.canton.code))
    seated = dict(
        Membership.objects.current()
        .filter(seat__in=seats, kind=MembershipKind.TITULAIRE)
        .values_list("seat_id", "user")
    )
    users = User.objects.in_bulk(list(seated.values()))
    created = 0
    for index, (name, description) in enumerate(SUBGROUPS):
        if Subgroup.objects.filter(mandate=mandate, name=name).exists():
            continue
        members = [
            users[seated[seat.pk]]
            for seat in seats[index :: len(SUBGROUPS)]
            if seat.pk in seated
        ]
        actions.do_create_subgroup(
            None,
            mandate=mandate,
            name=name,
            description=description,
            members=members,
            facilitators=[facilitators[index // SUBGROUPS_PER_FACILITATOR]],
        )
        created += 1
    return created


PLACE = "Hôtel du Département, 1 boulevard de la Marquette, 31090 Toulouse"


def ensure_sessions(mandate: Mandate) -> int:
    """A past and an upcoming plenary (the upcoming one also online) and an online session
    per subgroup, dated from the first run (idempotent: by title). Written directly, without
    convocations: the demo sends no emails."""
    from assembly.models import Session, SessionKind

    now = timezone.localtime()
    day = now.replace(hour=9, minute=30, second=0, microsecond=0)
    facilitators = list(User.objects.filter(email__startswith="facilitateur").order_by("email"))
    planned: list[dict[str, Any]] = [
        {"title": "Plénière d'ouverture", "kind": SessionKind.PLENIERE,
         "starts_at": day - dt.timedelta(days=30), "hours": 7, "place": PLACE, "online": False,
         "agenda": "Accueil et présentation de la saisine\nRèglement intérieur\n"
                   "Constitution des sous-groupes"},
        {"title": "Deuxième plénière", "kind": SessionKind.PLENIERE,
         "starts_at": day + dt.timedelta(days=12), "hours": 7, "place": PLACE, "online": True,
         "agenda": "Restitution des sous-groupes\nAudition des services du Département\n"
                   "Vote sur les premières orientations"},
    ]
    for n, subgroup in enumerate(mandate.subgroups.order_by("name")):
        planned.append({
            "title": f"Sous-groupe « {subgroup.name} » — séance en visio",
            "kind": SessionKind.SOUS_GROUPE, "subgroup": subgroup,
            "starts_at": (day + dt.timedelta(days=3 + n % 3)).replace(hour=18, minute=0),
            "hours": 2, "place": "", "online": True,
            "agenda": "Tour de table\nAvancement de la proposition\nProchaines étapes",
        })
    created = 0
    for item in planned:
        if Session.objects.filter(assembly=mandate.assembly, title=item["title"]).exists():
            continue
        hours = item.pop("hours")
        session = Session.objects.create(
            assembly=mandate.assembly, mandate=mandate,
            ends_at=item["starts_at"] + dt.timedelta(hours=hours), **item,
        )
        if facilitators and item["kind"] == SessionKind.PLENIERE:
            session.facilitators.set(facilitators[:2])
        created += 1
    return created
