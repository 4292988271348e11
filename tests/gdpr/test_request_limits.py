"""Art. 12(5): a person's requests repeated to excess are refused, clearly and in French."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.roles import Role
from gdpr.access_copy import do_request_access_copy
from gdpr.models import AccessCopy, CopyStatus, DataRequest, RequestKind
from gdpr.rights import do_submit_request
from tests import factories

pytestmark = pytest.mark.django_db


def test_copies_of_ones_data_are_capped_per_day(member: User, settings: Any) -> None:
    settings.GDPR_COPIES_PER_DAY = 2
    for _ in range(2):
        copy = do_request_access_copy(member)
        # Finished (the worker would build it): the next request is a new copy.
        AccessCopy.objects.filter(pk=copy.pk).update(status=CopyStatus.READY)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        do_request_access_copy(member)
    assert "aujourd'hui" in refused.value.messages[0]
    assert AccessCopy.objects.filter(user=member).count() == 2


def test_the_copy_page_explains_the_refusal(member: User, settings: Any) -> None:
    settings.GDPR_COPIES_PER_DAY = 1
    client = Client()
    client.force_login(member)
    do_request_access_copy(member)
    AccessCopy.objects.filter(user=member).update(status=CopyStatus.READY)
    response = client.post("/mes-donnees/copies/", follow=True)
    assert response.status_code == 200
    assert "demain" in response.content.decode()
    assert AccessCopy.objects.filter(user=member).count() == 1


def test_staff_preparing_copies_on_someones_behalf_are_not_capped(settings: Any) -> None:
    settings.GDPR_COPIES_PER_DAY = 1
    assembly = factories.make_assembly()
    person = factories.make_titulaire(assembly)
    dpd = factories.UserFactory(roles=[Role.DPD])
    for _ in range(3):
        copy = do_request_access_copy(dpd, person=person)
        AccessCopy.objects.filter(pk=copy.pk).update(status=CopyStatus.READY)
    assert AccessCopy.objects.filter(user=person).count() == 3


def test_requests_are_capped_per_day(member: User, settings: Any) -> None:
    settings.GDPR_REQUESTS_PER_DAY = 3
    for i in range(3):
        do_submit_request(member, kind=RequestKind.RECTIFICATION, details=f"Mon nom, n°{i}")
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        do_submit_request(member, kind=RequestKind.RECTIFICATION, details="Encore")
    assert "aujourd'hui" in str(refused.value)
    assert DataRequest.objects.filter(user=member).count() == 3
