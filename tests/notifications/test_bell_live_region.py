"""The bell's live region: polite, and with the French summary inbox.js says when several
notifications arrive within a few seconds (docs/accessibility.md)."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_bell_speaks_politely_and_carries_its_summary_sentence(member_client: Client) -> None:
    body = member_client.get("/").content.decode()
    region = re.search(r"<span[^>]*data-inbox-status[^>]*>", body)
    assert region is not None
    tag = region.group(0)
    assert 'aria-live="polite"' in tag and 'aria-atomic="true"' in tag
    assert 'data-many="{count} nouvelles notifications"' in tag
