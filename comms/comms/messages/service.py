"""What the account emails say, in English and French. Pure functions.

Each mail carries one link, to the public status page; nothing else in it comes from the
person who asked, so a sign-up form cannot be used to send someone arbitrary text.
"""
from __future__ import annotations

from html import escape

LANGS = ("en", "fr")

TEMPLATES = {
    "confirm_signup": {
        "en": ("Confirm your PolyStatus account",
               "Someone (we hope you) signed up on the status page with this address.\n"
               "Confirm your account within 24 hours:", "Confirm my account",
               "If it was not you, ignore this mail: no account is created without this link."),
        "fr": ("Confirmez votre compte PolyStatus",
               "Quelqu'un (vous, espérons-le) a créé un compte sur la page de statut avec cette adresse.\n"
               "Confirmez votre compte dans les 24 heures :", "Confirmer mon compte",
               "Si ce n'était pas vous, ignorez ce message : aucun compte n'est créé sans ce lien."),
    },
    "account_exists": {
        "en": ("Your PolyStatus account",
               "Someone tried to sign up with this address, but it already has an account.\n"
               "Sign in, or choose a new password if you forgot it:", "Choose a new password",
               "If it was not you, ignore this mail: nothing has changed."),
        "fr": ("Votre compte PolyStatus",
               "Quelqu'un a voulu créer un compte avec cette adresse, mais elle en a déjà un.\n"
               "Connectez-vous, ou choisissez un nouveau mot de passe si vous l'avez oublié :",
               "Choisir un nouveau mot de passe",
               "Si ce n'était pas vous, ignorez ce message : rien n'a changé."),
    },
    "reset_password": {
        "en": ("Choose a new PolyStatus password",
               "Someone (we hope you) asked to reset the password of your account.\n"
               "Choose a new one within 30 minutes (the link works once):", "Choose a new password",
               "If it was not you, ignore this mail: your password stays as it is."),
        "fr": ("Choisissez un nouveau mot de passe PolyStatus",
               "Quelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte.\n"
               "Choisissez-en un nouveau dans les 30 minutes (le lien ne sert qu'une fois) :",
               "Choisir un nouveau mot de passe",
               "Si ce n'était pas vous, ignorez ce message : votre mot de passe ne change pas."),
    },
    "reset_no_account": {
        "en": ("PolyStatus password reset",
               "Someone asked to reset the password of an account with this address, but there is none.\n"
               "You can create one:", "Sign up", "If it was not you, ignore this mail."),
        "fr": ("Réinitialisation du mot de passe PolyStatus",
               "Quelqu'un a demandé à réinitialiser le mot de passe d'un compte avec cette adresse, mais il n'y en a pas.\n"
               "Vous pouvez en créer un :", "Créer un compte", "Si ce n'était pas vous, ignorez ce message."),
    },
    "confirm_subscription": {
        "en": ("Confirm your subscription to status updates",
               "Someone (we hope you) asked to receive status updates at this address.\n"
               "Confirm within 24 hours:", "Confirm my subscription",
               "If it was not you, ignore this mail: you will receive nothing more."),
        "fr": ("Confirmez votre abonnement aux mises à jour de statut",
               "Quelqu'un (vous, espérons-le) a demandé à recevoir les mises à jour de statut à cette adresse.\n"
               "Confirmez dans les 24 heures :", "Confirmer mon abonnement",
               "Si ce n'était pas vous, ignorez ce message : vous ne recevrez rien d'autre."),
    },
}


def render(template: str, lang: str, link: str) -> dict:
    subject, intro, action, outro = TEMPLATES[template][lang if lang in LANGS else "en"]
    text = f"{intro}\n\n{link}\n\n{outro}\n"
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in intro.split("\n"))
    html = (f"{paragraphs}<p><a href=\"{escape(link)}\" style=\"display:inline-block;padding:10px 16px;"
            f"background:#1f6feb;color:#fff;border-radius:6px;text-decoration:none\">{escape(action)}</a></p>"
            f"<p style=\"color:#555;font-size:13px\">{escape(link)}</p><p style=\"color:#555\">{escape(outro)}</p>")
    return {"subject": subject, "text": text, "html": html}
