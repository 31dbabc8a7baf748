"""GitHub App authentication as GitHub checks it: RS256 app JWTs and installation tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

import jwt

from velocity.testing.github._errors import ApiError

__all__ = ["AppIdentity", "Credential"]

# GitHub refuses app JWTs whose expiry is more than ten minutes ahead (plus some clock drift).
_MAX_JWT_LIFETIME = 600
_DRIFT = 60
_TOKEN_TTL = 3600


@dataclass(frozen=True)
class Credential:
    """Who a request authenticated as: ``"app"`` (JWT) or ``"installation"`` (token)."""

    kind: str
    installation_id: int | None = None


@dataclass
class AppIdentity:
    """The one GitHub App the double knows, its public key and its single installation."""

    app_id: int
    slug: str
    owner: str
    public_key_pem: bytes
    installation_id: int
    tokens: dict[str, float] = field(default_factory=dict)

    def authenticate(self, header: str | None) -> Credential:
        """Check an ``Authorization`` header; raise a 401 ``ApiError`` when it is not valid."""
        if not header:
            raise ApiError(401, "Requires authentication")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.count(".") == 2:
            self._check_jwt(value)
            return Credential("app")
        if scheme.lower() in ("token", "bearer") and self.tokens.get(value, 0) > time.time():
            return Credential("installation", self.installation_id)
        raise ApiError(401, "Bad credentials")

    def _check_jwt(self, token: str) -> None:
        try:
            claims = jwt.decode(
                token,
                self.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
                leeway=_DRIFT,
            )
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"A JSON web token could not be decoded: {exc}") from None
        if str(claims["iss"]) != str(self.app_id):
            raise ApiError(401, "'Issuer' claim ('iss') must be the app id")
        if int(claims["exp"]) > time.time() + _MAX_JWT_LIFETIME + _DRIFT:
            raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")

    def issue_token(self) -> tuple[str, str]:
        """A new installation token and its expiry in GitHub's format."""
        token = "ghs_" + secrets.token_urlsafe(27)
        expires = time.time() + _TOKEN_TTL
        self.tokens[token] = expires
        return token, datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def revoke_all(self) -> None:
        """Expire every installation token (tests of re-authentication use this)."""
        self.tokens.clear()
