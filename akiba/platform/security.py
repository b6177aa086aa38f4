"""Passwords (argon2id), the deployment's signing key, and access tokens (EdDSA JWTs)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, invalid
from akiba.platform.db import engine_for

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
ISSUER = "akiba"
ALGORITHM = "EdDSA"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists, so timing tells nothing."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, field: str = "password") -> None:
    """At least 8 characters (NIST SP 800-63B) with letters and digits or symbols; long passphrases are welcome."""
    if len(password) < 8:
        raise invalid(field, "must be at least 8 characters long")
    if len(password) > 256:
        raise invalid(field, "must be at most 256 characters long")
    if password.isalpha() or password.isdigit():
        raise invalid(field, "must mix letters with digits or symbols")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SigningKeyPair:
    kid: str
    private_key: Ed25519PrivateKey
    public_jwk: dict[str, Any]


class KeyStore:
    """The deployment's signing keys live in the control schema, so every application node signs alike."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url
        self._active: SigningKeyPair | None = None
        self._public: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def _load(self) -> None:
        from akiba.platform.models import SigningKey

        with Session(engine_for(self.control_url), expire_on_commit=False) as s:
            s.execute(text("SELECT pg_advisory_xact_lock(4243)"))  # nodes starting together make one key
            rows = list(s.scalars(select(SigningKey).order_by(SigningKey.created_at)))
            if not any(r.active for r in rows):
                rows.append(self._create(s))
            s.commit()
        self._public = {r.kid: r.public_jwk for r in rows}
        active = [r for r in rows if r.active][-1]
        key = serialization.load_pem_private_key(active.private_pem, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        self._active = SigningKeyPair(active.kid, key, active.public_jwk)
        self._loaded_at = time.monotonic()

    def _create(self, s: Session) -> Any:
        from akiba.platform.models import SigningKey

        key = Ed25519PrivateKey.generate()
        kid = uuid.uuid4().hex
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=kid, alg=ALGORITHM, use="sig")
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        row = SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk, active=True)
        s.add(row)
        return row

    def _fresh(self) -> None:
        with self._lock:
            if self._active is None or time.monotonic() - self._loaded_at > 300:
                self._load()

    def sign(self, claims: dict[str, Any]) -> str:
        self._fresh()
        assert self._active is not None
        return jwt.encode(claims, self._active.private_key, algorithm=ALGORITHM, headers={"kid": self._active.kid})

    def jwks(self) -> dict[str, Any]:
        self._fresh()
        return {"keys": list(self._public.values())}

    def verify(self, token: str) -> dict[str, Any]:
        self._fresh()
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            jwk = self._public.get(kid or "")
            if jwk is None:
                raise jwt.InvalidTokenError("unknown key")
            key = jwt.PyJWK(jwk).key
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[ALGORITHM], issuer=ISSUER, audience=ISSUER, options={"require": ["exp", "sub"]}
            )
            return claims
        except jwt.PyJWTError:
            raise unauthorized() from None


def unauthorized(detail: str = "missing, expired or invalid access token") -> DomainError:
    return DomainError("unauthorized", detail, status=401, title="Unauthorized")
