"""OpenID Connect providers from OIDC_PROVIDERS, as Authlib Flask clients of this app.

Authlib does the protocol: discovery (`server_metadata_url`), state, nonce and PKCE kept in
the session, the code exchange, and the ID token's signature (the provider's JWKS) and
claims. What this module adds is the configuration and the claims it insists on: the
issuer must be the one configured (in the discovery document and in the token) and the
audience must be this client.
"""

import re
from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs and in user_identity.provider
    title: str  # "Sign in with <title>"
    issuer: str
    client_id: str
    client_secret: str
    scope: str = "openid email profile"

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def parse_providers(raw: object) -> dict[str, Provider]:
    """The providers of the OIDC_PROVIDERS setting, by name; a clear error when it is wrong."""
    if raw in (None, "", []):
        return {}
    if not isinstance(raw, list):
        raise ValueError("OIDC_PROVIDERS must be a JSON list of providers")
    providers: dict[str, Provider] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            raise ValueError("each entry of OIDC_PROVIDERS must be a JSON object")
        missing = [k for k in ("name", "issuer", "client_id", "client_secret") if not entry.get(k)]
        if missing:
            raise ValueError(f"OIDC_PROVIDERS entry lacks {', '.join(missing)}")
        name = str(entry["name"])
        if not NAME_RE.match(name):
            raise ValueError(f"OIDC provider name {name!r}: use a-z, 0-9 and '-' (at most 40)")
        if name in providers:
            raise ValueError(f"OIDC provider {name!r} is listed twice")
        providers[name] = Provider(
            name=name, title=str(entry.get("title") or name), issuer=str(entry["issuer"]),
            client_id=str(entry["client_id"]), client_secret=str(entry["client_secret"]),
            scope=str(entry.get("scope") or Provider.scope))
    return providers


def init_app(app: Flask) -> None:
    """Register one Authlib client per configured provider, on an OAuth registry of this app."""
    providers = parse_providers(app.config.get("OIDC_PROVIDERS"))
    oauth = OAuth(app)
    for provider in providers.values():
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={"scope": provider.scope, "code_challenge_method": "S256"},
        )
    app.extensions["oidc"] = (providers, oauth)


def providers() -> list[Provider]:
    """The configured providers, in the order of the setting."""
    return list(current_app.extensions["oidc"][0].values())


def provider(name: str) -> Provider | None:
    return current_app.extensions["oidc"][0].get(name)


def client(provider: Provider):
    """The Authlib client of `provider` (a FlaskOAuth2App)."""
    return current_app.extensions["oidc"][1].create_client(provider.name)


def claims_options(provider: Provider) -> dict:
    """What the ID token must say beyond Authlib's checks: this issuer, this audience."""
    return {"iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True}}
