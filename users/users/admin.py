"""Create (or promote) an admin: `python -m users.admin --email E --password P`.

Idempotent: an existing account with that email is made admin and keeps its password.
"""
from __future__ import annotations

import argparse
import sys

from polystatus.errors import ServiceError


def ensure_admin(app, email: str, password: str) -> str:
    from .accounts import flows

    return flows.ensure_admin(app.extensions["redis"], clock=app.config["CLOCK"], email=email, password=password)


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
