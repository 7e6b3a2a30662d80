"""Minimal JOSE: compact JWS signing and verification, JWKs and their thumbprints.

Just what OAuth clients and resource servers of MCP need: ``private_key_jwt``
client assertions, DPoP proofs (RFC 9449), and access-token verification.

* ``HS256/384/512`` work with the standard library alone.
* ``ES256/384/512``, ``RS256/384/512``, ``PS256/384/512`` and ``EdDSA`` need
  the ``cryptography`` package (``pip install mcp-sync[auth]``); it is imported
  on first use, so everything else in :mod:`mcp_sync.client.auth` works without it.

The server side (:mod:`mcp_sync.server.auth`) uses the same helpers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from types import SimpleNamespace
from typing import Any, Mapping

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "JoseError",
    "MissingCryptography",
    "b64url_decode",
    "b64url_encode",
    "decode_unverified",
    "default_alg",
    "generate_private_key",
    "jwk_thumbprint",
    "load_private_key",
    "load_public_key",
    "new_jti",
    "public_jwk",
    "public_key_from_jwk",
    "sign_jwt",
    "verify_jws",
]

#: Algorithms backed by public-key cryptography (what DPoP and private_key_jwt allow).
ASYMMETRIC_ALGORITHMS = (
    "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA",
)
_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_EC_CURVES = {"ES256": ("P-256", 32), "ES384": ("P-384", 48), "ES512": ("P-521", 66)}


class JoseError(ValueError):
    """A token or key that cannot be used (malformed, bad signature, unsupported algorithm)."""


class MissingCryptography(ImportError):
    """The ``cryptography`` package is needed for this algorithm (``pip install mcp-sync[auth]``)."""


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingCryptography(
            "this needs the 'cryptography' package: pip install 'mcp-sync[auth]'") from exc
    return SimpleNamespace(hashes=hashes, serialization=serialization, ec=ec, ed25519=ed25519,
                           padding=padding, rsa=rsa, utils=utils)


# -- encoding ------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    if isinstance(text, str):
        text = text.encode("ascii")
    text = text.strip()
    if b"=" in text or b"+" in text or b"/" in text:
        raise JoseError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise JoseError(f"bad base64url: {exc}") from None


def _json_b64(obj: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":"), sort_keys=False).encode("utf-8"))


def _int_b64(value: int, length: int | None = None) -> str:
    length = length or max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(length, "big"))


def _b64_int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def new_jti() -> str:
    """A fresh, unguessable JWT id."""
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


# -- keys ------------------------------------------------------------------------------------


def generate_private_key(alg: str = "ES256") -> Any:
    """A new private key suited to ``alg`` (EC for ES*, 2048-bit RSA for RS*/PS*, Ed25519 for EdDSA)."""
    c = _crypto()
    if alg in _EC_CURVES:
        curve = {"ES256": c.ec.SECP256R1, "ES384": c.ec.SECP384R1, "ES512": c.ec.SECP521R1}[alg]()
        return c.ec.generate_private_key(curve)
    if alg[:2] in ("RS", "PS"):
        return c.rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return c.ed25519.Ed25519PrivateKey.generate()
    raise JoseError(f"cannot generate a key for {alg!r}")


def load_private_key(key: Any, password: bytes | None = None) -> Any:
    """A private key from PEM text/bytes, a JWK dict (with ``d``) or a key object (returned as is)."""
    if isinstance(key, Mapping):
        return _private_key_from_jwk(key)
    if isinstance(key, (str, bytes)):
        data = key.encode("utf-8") if isinstance(key, str) else key
        c = _crypto()
        try:
            return c.serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise JoseError(f"cannot load the private key: {exc}") from None
    return key


def load_public_key(key: Any) -> Any:
    """A public key from PEM (public key or certificate), a JWK dict, or a key object.

    For a private key object the public half is returned; ``bytes`` that are not
    PEM are returned unchanged (an HMAC secret).
    """
    if isinstance(key, Mapping):
        return public_key_from_jwk(key)
    if isinstance(key, (str, bytes)):
        data = key.encode("utf-8") if isinstance(key, str) else key
        if b"-----BEGIN" not in data:
            return data
        c = _crypto()
        try:
            if b"CERTIFICATE" in data:
                from cryptography import x509

                return x509.load_pem_x509_certificate(data).public_key()
            if b"PRIVATE KEY" in data:
                return c.serialization.load_pem_private_key(data, password=None).public_key()
            return c.serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise JoseError(f"cannot load the public key: {exc}") from None
    if hasattr(key, "public_key") and not _is_public(key):
        return key.public_key()
    return key


def _is_public(key: Any) -> bool:
    c = _crypto()
    return isinstance(key, (c.ec.EllipticCurvePublicKey, c.rsa.RSAPublicKey, c.ed25519.Ed25519PublicKey))


def public_jwk(key: Any) -> dict[str, str]:
    """The public JWK (only the required members) of a private or public key object."""
    c = _crypto()
    if hasattr(key, "public_key") and not _is_public(key):
        key = key.public_key()
    if isinstance(key, c.ec.EllipticCurvePublicKey):
        crv, size = {"secp256r1": ("P-256", 32), "secp384r1": ("P-384", 48), "secp521r1": ("P-521", 66)}[key.curve.name]
        nums = key.public_numbers()
        return {"kty": "EC", "crv": crv, "x": _int_b64(nums.x, size), "y": _int_b64(nums.y, size)}
    if isinstance(key, c.rsa.RSAPublicKey):
        nums = key.public_numbers()
        return {"kty": "RSA", "n": _int_b64(nums.n), "e": _int_b64(nums.e)}
    if isinstance(key, c.ed25519.Ed25519PublicKey):
        raw = key.public_bytes(c.serialization.Encoding.Raw, c.serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    raise JoseError(f"unsupported key type {type(key).__name__}")


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Any:
    """A public key object from a JWK (``oct`` keys give their secret bytes)."""
    kty = jwk.get("kty")
    if kty == "oct":
        return b64url_decode(str(jwk.get("k", "")))
    c = _crypto()
    try:
        if kty == "EC":
            curve = {"P-256": c.ec.SECP256R1, "P-384": c.ec.SECP384R1, "P-521": c.ec.SECP521R1}[jwk["crv"]]()
            return c.ec.EllipticCurvePublicNumbers(_b64_int(jwk["x"]), _b64_int(jwk["y"]), curve).public_key()
        if kty == "RSA":
            return c.rsa.RSAPublicNumbers(_b64_int(jwk["e"]), _b64_int(jwk["n"])).public_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return c.ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise JoseError(f"bad JWK: {exc}") from None
    raise JoseError(f"unsupported JWK (kty={kty!r}, crv={jwk.get('crv')!r})")


def _private_key_from_jwk(jwk: Mapping[str, Any]) -> Any:
    if "d" not in jwk:
        raise JoseError("the JWK has no private part ('d')")
    c = _crypto()
    kty = jwk.get("kty")
    try:
        if kty == "EC":
            public = public_key_from_jwk(jwk)
            return c.ec.EllipticCurvePrivateNumbers(_b64_int(jwk["d"]), public.public_numbers()).private_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return c.ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(jwk["d"]))
        if kty == "RSA":
            pub = c.rsa.RSAPublicNumbers(_b64_int(jwk["e"]), _b64_int(jwk["n"]))
            p, q, d = _b64_int(jwk["p"]), _b64_int(jwk["q"]), _b64_int(jwk["d"])
            return c.rsa.RSAPrivateNumbers(
                p, q, d, _b64_int(jwk["dp"]), _b64_int(jwk["dq"]), _b64_int(jwk["qi"]), pub).private_key()
    except (KeyError, ValueError, TypeError) as exc:
        raise JoseError(f"bad private JWK: {exc}") from None
    raise JoseError(f"unsupported private JWK (kty={kty!r})")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public JWK."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x"),
                "oct": ("k", "kty")}.get(str(jwk.get("kty")))
    if required is None:
        raise JoseError(f"no thumbprint rule for kty={jwk.get('kty')!r}")
    try:
        members = {name: jwk[name] for name in required}
    except KeyError as exc:
        raise JoseError(f"JWK lacks {exc}") from None
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url_encode(hashlib.sha256(canonical).digest())


def default_alg(key: Any) -> str:
    """The natural JWS algorithm for a key object."""
    c = _crypto()
    if hasattr(key, "public_key") and not _is_public(key):
        key = key.public_key()
    if isinstance(key, c.ec.EllipticCurvePublicKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]
    if isinstance(key, c.rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, c.ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise JoseError(f"unsupported key type {type(key).__name__}")


# -- signing -----------------------------------------------------------------------------


def _hash_for(alg: str, c: Any) -> Any:
    bits = alg[2:]
    return {"256": c.hashes.SHA256, "384": c.hashes.SHA384, "512": c.hashes.SHA512}[bits]()


def _sign(alg: str, key: Any, data: bytes) -> bytes:
    if alg in _HMAC:
        if not isinstance(key, (bytes, bytearray)):
            raise JoseError(f"{alg} needs a shared secret (bytes)")
        return hmac.new(bytes(key), data, _HMAC[alg]).digest()
    c = _crypto()
    key = load_private_key(key)
    if alg in _EC_CURVES:
        if not isinstance(key, c.ec.EllipticCurvePrivateKey):
            raise JoseError(f"{alg} needs an EC private key")
        der = key.sign(data, c.ec.ECDSA(_hash_for(alg, c)))
        r, s = c.utils.decode_dss_signature(der)
        size = _EC_CURVES[alg][1]
        signature: bytes = r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return signature
    if alg[:2] in ("RS", "PS") and alg[2:] in ("256", "384", "512"):
        if not isinstance(key, c.rsa.RSAPrivateKey):
            raise JoseError(f"{alg} needs an RSA private key")
        if alg.startswith("RS"):
            pad = c.padding.PKCS1v15()
        else:
            pad = c.padding.PSS(mgf=c.padding.MGF1(_hash_for(alg, c)), salt_length=_hash_for(alg, c).digest_size)
        rsa_signature: bytes = key.sign(data, pad, _hash_for(alg, c))
        return rsa_signature
    if alg == "EdDSA":
        if not isinstance(key, c.ed25519.Ed25519PrivateKey):
            raise JoseError("EdDSA needs an Ed25519 private key")
        ed_signature: bytes = key.sign(data)
        return ed_signature
    raise JoseError(f"unsupported JWS algorithm {alg!r}")


def _verify(alg: str, key: Any, data: bytes, signature: bytes) -> bool:
    if alg in _HMAC:
        if not isinstance(key, (bytes, bytearray)):
            return False
        return hmac.compare_digest(hmac.new(bytes(key), data, _HMAC[alg]).digest(), signature)
    c = _crypto()
    from cryptography.exceptions import InvalidSignature

    key = load_public_key(key)
    try:
        if alg in _EC_CURVES:
            if not isinstance(key, c.ec.EllipticCurvePublicKey):
                return False
            size = _EC_CURVES[alg][1]
            if len(signature) != 2 * size or key.curve.key_size != {32: 256, 48: 384, 66: 521}[size]:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(c.utils.encode_dss_signature(r, s), data, c.ec.ECDSA(_hash_for(alg, c)))
            return True
        if alg[:2] in ("RS", "PS") and alg[2:] in ("256", "384", "512"):
            if not isinstance(key, c.rsa.RSAPublicKey):
                return False
            if alg.startswith("RS"):
                pad = c.padding.PKCS1v15()
            else:
                pad = c.padding.PSS(mgf=c.padding.MGF1(_hash_for(alg, c)), salt_length=c.padding.PSS.AUTO)
            key.verify(signature, data, pad, _hash_for(alg, c))
            return True
        if alg == "EdDSA":
            if not isinstance(key, c.ed25519.Ed25519PublicKey):
                return False
            key.verify(signature, data)
            return True
    except InvalidSignature:
        return False
    return False


def sign_jwt(payload: Mapping[str, Any], key: Any, alg: str, headers: Mapping[str, Any] | None = None) -> str:
    """A compact JWS of ``payload`` (JSON) signed with ``key`` using ``alg``.

    ``headers`` are merged into the protected header (``alg`` is always set;
    ``typ`` defaults to ``JWT`` unless given).
    """
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if headers:
        header.update(headers)
    header["alg"] = alg
    signing_input = f"{_json_b64(header)}.{_json_b64(payload)}".encode("ascii")
    return signing_input.decode("ascii") + "." + b64url_encode(_sign(alg, key, signing_input))


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a compact JWS, WITHOUT checking the signature."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JoseError("not a compact JWS (three dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError as exc:
        raise JoseError(f"malformed JWT: {exc}") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JoseError("malformed JWT: header and payload must be JSON objects")
    return header, payload


def verify_jws(token: str, key: Any, algorithms: tuple[str, ...] | list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the signature of ``token`` with ``key``; returns (header, payload).

    The header's ``alg`` must be one of ``algorithms`` (``none`` is never accepted).
    Claims are NOT validated here (see :class:`mcp_sync.server.auth.JwtVerifier`).
    """
    header, payload = decode_unverified(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg == "none" or alg not in algorithms:
        raise JoseError(f"algorithm {alg!r} is not allowed")
    signing_input, _, sig = token.rpartition(".")
    if not _verify(alg, key, signing_input.encode("ascii"), b64url_decode(sig)):
        raise JoseError("bad signature")
    return header, payload
