"""Pydantic's own messages ("Field required") reach users in their language, with the limits named."""

import pytest


@pytest.mark.parametrize("language, missing, text, at_least", [
    ("en", "this field is required", "text is required", "must be at least 1"),
    ("zh-hans", "此项必填", "须为文本", "不能小于 1"),
])
def test_validation_messages_in_the_callers_language(alice, api, language, missing, text, at_least):
    api.as_user(alice).headers["Accept-Language"] = language
    r = api.post("/incidents", {"description": "门口聚集"})
    assert r.status_code == 400, r.content
    assert {e["field"]: e["message"] for e in r.json()["errors"]}["category"] == missing
    r = api.post("/patrols", {"grid_code": 5})
    assert r.json()["errors"] == [{"field": "grid_code", "message": text}]
    r = api.get("/audit", page=0)
    assert r.status_code == 400 and r.json()["errors"] == [{"field": "page", "message": at_least}]


def test_an_unknown_error_type_keeps_pydantics_words():
    from epigrid.core.api import validation_message

    assert validation_message({"type": "something_new", "msg": "Something new"}) == "Something new"
    assert validation_message({"type": "value_error", "msg": "Value error, 不是有效的日期"}) == "不是有效的日期"
    # a context that does not fit the message keeps the original words rather than failing
    assert validation_message({"type": "greater_than_equal", "msg": "ge 1", "ctx": {}}) == "ge 1"
