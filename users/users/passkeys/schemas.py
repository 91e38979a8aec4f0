"""Passkeys: the browser's WebAuthn JSON (``PublicKeyCredential.toJSON()``) in, with each field's
kind and limit, and the stored passkeys out.

Binary values travel as base64url (RFC 4648 section 5, no padding), as WebAuthn Level 3's JSON
forms have them. Fields a newer browser adds beside the ones below are dropped, not refused
(``unknown = EXCLUDE``): the library reads only these."""
from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from marshmallow import EXCLUDE, post_load
from polystatus.text import Line, Name, NestedText, Pattern

from ..auth.schemas import SESSION


def Base64url(max_chars: int, **kwargs) -> String:  # noqa: N802 (a field type, named as the others)
    return String(validate=[Length(min=1, max=max_chars), Pattern(r"^[A-Za-z0-9_-]+={0,2}$")],
                  metadata={"format": "base64url"}, **kwargs)


ID_CHARS = 1366  # a credential id is at most 1023 bytes (WebAuthn section 5.8.3)
CLIENT_DATA_CHARS = 8_192
ATTESTATION_CHARS = 65_536  # "none" attestation is a few hundred bytes; certificates make it longer
TRANSPORT = Line(validate=Length(min=1, max=32))


class _Json(Schema):
    class Meta:
        unknown = EXCLUDE

    # The JSON names WebAuthn gives them, which the library reads (snake_case attributes here).
    @post_load
    def as_webauthn_json(self, data, **kwargs):
        return {self.fields[name].data_key or name: value for name, value in data.items()}


class AttestationResponseIn(_Json):
    client_data_json = Base64url(CLIENT_DATA_CHARS, required=True, data_key="clientDataJSON")
    attestation_object = Base64url(ATTESTATION_CHARS, required=True, data_key="attestationObject")
    transports = List(TRANSPORT, validate=Length(max=10))


class AssertionResponseIn(_Json):
    client_data_json = Base64url(CLIENT_DATA_CHARS, required=True, data_key="clientDataJSON")
    authenticator_data = Base64url(CLIENT_DATA_CHARS, required=True, data_key="authenticatorData")
    signature = Base64url(1_024, required=True)
    user_handle = Base64url(128, allow_none=True, data_key="userHandle")


class _CredentialIn(_Json):
    id = Base64url(ID_CHARS, required=True)
    raw_id = Base64url(ID_CHARS, required=True, data_key="rawId")
    type = String(required=True, validate=OneOf(["public-key"]))
    authenticator_attachment = String(allow_none=True, validate=OneOf(["platform", "cross-platform"]),
                                      data_key="authenticatorAttachment")
    client_extension_results = Dict(load_default=dict, validate=NestedText(), data_key="clientExtensionResults")


class RegistrationCredentialIn(_CredentialIn):
    response = Nested(AttestationResponseIn, required=True)


class AuthenticationCredentialIn(_CredentialIn):
    response = Nested(AssertionResponseIn, required=True)


class RegisterIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=64),
                metadata={"description": "what the person calls this passkey (\"work laptop\")"})
    credential = Nested(RegistrationCredentialIn, required=True,
                        metadata={"description": "navigator.credentials.create()'s answer, as toJSON() gives it"})


class LoginIn(Schema):
    credential = Nested(AuthenticationCredentialIn, required=True,
                        metadata={"description": "navigator.credentials.get()'s answer, as toJSON() gives it"})
    session = String(load_default="body", validate=SESSION)


class OptionsOut(Schema):
    """PublicKeyCredentialCreationOptions or ...RequestOptions in their JSON form (WebAuthn Level 3
    section 5.1.7), for ``PublicKeyCredential.parseCreationOptionsFromJSON`` and its sibling."""

    class Meta:
        unknown = EXCLUDE

    publicKey = Dict(metadata={"description": "the options"})  # noqa: N815 (the name WebAuthn gives it)


class PasskeyOut(Schema):
    id = String(metadata={"description": "the credential id (base64url)"})
    name = String()
    created_at = String(metadata={"format": "date-time"})
    last_used_at = String(allow_none=True, metadata={"format": "date-time"})
    transports = List(String())
    backed_up = Boolean(metadata={"description": "synced to the person's other devices (a cloud keychain)"})


class PasskeyAddedOut(PasskeyOut):
    """The passkey just added (its own name in the document: apispec would otherwise meet
    PasskeyOut twice, here and nested in the list, and name the second PasskeyOut1)."""


class PasskeyInfoOut(Schema):
    enabled = Boolean(metadata={"description": "whether this site offers passkeys (WEBAUTHN_RP_ID)"})
    origins = List(String(), metadata={"description": "the origins passkeys work on (WEBAUTHN_ORIGINS): a page "
                                                      "served elsewhere offers none, as the browser would refuse"})


class PasskeyListOut(PasskeyInfoOut):
    passkeys = List(Nested(PasskeyOut))
    limit = Integer()
