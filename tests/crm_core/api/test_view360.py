from fastapi.testclient import TestClient

from tests.factories import auth, present_call

BLOCK_ORDER = ["identification", "commercial", "offers", "billing", "alerts", "equipment"]


def _fields(view: dict) -> dict[str, dict]:
    return {f["name"]: f for b in view["blocks"] for f in b["fields"]}


def test_the_full_view_in_the_seeds_order_with_priorities(api: TestClient) -> None:
    r = api.get("/api/customers/1/view360", headers=auth("sup.demo"))
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["customer_id"] == 1 and r.headers["ETag"] == f'"{view["version"]}"'
    assert [b["name"] for b in view["blocks"]] == BLOCK_ORDER
    assert [b["label"] for b in view["blocks"]][0] == "Identification"
    for block in view["blocks"]:
        ranks = [["indispensable", "important", "secondary"].index(f["priority"]) for f in block["fields"]]
        assert ranks == sorted(ranks), block["name"]
    fields = _fields(view)
    assert fields["identity"]["display"] == "Mme Camille Martin"
    assert fields["postal_address"]["value"] == {"address_line": "12 rue des Lilas", "postcode": "69003",
                                                 "city": "Lyon"}
    assert "engagé jusqu'au 01/09/2027" in " ".join(fields["activation_commitment"]["display"])
    assert any("214 Go" in line and "hors forfait : 14 Go (14,00 €)" in line
               for line in fields["consumption"]["display"])
    assert fields["next_invoice"]["value"]["amount"] == "91.97"
    assert fields["payment_method"]["value"]["iban"] == "FR76 •••• •••• 0189"
    assert "Commande smartphone WEB-2611-0042 passée en web" in fields["orders"]["display"][0]
    assert "étape 3/4" in fields["orders"]["display"][0]
    assert any("test en boutique LYON-PARTDIEU" in x for x in fields["support_history"]["display"])
    assert fields["warranty"]["value"][0]["until"] == "2028-09-01"
    verdicts = {v["offer_code"]: v for v in fields["eligibility"]["value"]}
    assert verdicts["BOX_FIBRE_1G"]["eligible"] is True


def test_eligibility_explains_why_not(api: TestClient) -> None:
    fields = _fields(api.get("/api/customers/2/view360", headers=auth("sup.demo")).json())
    verdicts = {v["offer_code"]: v for v in fields["eligibility"]["value"]}
    assert verdicts["BOX_FIBRE_1G"] == {"offer_code": "BOX_FIBRE_1G", "eligible": False,
                                        "reasons": ["fibre non déployée à l'adresse"]}
    assert "impayé en cours" in verdicts["CONV_FAMILLE"]["reasons"]


def test_sensitive_fields_only_for_the_profiles_allowed(api: TestClient) -> None:
    n1 = _fields(api.get("/api/customers/2/view360", headers=auth("n1.demo")).json())
    n2 = api.get("/api/customers/2/view360", headers=auth("n2.demo")).json()
    collection = _fields(api.get("/api/customers/2/view360", headers=auth("collection.demo")).json())
    assert "Sous tutelle" in n1["guardianship"]["display"]
    assert "collection" not in n1 and "collection_events" not in n1
    assert "relance" in " ".join(collection["collection"]["display"])
    assert [b["name"] for b in n2["blocks"]] == ["identification", "offers", "alerts", "equipment"]
    assert "guardianship" not in _fields(n2) and "payment_method" not in _fields(n2)


def test_electronic_tag_is_flagged(api: TestClient) -> None:
    fields = _fields(api.get("/api/customers/4/view360", headers=auth("n1.demo")).json())
    assert fields["electronic_tag"]["priority"] == "important"
    assert "ne jamais couper" in fields["electronic_tag"]["display"][0]


def test_who_may_not_read_gets_403_and_strangers_401(api: TestClient) -> None:
    for login in ("trainer.demo", "admin.demo"):
        r = api.get("/api/customers/1/view360", headers=auth(login))
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert "habilité" in r.json()["detail"]
    assert api.get("/api/customers/1/view360").status_code == 401
    assert api.get("/api/customers/1/view360", headers={"Authorization": "Bearer abc"}).status_code == 401
    assert api.get("/api/customers/1/view360", headers=auth("ghost.user")).status_code == 401
    r = api.get("/api/customers/999999/view360", headers=auth("n1.demo"))
    assert r.status_code == 404 and r.json()["title"] == "Introuvable"


def test_each_read_is_traced_with_the_sensitive_fields(api: TestClient) -> None:
    present_call(api, "call-77", "n1.demo", "07 98 76 54 32")
    r = api.get("/api/customers/2/view360", headers={**auth("n1.demo"), "X-Call-Id": "call-77"})
    assert r.status_code == 200, r.text
    traces = api.get("/api/customers/2/traces", headers=auth("sup.demo")).json()["items"]
    read = next(t for t in traces if t["name"] == "customer.read" and t["actor"] == "n1.demo")
    assert read["call_id"] == "call-77"
    assert "guardianship" in read["data"]["sensitive"] and "collection" not in read["data"]["fields"]


def test_search_by_line_name_birth_date_email_and_pages(api: TestClient) -> None:
    h = auth("n1.demo")
    assert [c["id"] for c in api.get("/api/customers", params={"line": "09 72 12 34 56"}, headers=h).json()["items"]] \
        == [1]
    for typed in ("lefevre", "LEFÈVRE", "Lefe"):  # as advisors type: no accents, any case
        assert [c["id"] for c in api.get("/api/customers", params={"name": typed}, headers=h).json()["items"]] == [2]
    found = api.get("/api/customers", params={"name": "nguyen", "birth_date": "1995-07-30"}, headers=h).json()
    assert [c["display_name"] for c in found["items"]] == ["Mme Sophie Nguyen"]
    assert api.get("/api/customers", params={"name": "nguyen", "birth_date": "1995-07-31"},
                   headers=h).json()["items"] == []
    assert [c["id"] for c in api.get("/api/customers", params={"email": "JP.Lefevre@exemple.fr"},
                                     headers=h).json()["items"]] == [2]
    first = api.get("/api/customers", params={"limit": 3}, headers=h).json()
    second = api.get("/api/customers", params={"limit": 3, "cursor": first["next_cursor"]}, headers=h).json()
    assert [c["id"] for c in first["items"]] == [1, 2, 3] and [c["id"] for c in second["items"]] == [4]
    assert second["next_cursor"] is None
    bad = api.get("/api/customers", params={"cursor": "%%%"}, headers=h)
    assert bad.status_code == 400 and "Curseur" in bad.json()["detail"]
