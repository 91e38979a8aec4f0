"""Demo accounts: `python -m users.demo` (idempotent). bob is staff, carol is a user."""
from __future__ import annotations

import sys

from polystatus.errors import Conflict

DEMO_PASSWORD = "polystatus-demo-2026"  # noqa: S105 (demo accounts only, printed by the launcher)
DEMO = [("bob@example.com", "Bob (staff)", "staff"), ("carol@example.com", "Carol", "user")]


def main() -> int:
    from .accounts.views import create_account
    from .app import create_app

    app = create_app()
    created = []
    with app.test_request_context():
        for email, name, role in DEMO:
            try:
                create_account(email, DEMO_PASSWORD, name, role)
                created.append(email)
            except Conflict:
                pass
    print(f"demo accounts {', '.join(e for e, *_ in DEMO)} (password {DEMO_PASSWORD}); new: {len(created)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
