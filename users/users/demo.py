"""Demo accounts: `python -m users.demo` (idempotent). bob is staff, carol is a user."""
from __future__ import annotations

import sys

from polystatus.errors import Conflict

DEMO_PASSWORD = "polystatus-demo-2026"  # noqa: S105 (demo accounts only, printed by the launcher)
DEMO = [("bob@example.com", "Bob (staff)", "staff"), ("carol@example.com", "Carol", "user")]


def main() -> int:
    from .accounts import flows
    from .app import create_app

    app = create_app()
    created = []
    for email, name, role in DEMO:
        try:
            flows.create_account(app.extensions["redis"], clock=app.config["CLOCK"], email=email,
                                 password=DEMO_PASSWORD, display_name=name, role=role)
            created.append(email)
        except Conflict:
            pass
    print(f"demo accounts {', '.join(e for e, *_ in DEMO)} (password {DEMO_PASSWORD}); new: {len(created)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
