"""Create (or promote) an admin: `python -m users.admin --email E --password P`.

Idempotent: an existing account with that email is made admin and keeps its password.
"""
from __future__ import annotations

import argparse
import sys

from polystatus.errors import ServiceError


def ensure_admin(app, email: str, password: str) -> str:
    from polystatus.redis_store import get_redis

    from .accounts import service, storage
    from .accounts.views import create_account

    with app.test_request_context():
        r = get_redis()
        email = service.normalise_email(email)
        user_id = storage.id_for_email(r, email)
        if user_id:
            if storage.get(r, user_id)["role"] != "admin":
                storage.update(r, user_id, {"role": "admin"}, event=("user.role_changed", {
                    "user_id": user_id, "email": email, "old_role": "?", "new_role": "admin", "by": "cli"}))
                return "promoted"
            return "exists"
        create_account(email, password, "Administrator", "admin")
        return "created"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    from .app import create_app

    try:
        outcome = ensure_admin(create_app(), args.email, args.password)
    except ServiceError as exc:
        print(f"cannot create the admin: {exc.message} {exc.details or ''}", file=sys.stderr)
        return 1
    print(f"admin {args.email}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
