"""Demo draws: the follow-up committee drawn among volunteering members, and a public
verification page to show (``seed_demo``). Idempotent: a second run changes nothing."""

from __future__ import annotations

from assembly import draws
from assembly.models import Assembly, Canton, Membership, MembershipKind
from assembly.models_draws import Draw, DrawPurpose, Volunteer

COMMITTEE_TITLE = "Comité de suivi 2026 (démonstration)"
SEED_SOURCE = ("La phrase lue à voix haute par la DCCU en ouverture de la plénière de "
               "mars 2026, avant le tirage.")
SEED = "Les propositions de l'assemblée seront suivies de près"


def ensure_demo_draw(assembly: Assembly) -> int:
    """Draw the committee among 36 volunteering full members (not applied: the DCCU
    applies it from its page). Returns 1 if the draw was created, else 0."""
    if Draw.objects.filter(assembly=assembly, title=COMMITTEE_TITLE).exists():
        return 0
    draw = draws.do_create_draw(None, assembly=assembly, title=COMMITTEE_TITLE,
                                purpose=DrawPurpose.COMITE, panel_size=12)
    members = (Membership.objects.current()
               .filter(seat__assembly=assembly, kind=MembershipKind.TITULAIRE)
               .select_related("seat", "user").order_by("seat__canton__code", "seat__category"))
    cantons = {c.pk: c for c in Canton.objects.all()}
    Volunteer.objects.bulk_create(
        Volunteer(draw=draw, pseudonym=f"CS-{n:03d}", user=m.user, sex=m.seat.category[0],
                  age_band=m.seat.category[1:], canton=cantons[m.seat.canton_id])
        for n, m in enumerate(list(members)[::3], start=1)
    )
    draws.do_announce_seed(None, draw, source=SEED_SOURCE)
    draws.do_freeze_draw(None, draw)
    draws.do_run_draw(None, draw, seed=SEED)
    return 1
