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

from .models import Role

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class RoleMapping:
    """Which role a claim of the ID token gives: `map` from a claim value to a role.

    The claim may be a string or a list of strings (e.g. `groups`); among the values that
    `map` knows, the highest role wins. None of them: `default`, or the role is untouched.
    """

    claim: str
    map: tuple[tuple[str, str], ...]
    default: str | None = None

    def role_for(self, claims: dict) -> str | None:
        value = claims.get(self.claim)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        known = dict(self.map)
        roles = [Role(known[v]) for v in values if isinstance(v, str) and v in known]
        if roles:
            return max(roles, key=lambda r: r.rank).value
        return self.default


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs and in user_identity.provider
    title: str  # "Sign in with <title>"
    issuer: str
    client_id: str
    client_secret: str
    scope: str = "openid email profile"
    roles: RoleMapping | None = None

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
            scope=str(entry.get("scope") or Provider.scope),
            roles=_role_mapping(name, entry.get("roles")))
    return providers


def _role_mapping(name: str, raw: object) -> RoleMapping | None:
    """The provider's optional `roles`: {"claim": "groups", "map": {"value": "role"}, "default"}."""
    if raw in (None, {}):
        return None
    roles = {r.value for r in Role}
    if (not isinstance(raw, dict) or not isinstance(raw.get("claim"), str) or not raw["claim"]
            or not isinstance(raw.get("map"), dict) or not raw["map"]):
        raise ValueError(f"OIDC provider {name!r}: roles must be "
                         '{"claim": "…", "map": {"claim value": "role", …}}')
    wrong = [str(r) for r in [*raw["map"].values(), raw.get("default")]
             if r is not None and r not in roles]
    if wrong:
        raise ValueError(f"OIDC provider {name!r}: unknown role {wrong[0]!r} in roles "
                         f"(one of {', '.join(sorted(roles))})")
    return RoleMapping(claim=raw["claim"], map=tuple((str(k), v) for k, v in raw["map"].items()),
                       default=raw.get("default"))


def init_app(app: Flask) -> None:
    """Register one Authlib client per configured provider, on an OAuth registry of this app."""
    providers = parse_providers(app.config.get("OIDC_PROVIDERS"))
    if app.config.get("OIDC_ONLY") and not providers:
        raise ValueError("OIDC_ONLY is on but OIDC_PROVIDERS lists no provider: nobody could "
                         "sign in")
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
