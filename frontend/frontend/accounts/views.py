"""The account pages and the pages emailed links open (sign-up, password reset, the account,
email subscriptions, unsubscribe, acknowledge): the same page shell as the status page, drawn
by their own scripts (static/js/signup.js, reset.js, account.js, subscribe.js)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response

from ..page.views import HTML, shell

bp = APIBlueprint("accounts", __name__, tag="Account pages")


def private(page: str) -> Response:
    """These pages read secrets from their URL (a token in the fragment, a signed query): no
    cache keeps them, and no Referer carries their address elsewhere."""
    response = shell(page)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/signup")
@bp.doc(summary="Create an account", responses=HTML)
def signup_page():
    return private("signup")


@bp.get("/signup/confirm")
@bp.doc(summary="Confirm an account from the emailed link", responses=HTML)
def signup_confirm_page():
    return private("signup-confirm")


@bp.get("/reset")
@bp.doc(summary="Forgotten password: ask for a link, or choose a new password from it", responses=HTML)
def reset_page():
    return private("reset")


@bp.get("/account")
@bp.doc(summary="My account: profile, follows, subscriptions, password, sessions, deletion", responses=HTML)
def account_page():
    return private("account")


@bp.get("/subscribe")
@bp.doc(summary="Subscribe to updates by email, without an account", responses=HTML)
def subscribe_page():
    return private("subscribe")


@bp.get("/subscribe/confirm")
@bp.doc(summary="Confirm an email subscription from the emailed link", responses=HTML)
def subscribe_confirm_page():
    return private("subscribe-confirm")


@bp.get("/unsubscribe")
@bp.doc(summary="Unsubscribe from the link in an email", responses=HTML)
def unsubscribe_page():
    return private("unsubscribe")


@bp.get("/ack")
@bp.doc(summary="Acknowledge an alert from the link in a message", responses=HTML)
def ack_page():
    return private("ack")
