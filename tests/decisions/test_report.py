"""The mandate's report (.docx) carries the votes' results and the minority views."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from docx import Document

from decisions.actions import (
    do_cast_ballot,
    do_close_vote,
    do_create_vote,
    do_open_vote,
    do_write_minority_view,
)
from tests.decisions.world import Plenary, make_plenary


@pytest.fixture
def plenary(db: Any) -> Plenary:
    return make_plenary()


def test_the_report_has_the_results_and_the_minority_views(plenary: Plenary) -> None:
    vote = do_open_vote(
        plenary.facilitator,
        do_create_vote(
            plenary.facilitator,
            plenary.mandate,
            "Adoptez-vous « Des minibus pour les hameaux » ?",
            "majorite",
            secret=False,
            proposal=plenary.proposal,
        ),
    )
    codes = {o.code: str(o.pk) for o in vote.options.all()}
    for member, code in zip(
        plenary.members, ["pour", "pour", "pour", "contre", "abstention"], strict=True
    ):
        do_cast_ballot(member, vote, {"choice": codes[code]})
    do_close_vote(plenary.facilitator, vote)
    do_write_minority_view(
        plenary.members[3],
        vote,
        "Le coût des minibus n'est pas chiffré : je ne peux pas l'approuver.",
    )
    judged = do_open_vote(
        plenary.dccu,
        do_create_vote(
            plenary.dccu,
            plenary.mandate,
            "Quel jour pour le marché ?",
            "jugement",
            options=["Mardi", "Samedi"],
        ),
    )
    a, b = (str(pk) for pk in judged.options.order_by("position").values_list("pk", flat=True))
    for member in plenary.members:
        do_cast_ballot(member, judged, {"grades": {a: "bien", b: "passable"}})
    do_close_vote(plenary.dccu, judged)

    client = Client()
    client.force_login(plenary.members[0])
    response = client.get(f"/propositions/rapport/{plenary.mandate.pk}.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    texts = [text for _style, text in paragraphs]
    assert ("Heading 1", "Des minibus pour les hameaux") in paragraphs  # adopted by the vote
    assert ("Heading 1", "Annexe : votes de la plénière et avis minoritaires") in paragraphs
    assert ("Heading 2", "Adoptez-vous « Des minibus pour les hameaux » ?") in paragraphs
    assert any(
        "5 bulletins sur 5 votant·es. Adoptée par un vote de la plénière" in t for t in texts
    )
    assert ("Quote", "Le coût des minibus n'est pas chiffré : je ne peux pas l'approuver.") in (
        paragraphs
    )
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["Pour", "3", "60,0 %"] in rows and ["Contre", "1", "20,0 %"] in rows
    assert ["Option", "Mention majoritaire", "Rang"] in rows
    assert ["Mardi", "Bien", "1"] in rows and ["Samedi", "Passable", "2"] in rows
