from flask import current_app


def test_every_api_route_is_in_the_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule
            for part in rule.arguments:
                path = path.replace(f"<int:{part}>", f"{{{part}}}").replace(f"<{part}>", f"{{{part}}}")
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_schemas_resolve(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    text = str(doc)
    for name in {ref.split("/")[-1] for ref in __import__("re").findall(r"#/components/schemas/\w+", text)}:
        assert name in schemas
