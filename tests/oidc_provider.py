"""A small OpenID Connect provider on 127.0.0.1, run on a thread of the test process.

It serves discovery, its JWKS, /authorize (approving `user` at once, as if they had just
logged in there) and /token (the code exchange, checking the client secret and the PKCE
verifier, answering with an RS256 ID token). `token_changes` alters the claims of the ID
tokens it issues next, to play a provider that is wrong or hostile (issuer, audience,
nonce, expiry).
"""

import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "community-tests"
CLIENT_SECRET = "provider-side-secret"


class OidcProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig",
                                                         "alg": "RS256"})
        self.user = {"sub": "acme-0001", "email": "carol@example.com", "email_verified": True,
                     "preferred_username": "carol", "name": "Carol Customer"}
        self.token_changes: dict = {}
        self.codes: dict[str, dict] = {}
        self.server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "OidcProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def setting(self, name: str = "acme", title: str = "Acme ID") -> dict:
        """This provider as an entry of OIDC_PROVIDERS."""
        return {"name": name, "title": title, "issuer": self.issuer, "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET}

    def _app(self) -> Flask:
        app = Flask("test_oidc_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():
            args = request.args
            if (args.get("client_id") != CLIENT_ID or args.get("response_type") != "code"
                    or "openid" not in args.get("scope", "").split()
                    or args.get("code_challenge_method") != "S256"
                    or not args.get("code_challenge") or not args.get("redirect_uri")):
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": args.get("nonce"), "redirect_uri": args["redirect_uri"],
                                "challenge": args["code_challenge"], "user": dict(self.user)}
            query = urlencode({"code": code, "state": args.get("state", "")})
            return redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/token")
        def token():
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_client"), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if (request.form.get("grant_type") != "authorization_code" or grant is None
                    or grant["redirect_uri"] != request.form.get("redirect_uri")
                    or grant["challenge"] != challenge):
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], **grant["user"]} | self.token_changes
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer",
                           expires_in=300, id_token=id_token)

        return app
