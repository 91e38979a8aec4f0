"""Passkey rules (WebAuthn, through py_webauthn): the options a browser is given, what a
registration or a sign-in must prove, and what a sign count going backwards means. Pure: plain
data in and out, no I/O.

What is required, and why:

- **User verification** on both ceremonies (a PIN, a fingerprint, a face): a passkey sign-in
  then stands for two factors (something held, something known or been), which is why it asks
  for no TOTP code after it.
- **Discoverable credentials** (resident keys): the sign-in asks no email first (usernameless),
  so the authenticator must know which account its credential is for.
- **No attestation** ("none"): a status page has no list of authenticator makers to trust or
  refuse, and asking for attestation only makes browsers show one more prompt.
- The challenge is 32 random bytes, checked by the library against clientDataJSON, as are the
  origin, the RP id hash, the user presence and verification flags and the signature.
"""
from __future__ import annotations

import json
import secrets

from polystatus.errors import BadRequest, Unauthorized
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

TIMEOUT_MS = 120_000  # the browser's prompt; the challenge lives a little longer (storage.CHALLENGE_TTL_S)
CHALLENGE_BYTES = 32
MAX_PER_ACCOUNT = 20  # more than a person has devices; a bound on what a list and the options carry
TRANSPORTS = {t.value for t in AuthenticatorTransport}


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def _descriptor(passkey: dict) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey["id"]),
        transports=[AuthenticatorTransport(t) for t in passkey.get("transports", []) if t in TRANSPORTS] or None)


def registration_options(*, rp_id: str, rp_name: str, user: dict, existing: list[dict], challenge: bytes) -> dict:
    """PublicKeyCredentialCreationOptions as JSON (base64url bytes), for
    ``PublicKeyCredential.parseCreationOptionsFromJSON``. The user handle is the account's id:
    opaque (a time and random digits, no email), and what a sign-in's assertion gives back."""
    options = generate_registration_options(
        rp_id=rp_id, rp_name=rp_name, user_id=user["id"].encode(), user_name=user["email"],
        user_display_name=user.get("display_name") or user["email"], challenge=challenge, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED),
        # the same authenticator twice would be one device listed under two names
        exclude_credentials=[_descriptor(p) for p in existing])
    return options_to_json_dict(options)


def authentication_options(*, rp_id: str, challenge: bytes) -> dict:
    """PublicKeyCredentialRequestOptions as JSON, with no allowCredentials: the browser offers
    whichever passkeys it holds for this site, and no email is asked first (none is revealed)."""
    options = generate_authentication_options(rp_id=rp_id, challenge=challenge, timeout=TIMEOUT_MS,
                                              user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json_dict(options)


def challenge_of(credential: dict) -> bytes:
    """The challenge the browser signed, read from clientDataJSON to find what the server
    issued (not trusted for anything else: the library checks it again against what is found)."""
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("The passkey's answer is malformed (clientDataJSON).", code="passkey_malformed") from exc
    if not challenge:
        raise BadRequest("The passkey's answer carries no challenge.", code="passkey_malformed")
    return challenge


def verify_registration(*, credential: dict, challenge: bytes, rp_id: str, origins: list[str]) -> dict:
    """What to keep of a verified new credential; Unauthorized when it does not verify."""
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origins,
            require_user_verification=True)
    except (InvalidRegistrationResponse, InvalidJSONStructure) as exc:
        raise Unauthorized(f"The passkey could not be verified: {exc}", code="passkey_invalid") from None
    transports = [t for t in credential.get("response", {}).get("transports") or [] if t in TRANSPORTS]
    return {"id": bytes_to_base64url(verified.credential_id),
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count, "transports": sorted(set(transports)),
            "aaguid": verified.aaguid, "backed_up": verified.credential_backed_up,
            "device_type": verified.credential_device_type.value}


def verify_assertion(*, credential: dict, challenge: bytes, rp_id: str, origins: list[str], passkey: dict) -> int:
    """The authenticator's new sign count once the assertion verifies; Unauthorized otherwise.

    The library is given a stored count of 0, so it never refuses over the count: the rule is
    :func:`sign_count_goes_forward`'s, checked after the signature, so that a clone (a refusal
    worth a distinct code and a log line) is told apart from a forgery."""
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origins,
            credential_public_key=base64url_to_bytes(passkey["public_key"]), credential_current_sign_count=0,
            require_user_verification=True)
    except (InvalidAuthenticationResponse, InvalidJSONStructure) as exc:
        raise Unauthorized(f"The passkey could not be verified: {exc}", code="passkey_invalid") from None
    return verified.new_sign_count


def sign_count_goes_forward(*, stored: int, new: int) -> bool:
    """Whether a sign count is believable (WebAuthn section 6.1.1). Authenticators that keep no
    counter (most synced passkeys) always say 0; one that counts must say more than last time.
    A count that stays or goes back, once non-zero, means two copies of one private key signed:
    the credential was cloned."""
    return (stored == 0 and new == 0) or new > stored


def user_handle_matches(credential: dict, passkey: dict) -> bool:
    """A discoverable credential's assertion names the account it was made for; it must be the
    account the credential is stored under (an absent handle is allowed: the id decided)."""
    handle = (credential.get("response") or {}).get("userHandle")
    if not handle:
        return True
    try:
        return base64url_to_bytes(handle) == passkey["user_id"].encode()
    except (TypeError, ValueError):
        return False


def new_passkey(verified: dict, *, user_id: str, name: str, at: str) -> dict:
    return {**verified, "user_id": user_id, "name": name, "created_at": at, "last_used_at": None}


def public_view(passkey: dict) -> dict:
    """What a list shows: never the public key (not secret, but of no use to a person)."""
    return {key: passkey.get(key) for key in ("id", "name", "created_at", "last_used_at", "transports", "backed_up")}
