from fastapi.testclient import TestClient

from tests.factories import auth, present_call


def _fields(api: TestClient, customer_id: int, login: str = "sup.demo") -> dict[str, dict]:
    view = api.get(f"/api/customers/{customer_id}/view360", headers=auth(login)).json()
    return {f["name"]: f for b in view["blocks"] for f in b["fields"]}


def _version(api: TestClient, customer_id: int) -> int:
    return api.get(f"/api/customers/{customer_id}/view360", headers=auth("sup.demo")).json()["version"]


def test_contact_edit_is_visible_at_once_and_traced_with_before_and_after(api: TestClient) -> None:
    present_call(api, "call-9", "n1.demo", "07 55 44 33 22")
    v = _version(api, 3)
    r = api.patch("/api/customers/3", json={"email": "Sophie.N@Exemple.fr", "contact_phone": "06 01 02 03 04",
                                            "address_line": "12 rue de Crimée", "postcode": "75019",
                                            "city": "Paris", "version": v},
                  headers={**auth("n1.demo"), "X-Call-Id": "call-9"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == v + 1 and r.headers["ETag"] == f'"{v + 1}"'
    fields = _fields(api, 3)
    assert fields["email"]["value"] == "Sophie.N@exemple.fr"
    assert fields["postal_address"]["display"] == "12 rue de Crimée, 75019 Paris"
    assert "Contact : 06 01 02 03 04" in fields["phones"]["display"]
    traces = api.get("/api/customers/3/traces", headers=auth("sup.demo")).json()["items"]
    edit = next(t for t in traces if t["name"] == "customer.updated")
    assert (edit["actor"], edit["call_id"]) == ("n1.demo", "call-9")
    changes = {c["field"]: (c["before"], c["after"]) for c in edit["data"]["changes"]}
    assert changes["address_line"] == ("48 avenue Jean Jaurès", "12 rue de Crimée")
    assert changes["contact_phone"] == ("+33755443322", "+33601020304")
    assert "postcode" not in changes  # unchanged values are not traced as changes
    assert any("Coordonnées modifiées (n1.demo)" in line for line in fields["history"]["display"])


def test_an_invalid_edit_says_why_per_field_in_french_and_writes_nothing(api: TestClient) -> None:
    v = _version(api, 1)
    r = api.patch("/api/customers/1", json={"email": "pas-un-email", "postcode": "00000", "city": "Lyon 3e"},
                  headers=auth("n1.demo"))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(errors) == {"email", "postcode"} and "e-mail" in errors["email"]
    assert "Rien n'a été enregistré" in r.json()["detail"]
    assert _version(api, 1) == v
    assert _fields(api, 1)["postal_address"]["value"]["city"] == "Lyon"
    r = api.patch("/api/customers/1", json={"colour": "blue"}, headers=auth("n1.demo"))
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "colour", "message": "Champ inconnu."}]


def test_a_stale_version_is_refused_so_no_update_is_lost(api: TestClient) -> None:
    v = _version(api, 1)
    first = api.patch("/api/customers/1", json={"city": "Villeurbanne"}, headers={**auth("n1.demo"),
                                                                                  "If-Match": f'"{v}"'})
    assert first.status_code == 200
    second = api.patch("/api/customers/1", json={"city": "Vénissieux", "version": v}, headers=auth("n1.grenoble"))
    assert second.status_code == 409 and second.json()["current_version"] == v + 1
    assert "modifié entre-temps" in second.json()["detail"]
    assert _fields(api, 1)["postal_address"]["value"]["city"] == "Villeurbanne"


def test_payment_method_with_iban_checksum(api: TestClient) -> None:
    bad = api.put("/api/customers/3/payment-method", json={"kind": "direct_debit", "iban": "FR76 3000 6000 0112 3456 "
                                                           "7890 188", "holder": "Sophie Nguyen"},
                  headers=auth("n1.demo"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "iban"
    ok = api.put("/api/customers/3/payment-method", json={"kind": "direct_debit", "holder": "Sophie Nguyen",
                                                          "iban": "FR76 3000 6000 0112 3456 7890 189"},
                 headers=auth("n1.demo"))
    assert ok.status_code == 200
    fields = _fields(api, 3)
    assert fields["payment_method"]["value"] == {"kind": "direct_debit", "iban": "FR76 •••• •••• 0189", "bic": None,
                                                 "holder": "Sophie Nguyen"}
    trace = next(t for t in api.get("/api/customers/3/traces", headers=auth("sup.demo")).json()["items"]
                 if t["name"] == "payment_method.changed")
    assert "30006000011234567890189" not in str(trace), "full IBANs never go into traces"
    assert api.put("/api/customers/3/payment-method", json={"kind": "card", "holder": "S"},
                   headers=auth("n2.demo")).status_code == 403


def test_options_are_added_and_removed_with_checks(api: TestClient) -> None:
    h = auth("n1.demo")
    r = api.post("/api/customers/1/lines/1/options", json={"option_code": "OPT_INTERNATIONAL"}, headers=h)
    assert r.status_code == 201, r.text
    assert "Option Appels internationaux" in _fields(api, 1)["offers_options"]["display"][0]
    again = api.post("/api/customers/1/lines/1/options", json={"option_code": "OPT_INTERNATIONAL"}, headers=h)
    assert again.status_code == 409 and "déjà" in again.json()["detail"]
    wrong = api.post("/api/customers/1/lines/1/options", json={"option_code": "OPT_TV_SPORT"}, headers=h)
    assert wrong.status_code == 409
    other = api.post("/api/customers/2/lines/1/options", json={"option_code": "OPT_DATA_EU"}, headers=h)
    assert other.status_code == 404
    gone = api.delete("/api/customers/1/lines/1/options/OPT_INTERNATIONAL", headers=h)
    assert gone.status_code == 200
    assert "Option Appels internationaux" not in _fields(api, 1)["offers_options"]["display"][0]


def test_guardianship_only_by_allowed_profiles(api: TestClient) -> None:
    body = {"kind": "curatelle", "guardian_name": "M. Paul Nguyen", "guardian_phone": "06 11 22 33 44"}
    assert api.put("/api/customers/3/guardianship", json=body, headers=auth("n1.demo")).status_code == 403
    r = api.put("/api/customers/3/guardianship", json=body, headers=auth("sup.demo"))
    assert r.status_code == 200, r.text
    assert "Sous curatelle" in _fields(api, 3)["guardianship"]["display"]
    assert api.delete("/api/customers/3/guardianship", headers=auth("sup.demo")).status_code == 200
    assert _fields(api, 3)["guardianship"]["value"] is None


def test_lending_a_pack_for_a_time_grants_its_permissions_until_revoked(api: TestClient) -> None:
    n2 = auth("n2.demo")
    assert "billing" not in [b["name"] for b in api.get("/api/customers/2/view360", headers=n2).json()["blocks"]]
    assert api.post("/api/pack-loans", json={"pack_code": "collection_tools", "profile_code": "n2_technical",
                                             "days": 2}, headers=n2).status_code == 403
    loan = api.post("/api/pack-loans", json={"pack_code": "collection_tools", "profile_code": "n2_technical",
                                             "days": 2}, headers=auth("admin.demo"))
    assert loan.status_code == 201, loan.text
    assert "billing" in [b["name"] for b in api.get("/api/customers/2/view360", headers=n2).json()["blocks"]]
    assert "field:collection" in api.get("/api/me", headers=n2).json()["permissions"]
    assert api.delete(f"/api/pack-loans/{loan.json()['id']}", headers=auth("admin.demo")).status_code == 204
    assert "billing" not in [b["name"] for b in api.get("/api/customers/2/view360", headers=n2).json()["blocks"]]
    bad = api.post("/api/pack-loans", json={"pack_code": "nope", "profile_code": "n2_technical", "days": 2},
                   headers=auth("admin.demo"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "pack_code"
