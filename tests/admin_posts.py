"""What the admin's forms post, built from an object as a browser sends them."""

from __future__ import annotations

from typing import Any

from accounts.models import User


def user_post(user: User, **changes: Any) -> dict[str, Any]:
    """The person's change form as it stands, with ``changes`` applied."""
    data: dict[str, Any] = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "birth_date": user.birth_date.isoformat() if user.birth_date else "",
        "postal_code": user.postal_code,
        "is_department_agent": user.is_department_agent,
        "holds_elected_office": user.holds_elected_office,
        "is_active": user.is_active,
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "_save": "1",
    }
    data.update(changes)
    # An unticked checkbox is simply absent from a browser's post.
    return {key: value for key, value in data.items() if value is not False}
