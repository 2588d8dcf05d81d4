"""Forged access tokens: what an attacker holding one genuine token (and, for the claim checks, a test
holding the signing key) can make of it.

``forged_tokens(genuine, key)`` returns ``{case: token}``; every case changes exactly one property of the
genuine token, so a test that sees the genuine token accepted and each case refused knows which check
refused it. ``EXPIRED_CASES`` are the ones a server should call expired rather than invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

#: The names of the forgeries, in order (for ``pytest.mark.parametrize``).
CASES = (
    "alg_none", "alg_none_capitalised", "alg_none_keeping_the_signature", "rs256_attacker_key",
    "hs512_right_key", "hs384_right_key", "hs256_other_key", "hs256_empty_key", "expired", "expired_long_ago",
    "wrong_audience", "audience_list_without_ours", "wrong_issuer", "no_exp", "no_aud", "no_iss", "no_sid",
    "no_sub", "no_jti", "sub_not_a_uuid", "payload_other_user_old_signature",
    "payload_later_expiry_old_signature", "signature_stripped", "signature_of_another_token", "garbage",
)
#: Cases refused as expired (``auth.token_expired``); all others are refused as invalid.
EXPIRED_CASES = frozenset({"expired", "expired_long_ago"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(data: dict) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


def claims_of(token: str) -> dict:
    """The payload of ``token``, read without checking anything (as an attacker reads it)."""
    return jwt.decode(token, options={"verify_signature": False})


_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p**0.5) + 1, 2))]


def _is_probable_prime(n: int) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):  # Miller-Rabin
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _is_probable_prime(candidate):
            return candidate


@lru_cache(maxsize=1)
def _attacker_rsa_key() -> tuple[int, int, int]:
    """A fresh RSA key (n, e, d) of the attacker's own, made without the ``cryptography`` package; 1024
    bits keep that under a second, and the server must refuse RS256 whatever the key size."""
    e = 65537
    while True:
        p, q = _prime(512), _prime(512)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            return p * q, e, pow(e, -1, phi)


def hmac_signed(claims: dict, key: str, algorithm: str = "HS256") -> str:
    """An HS256/384/512 token signed by hand, so no library refuses an empty or short key."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[algorithm]
    signing_input = f"{_segment({'alg': algorithm, 'typ': 'JWT'})}.{_segment(claims)}"
    return f"{signing_input}.{b64url(hmac.new(key.encode(), signing_input.encode(), digest).digest())}"


def rs256(claims: dict, header: dict | None = None) -> str:
    """A genuinely RS256-signed token (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2) under the
    attacker's own key: valid for anyone who would trust whatever key the token names."""
    n, e, d = _attacker_rsa_key()
    signing_input = f"{_segment(header or {'alg': 'RS256', 'typ': 'JWT'})}.{_segment(claims)}"
    sha256_prefix = bytes.fromhex("3031300d060960864801650304020105000420")  # DER DigestInfo header of SHA-256
    digest_info = sha256_prefix + hashlib.sha256(signing_input.encode()).digest()
    size = (n.bit_length() + 7) // 8
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    signature = pow(int.from_bytes(encoded, "big"), d, n)
    assert pow(signature, e, n) == int.from_bytes(encoded, "big")
    return f"{signing_input}.{b64url(signature.to_bytes(size, 'big'))}"


def forged_tokens(genuine: str, key: str) -> dict[str, str]:
    """Every forgery of ``genuine`` the server must refuse; ``key`` is the server's HS256 key, used only
    for the cases that prove a claim check (expiry, audience, issuer, required claims) rather than the
    signature check."""
    good = claims_of(genuine)
    now = datetime.now(UTC)
    header, payload, signature = genuine.split(".")

    def signed(algorithm: str = "HS256", signing_key: str = key, **changes: object) -> str:
        claims = {**good, **changes}
        return hmac_signed({k: v for k, v in claims.items() if v is not None}, signing_key, algorithm)

    def unsigned(alg: str, signature_part: str = "") -> str:
        return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(good)}.{signature_part}"

    other_user = str(uuid.uuid4())
    forged = {
        # The algorithm: no signature at all, or one the server never uses.
        "alg_none": unsigned("none"),
        "alg_none_capitalised": unsigned("None"),
        "alg_none_keeping_the_signature": unsigned("none", signature),
        "rs256_attacker_key": rs256(good),
        "hs512_right_key": signed("HS512"),
        "hs384_right_key": signed("HS384"),
        # The key: the right algorithm and claims, signed by someone else.
        "hs256_other_key": signed(signing_key="another-secret-that-is-long-enough-0123456789"),
        "hs256_empty_key": signed(signing_key=""),
        # The claims, correctly signed: each check on its own.
        "expired": signed(iat=int((now - timedelta(minutes=20)).timestamp()),
                          exp=int((now - timedelta(seconds=5)).timestamp())),
        "expired_long_ago": signed(iat=int((now - timedelta(days=2)).timestamp()),
                                   exp=int((now - timedelta(days=1)).timestamp())),
        "wrong_audience": signed(aud="someone-else"),
        "audience_list_without_ours": signed(aud=["someone-else", "another"]),
        "wrong_issuer": signed(iss="someone-else"),
        "no_exp": signed(exp=None),
        "no_aud": signed(aud=None),
        "no_iss": signed(iss=None),
        "no_sid": signed(sid=None),
        "no_sub": signed(sub=None),
        "no_jti": signed(jti=None),
        "sub_not_a_uuid": signed(sub="1 OR 1=1"),
        # The payload changed after signing.
        "payload_other_user_old_signature": f"{header}.{_segment({**good, 'sub': other_user})}.{signature}",
        "payload_later_expiry_old_signature": f"{header}.{_segment({**good, 'exp': good['exp'] + 86400})}.{signature}",
        "signature_stripped": f"{header}.{payload}.",
        "signature_of_another_token": f"{header}.{payload}.{signed(jti='other').split('.')[2]}",
        "garbage": "not.a.token",
    }
    assert tuple(forged) == CASES
    return forged
