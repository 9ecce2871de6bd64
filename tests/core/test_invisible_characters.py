"""Names that look alike but are not (security review, point 18): invisible, bidirectional and separator
characters are refused wherever a line of text is taken, with the code point named."""

import json

import pytest

from epigrid.core.validators import text_problem
from tests.residents.conftest import id_number


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\u202e",
                                  "\u2066", "\ufeff", "\u2060", "\u00ad", "\ue000", "\x00", "\x1b"])
def test_invisible_and_control_characters_are_refused(char):
    problem = text_problem(f"张{char}三", max_length=50)
    assert problem and f"U+{ord(char):04X}" in problem


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "Zhang San", "O'Brien", "阿卜杜·热依木", "Émile"])
def test_real_names_pass(name):
    assert text_problem(name, max_length=50) is None


def test_a_look_alike_resident_name_is_refused_by_the_api(alice, api, first_grid):
    response = api.as_user(alice).post("/residents", json.dumps({
        "name": "张\u200b三", "id_number": id_number(seq=41), "grid_code": first_grid.code}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name" and "U+200B" in response.json()["errors"][0]["message"]
