"""seed_demo opens one majority-judgment vote in the plenary, linked from the members' home."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from decisions.demo import DEMO_PROPOSAL
from decisions.models import Vote, VoteStatus
from gdpr.models import ConsentDecision, ConsentRecord, PolicyText, TextKind


@pytest.mark.django_db
def test_the_demo_opens_a_majority_judgment_vote_a_member_reaches_from_home(
    settings: Any,
) -> None:
    settings.AGORA_DEMO = True
    call_command("seed_demo", stdout=io.StringIO())
    vote = Vote.objects.get()
    assert (vote.method, vote.status, vote.proposal.title) == (
        "jugement",
        VoteStatus.OPEN,
        DEMO_PROPOSAL,
    )
    # 107: one seat of the demo waits for its substitute's answer (assembly.demo).
    assert vote.proposal.status == "soumise" and vote.eligible_count == 107
    member = User.objects.get(email="membre001@example.org")
    for kind, decision in (
        (TextKind.NOTICE, ConsentDecision.READ),
        (TextKind.CHARTER, ConsentDecision.ACCEPTED),
    ):
        text = PolicyText.current(kind)
        if text is not None:  # as after the first login's welcome page
            ConsentRecord.objects.create(user=member, text=text, decision=decision)
    client = Client()
    assert client.login(email="membre001@example.org", password="agora-demo")
    home = client.get("/").content.decode()
    assert f'href="/decisions/votes/{vote.pk}/"' in home and "Voter :" in home
    page = client.get(f"/decisions/votes/{vote.pk}/").content.decode()
    assert page.count('type="radio"') == 12  # two options, six grades each
    call_command("seed_demo", stdout=io.StringIO())
    assert Vote.objects.count() == 1
