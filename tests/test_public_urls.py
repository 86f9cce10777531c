"""Absolute URLs come from configuration only, and requests for a host that is not ours are refused."""
import re

from conference import create_app
from conference.urls import public_url, trusted_hosts
from tests.conftest import test_config
from tests.factories import make_attendee, make_conference


def test_a_foreign_host_header_is_refused_and_mails_nothing(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    response = client.post("/signin", data={"email": "ana@school.example.org"}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "not PLN Connect's address" in response.text
    assert outbox() == []
    # The same request for our own host mails a link on PUBLIC_BASE_URL.
    ours = client.post("/signin", data={"email": "ana@school.example.org"}, headers={"Host": "pln.example.org"})
    assert ours.status_code == 200 and len(outbox()) == 1


def test_every_link_in_a_mail_is_on_public_base_url(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    client.post("/signin", data={"email": "ana@school.example.org"}, base_url="http://127.0.0.1:5000")
    body = outbox()[-1].get_body().get_content()
    links = re.findall(r"https?://\S+", body)
    assert links and all(link.startswith("https://pln.example.org/") for link in links)


def test_a_foreign_host_on_a_get_page_is_a_400_page_not_a_500(client, app):
    response = client.get("/signin", headers={"Host": "evil.example:8080"})
    assert response.status_code == 400 and "<html" in response.text


def test_trusted_hosts_come_from_the_settings(tmp_path):
    assert trusted_hosts({"PUBLIC_BASE_URL": "https://pln.example.org", "APP_ENV": "production",
                          "TRUSTED_HOSTS": " Www.Pln.example.org, ,pln.internal"}) == [
        "pln.example.org", "www.pln.example.org", "pln.internal"]
    assert trusted_hosts({"PUBLIC_BASE_URL": "", "APP_ENV": "development"}) == ["127.0.0.1", "localhost"]
    app = create_app(test_config(tmp_path, TRUSTED_HOSTS="pln.internal"))
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "pln.internal"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "pln.external"}).status_code == 400


def test_public_url_ignores_the_request_and_keeps_a_path_prefix(tmp_path):
    app = create_app(test_config(tmp_path, PUBLIC_BASE_URL="https://example.org/pln/"))
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert public_url("auth.request_link") == "https://example.org/pln/signin"
    with app.app_context():  # a task or a command: no request at all
        assert public_url("contacts.card", code="AB12") == "https://example.org/pln/c/AB12"
    laptop = create_app(test_config(tmp_path, PUBLIC_BASE_URL=""))
    with laptop.app_context():
        assert public_url("auth.request_link") == "http://127.0.0.1:5000/signin"
