"""Messages follow Accept-Language: Chinese by default, English on request."""

from __future__ import annotations

from tests.api.helpers import ApiClient


def test_schema_errors_are_in_chinese_by_default(world, as_role):
    # given a client that states no language
    api = as_role("agent", language="")
    # when it sends a bad query, then the messages are Chinese (Django ships these translations)
    response = api.get("/api/customers", limit=0, level="gold")
    assert response.json() == {"errors": {
        "level": ["选择一个有效的选项。 gold 不在可用的选项中。"], "limit": ["确保该值大于或等于1。"]}}
    assert api.get("/api/customers/lookup").json() == {"errors": {"phone": ["这个字段是必填项。"]}}


def test_the_same_errors_in_english_on_request(world, as_role):
    response = as_role("agent", language="en").get("/api/customers", limit=0, level="gold")
    assert response.json() == {"errors": {
        "level": ["Select a valid choice. gold is not one of the available choices."],
        "limit": ["Ensure this value is greater than or equal to 1."]}}


def test_accept_language_picks_among_the_shipped_languages(world, as_role):
    # a browser preferring French, then English, gets English
    response = as_role("agent", language="fr-FR,fr;q=0.9,en;q=0.8").get("/api/customers/lookup")
    assert response.json() == {"errors": {"phone": ["This field is required."]}}


def test_refusals_are_in_the_requested_language(world, users):
    response = ApiClient(language="en").get("/api/customers")
    assert response.json() == {
        "detail": "Authentication required: send “Authorization: Bearer <token>” or log in."}
