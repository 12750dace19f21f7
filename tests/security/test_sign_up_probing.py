"""Sign-up says when an email is taken (see docs/security.md); probing it is rate-limited."""

from ..factories import make_user


def test_probing_for_taken_emails_spends_the_sign_up_budget(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, REGISTER_IP_RATE_LIMIT="2 per hour")
    make_user("mia")  # mia@example.com
    client = app.test_client()
    probes = [client.post("/api/v1/users", json={
        "username": f"probe{n}", "email": email, "password": "a long passphrase"})
        for n, email in enumerate(["mia@example.com", "nobody@example.com", "ceo@example.com"])]
    assert [p.status_code for p in probes[:1]] == [409]
    assert probes[1].status_code == 201
    # The third try from the address is refused before anything is looked up.
    assert probes[2].status_code == 429
    assert "email" not in probes[2].get_json()["error"].get("fields", {})
