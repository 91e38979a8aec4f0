from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length
from polystatus.text import Line, Secret


class TotpStatusOut(Schema):
    enabled = Boolean()
    required = Boolean(metadata={"description": "the account's role must use it (TOTP_REQUIRED_ROLES)"})
    recovery_codes_left = Integer()


class TotpSetupOut(Schema):
    secret = String(metadata={"description": "base32, for typing into an authenticator app"})
    uri = String(metadata={"description": "otpauth:// URI"})
    qr = String(metadata={"description": "the URI as a QR code (SVG data URI)"})


class CodeIn(Schema):
    code = Line(required=True, validate=Length(min=1, max=20))


class RecoveryCodesOut(Schema):
    recovery_codes = List(String(), metadata={"description": "each works once; shown in this answer only"})


class SecondFactorIn(Schema):
    code = Line(validate=Length(min=1, max=20))
    recovery_code = Secret(validate=Length(min=1, max=40))


class LoginSecondStepIn(SecondFactorIn):
    mfa_token = Secret(required=True, validate=Length(min=10, max=200))


class AccountsQuery(Schema):
    user_id = List(Line(validate=Length(min=1, max=64)), required=True, validate=Length(min=1, max=100),
                   metadata={"description": "the accounts asked about (repeat the parameter, up to 100)"})


class AccountTotp(Schema):
    user_id = String()
    enabled = Boolean()
    enabled_at = String(allow_none=True, metadata={"format": "date-time"})


class AccountsOut(Schema):
    accounts = List(Nested(AccountTotp))


class AccountTotpOut(AccountTotp, TotpStatusOut):
    pass
