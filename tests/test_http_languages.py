"""Every refusal a client can provoke reads in the language it asked for (`?lang=zh`, or the
interview's and a typed answer's `"lang": "zh"` in the body), and stays as it was in English.

The Chinese of each sentence is checked word for word, as is the English beside it: clients and
docs/http.md quote the English. Where json stopped reading, Chinese gives the line and column in
its own words (第 1 行第 4 列：此处应为一个 JSON 值), English json's own text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError
from test_http_api import EXAMPLE, _Flaky, assert_error, lines, serving
from test_http_hardening import late_body
from test_languages import english_sentences, without

import advisor.http_models
from advisor.catalogue import catalogue
from advisor.core import default_advisor
from advisor.http_api import create_app
from advisor.http_errors import MESSAGE_KEYS, json_reason, strict_json


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with serving(create_app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def refusal(message: str, field: str, problem: str, allowed: str | None) -> dict[str, Any]:
    return {
        "error": "invalid_request",
        "message": message,
        "problems": [{"field": field, "message": problem, "allowed": allowed}],
    }


NDJSON = {"content-type": "application/x-ndjson"}
JSON = {"content-type": "application/json"}

#: (route, body, headers) -> (the English answer, the Chinese answer)
BODIES = {
    "batch: no rows": (
        ("/v1/batch", b"", NDJSON),
        refusal("the body holds no rows", "(body)", "the body holds no rows", "JSON Lines or a JSON array of profiles"),
        refusal(
            "请求体中没有任何一行数据", "(body)", "请求体中没有任何一行数据", "JSON Lines，或由合作概况组成的 JSON 数组"
        ),
    ),
    "batch: an array that is not JSON": (
        ("/v1/batch", b"[1,]", {}),
        refusal(
            "the body is not a valid JSON array",
            "(body)",
            "the body is not valid JSON (Expecting value: line 1 column 4 (char 3))",
            "a JSON array of profiles",
        ),
        refusal(
            "请求体不是有效的 JSON 数组",
            "(body)",
            "请求体不是有效的 JSON（第 1 行第 4 列：此处应为一个 JSON 值）",
            "由合作概况组成的 JSON 数组",
        ),
    ),
    "batch: an array broken on its third line": (
        ("/v1/batch", b'[\n  {"scope": "single_problem"},\n  {"scope" "x"}\n]', {}),
        refusal(
            "the body is not a valid JSON array",
            "(body)",
            "the body is not valid JSON (Expecting ':' delimiter: line 3 column 12 (char 44))",
            "a JSON array of profiles",
        ),
        refusal(
            "请求体不是有效的 JSON 数组",
            "(body)",
            "请求体不是有效的 JSON（第 3 行第 12 列：此处应为冒号“:”）",
            "由合作概况组成的 JSON 数组",
        ),
    ),
    "batch: an object sent as JSON": (
        ("/v1/batch", b'{"scope": "single_problem"}', JSON),
        refusal(
            "the body is not a JSON array",
            "(body)",
            "a JSON body must be an array of profiles",
            "a JSON array, or JSON Lines sent as application/x-ndjson",
        ),
        refusal(
            "请求体不是 JSON 数组",
            "(body)",
            "JSON 请求体应为由合作概况组成的数组",
            "JSON 数组；或者以 application/x-ndjson 发送的 JSON Lines",
        ),
    ),
    "batch: a key given twice": (
        ("/v1/batch", b'[{"scope": "single_problem", "scope": "single_program"}]', {}),
        refusal(
            "the body is not a valid JSON array",
            "(body)",
            "the body is not valid JSON (the key 'scope' appears twice; give each key once)",
            "a JSON array of profiles",
        ),
        refusal(
            "请求体不是有效的 JSON 数组",
            "(body)",
            "请求体不是有效的 JSON（键 'scope' 出现了两次；每个键只能给一次）",
            "由合作概况组成的 JSON 数组",
        ),
    ),
    "batch: NaN": (
        ("/v1/batch", b'[{"funding_cny": NaN}]', {}),
        refusal(
            "the body is not a valid JSON array",
            "(body)",
            "the body is not valid JSON (NaN is not JSON)",
            "a JSON array of profiles",
        ),
        refusal(
            "请求体不是有效的 JSON 数组",
            "(body)",
            "请求体不是有效的 JSON（NaN 不是合法的 JSON 值）",
            "由合作概况组成的 JSON 数组",
        ),
    ),
    "batch: an integer of 120 digits": (
        ("/v1/batch", b'[{"funding_cny": 1' + b"0" * 119 + b"}]", {}),
        refusal(
            "the body is not a valid JSON array",
            "(body)",
            "the body is not valid JSON (a number has 120 digits, over the limit of 100 (100000000000...))",
            "a JSON array of profiles",
        ),
        refusal(
            "请求体不是有效的 JSON 数组",
            "(body)",
            "请求体不是有效的 JSON（整数 100000000000... 长达 120 位，超过了 100 位的上限）",
            "由合作概况组成的 JSON 数组",
        ),
    ),
    "batch: not UTF-8": (
        ("/v1/batch", b'{"title": "caf\xe9"}', NDJSON),
        refusal(
            "the body is not UTF-8 text",
            "(body)",
            "the body is not UTF-8 text (byte 14)",
            "UTF-8 JSON Lines or a JSON array",
        ),
        refusal(
            "请求体不是 UTF-8 文本",
            "(body)",
            "请求体不是 UTF-8 文本（字节位置 14）",
            "UTF-8 编码的 JSON Lines 或 JSON 数组",
        ),
    ),
    "advise: not JSON": (
        ("/v1/advise", b'{enterprise_size: "large"}', {}),
        refusal(
            "the body is not valid JSON",
            "(body)",
            "the body is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
            "a JSON object of profile attributes",
        ),
        refusal(
            "请求体不是有效的 JSON",
            "(body)",
            "请求体不是有效的 JSON（第 1 行第 2 列：此处应为用双引号括起的键名）",
            "由合作概况字段组成的 JSON 对象",
        ),
    ),
    "advise: no body": (
        ("/v1/advise", b"", {}),
        refusal("the request has no body", "(body)", "a JSON body is required", "a JSON object of profile attributes"),
        refusal("请求没有请求体", "(body)", "需要 JSON 格式的请求体", "由合作概况字段组成的 JSON 对象"),
    ),
    "advise: a key given twice": (
        ("/v1/advise", b'{"scope": "single_problem", "scope": "single_program"}', {}),
        refusal(
            "the body is not valid JSON",
            "(body)",
            "the body is not valid JSON (the key 'scope' appears twice; give each key once)",
            "a JSON object of profile attributes",
        ),
        refusal(
            "请求体不是有效的 JSON",
            "(body)",
            "请求体不是有效的 JSON（键 'scope' 出现了两次；每个键只能给一次）",
            "由合作概况字段组成的 JSON 对象",
        ),
    ),
    "advise: nested too deeply": (
        ("/v1/advise", b"[" * 20000 + b"]" * 20000, {}),
        refusal(
            "the body is not valid JSON",
            "(body)",
            "the body is not valid JSON (nested too deeply)",
            "a JSON object of profile attributes",
        ),
        refusal(
            "请求体不是有效的 JSON", "(body)", "请求体不是有效的 JSON（嵌套层数过多）", "由合作概况字段组成的 JSON 对象"
        ),
    ),
    "advise: a bad escape": (
        ("/v1/advise", b'{"title": "a\\qb"}', {}),
        refusal(
            "the body is not valid JSON",
            "(body)",
            "the body is not valid JSON (Invalid \\escape: line 1 column 13 (char 12))",
            "a JSON object of profile attributes",
        ),
        refusal(
            "请求体不是有效的 JSON",
            "(body)",
            '请求体不是有效的 JSON（第 1 行第 13 列：反斜杠转义无效；反斜杠后只能是 " \\ / b f n r t u 之一）',
            "由合作概况字段组成的 JSON 对象",
        ),
    ),
}


@pytest.mark.parametrize("case", BODIES)
def test_a_body_refused_as_a_whole_reads_in_chinese_under_lang_zh(api, case):
    (path, content, headers), _, chinese = BODIES[case]
    assert (
        assert_error(api.post(path + "?lang=zh", content=content, headers=headers), 422, "invalid_request") == chinese
    )


@pytest.mark.parametrize("case", BODIES)
@pytest.mark.parametrize("query", ["", "?lang=en", "?lang=fr"])
def test_the_same_refusal_is_unchanged_in_english(api, case, query):
    (path, content, headers), english, _ = BODIES[case]
    answer = api.post(path + query, content=content, headers=headers)
    if query == "?lang=fr":  # a language the advisor does not speak is refused, in English
        assert assert_error(answer, 422, "invalid_request")["problems"][0]["field"] == "lang"
    else:
        assert assert_error(answer, 422, "invalid_request") == english


def test_a_batch_array_nested_too_deeply_says_so_in_chinese(api):
    # NOTE: English gives Python's own sentence here ("maximum recursion depth exceeded ..."), as before
    content = b"[" + b"[" * 20000 + b"]" * 20000 + b"]"
    chinese = assert_error(api.post("/v1/batch?lang=zh", content=content), 422, "invalid_request")
    assert chinese["problems"][0]["message"] == "请求体不是有效的 JSON（嵌套层数过多）"
    english = assert_error(api.post("/v1/batch", content=content), 422, "invalid_request")
    assert english["problems"][0]["message"].startswith("the body is not valid JSON (")


def test_a_json_lines_row_that_is_not_json_says_where_in_chinese(api):
    """Each line is read on its own, so json counts it as line 1; Chinese names the body's line."""
    body = b'{"id": "ok"}\n\n{"id": "x" "title": "y"}\n{"id": 1, "id": 2}\n\x7b"title": "a\x01"}\n'
    chinese = lines(api.post("/v1/batch?lang=zh", content=body, headers=NDJSON))
    english = lines(api.post("/v1/batch", content=body, headers=NDJSON))
    assert [line["line"] for line in chinese] == [line["line"] for line in english] == [1, 3, 4, 5]
    assert "advice" in chinese[0] and "advice" in english[0]
    assert [line["error"]["problems"][0]["message"] for line in chinese[1:]] == [
        "这一行不是有效的 JSON（第 3 行第 12 列：此处应为逗号“,”）",
        "这一行不是有效的 JSON（键 'id' 出现了两次；每个键只能给一次）",
        "这一行不是有效的 JSON（第 5 行第 13 列：字符串中有控制字符；换行、制表符等须写作 \\n、\\t）",
    ]
    assert [line["error"]["problems"][0]["message"] for line in english[1:]] == [
        "the line is not valid JSON (Expecting ',' delimiter: line 1 column 12 (char 11))",
        "the line is not valid JSON (the key 'id' appears twice; give each key once)",
        "the line is not valid JSON (Invalid control character at: line 1 column 13 (char 12))",
    ]
    assert {line["error"]["message"] for line in chinese[1:]} == {"这一行不是有效的 JSON"}
    assert {line["error"]["message"] for line in english[1:]} == {"the line is not valid JSON"}


# -- json's reasons ----------------------------------------------------------------------------------

MALFORMED = [
    "",
    "[1,]",
    "{x",
    '{"a" 1}',
    '{"a": 1 "b": 2}',
    '"abc',
    '"a\x01"',
    '"\\q"',
    '"\\u12"',
    "1 2",
    "\ufeff[]",
    "[1",
    '{"a": 1,}',
    "[NaN]",
    "-Infinity",
    '{"a": 1, "a": 1}',
    "1" * 101,
    "[" * 100_000,
]


@pytest.mark.parametrize("text", MALFORMED, ids=lambda text: repr(text[:12]))
def test_every_reason_json_gives_reads_in_chinese_with_its_line_and_column(text):
    """Every reason this Python's json gives (and the limits' own) has its Chinese words: none
    falls back to the bare "JSON 格式有误"; English is json's text as it always was."""
    with pytest.raises((ValueError, RecursionError)) as caught:
        strict_json(text)
    error = caught.value
    chinese = json_reason(error, "zh")
    assert chinese != catalogue("zh")["request_problems"]["json_unknown"] and "JSON 格式有误" not in chinese
    assert english_sentences(without(chinese, ["NaN", "-Infinity", "'a'", "JSON", "BOM"])) == [], chinese
    if isinstance(error, json.JSONDecodeError):
        assert chinese.startswith(f"第 {error.lineno} 行第 {error.colno} 列：")
        assert json_reason(error, "en") == str(error) and "(char " in str(error)
        assert json_reason(error, "zh", line=7).startswith(f"第 {error.lineno + 6} 行第 {error.colno} 列：")
    elif isinstance(error, ValueError):
        assert json_reason(error, "en") == str(error)
    else:
        assert json_reason(error, "en") == "nested too deeply"


def test_a_reason_no_template_knows_still_reads_in_chinese():
    """Another Python's json may word a reason differently: it reads as JSON 格式有误, with where."""
    error = json.JSONDecodeError("Illegal trailing comma before end of array", "[1,]", 2)
    assert json_reason(error, "zh") == "第 1 行第 3 列：JSON 格式有误"
    assert json_reason(error, "en") == "Illegal trailing comma before end of array: line 1 column 3 (char 2)"
    assert json_reason(ValueError("something else"), "zh") == "JSON 格式有误"


def test_every_json_reason_template_has_its_chinese():
    from advisor.problem_text import translate

    english = catalogue("en")["request_problems"]["json_reasons"]
    chinese = catalogue("zh")["request_problems"]["json_reasons"]
    assert set(english) == set(chinese)
    for key, template in english.items():
        sample = re.sub(r"\{(\w+)\}", "7", str(template))
        translated = translate(sample, "zh", "json_reasons", "request_problems")
        assert translated != sample and re.search("[\u4e00-\u9fff]", translated), (key, translated)


def test_a_repeated_key_is_shown_as_given_whatever_its_words():
    """A key is data: English words inside it (`the input`, `' or '`) are not translated."""
    with pytest.raises(ValueError) as caught:
        strict_json('{"the input": 1, "the input": 2}')
    assert json_reason(caught.value, "zh") == "键 'the input' 出现了两次；每个键只能给一次"


# -- the refusals of the service as a whole ------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_in_chinese_before_and_while_it_is_read(api):
    big = {"title": "x" * 70_000}

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused as the limit is passed
        yield b'{"title": "'
        for _ in range(80):
            yield b"x" * 1000

    for content in (json.dumps(big).encode(), chunks):
        body = content if isinstance(content, bytes) else content()
        chinese = assert_error(api.post("/v1/advise?lang=zh", content=body), 413, "body_too_large")
        assert chinese == {"error": "body_too_large", "message": "请求体超过了 65536 字节的上限", "problems": []}
        body = content if isinstance(content, bytes) else content()
        english = assert_error(api.post("/v1/advise", content=body), 413, "body_too_large")
        assert english["message"] == "the request body is over the limit of 65536 bytes"


@pytest.mark.parametrize(
    "query", ["", "?lang=en", "?lang=fr", "?lang=zh&lang=en", "?lang=%ff%fe", "?lang", "?%zz=1&lang=en"]
)
def test_a_query_without_one_language_the_advisor_speaks_gets_english_from_the_guards(api, query):
    answer = api.post("/v1/advise" + query, content=json.dumps({"title": "x" * 70_000}))
    assert assert_error(answer, 413, "body_too_large")["message"] == "the request body is over the limit of 65536 bytes"


def test_headers_over_the_limit_are_refused_in_chinese(api):
    headers = {"x-padding": "a" * 20_000}
    chinese = assert_error(api.post("/v1/advise?lang=zh", json=EXAMPLE, headers=headers), 431, "headers_too_large")
    assert chinese["message"] == "请求头超过了 16384 字节的上限"
    english = assert_error(api.post("/v1/advise", json=EXAMPLE, headers=headers), 431, "headers_too_large")
    assert english["message"] == "the request headers are over the limit of 16384 bytes"


def test_a_body_that_does_not_arrive_in_time_is_refused_in_chinese():
    with serving(create_app(body_seconds=0.5)) as url:
        assert late_body(url, "?lang=zh")["message"] == "请求体未能在 0.5 秒内传完"
        assert late_body(url, "")["message"] == "the request body did not arrive within 0.5 seconds"


def test_a_wrong_method_and_an_unknown_page_are_refused_in_chinese(api):
    assert assert_error(api.get("/v1/advise?lang=zh"), 405, "method_not_allowed")["message"] == (
        "/v1/advise 不接受 GET 请求"
    )
    assert assert_error(api.get("/v1/advise"), 405, "method_not_allowed")["message"] == (
        "GET is not allowed on /v1/advise"
    )
    assert assert_error(api.get("/v1/nowhere?lang=zh"), 404, "not_found")["message"] == (
        "没有这个页面：/v1/nowhere；接口列表见 /docs"
    )
    assert assert_error(api.get("/v1/nowhere"), 404, "not_found")["message"] == (
        "no such page: /v1/nowhere; the API is listed at /docs"
    )


KNOWN_MODES = list(default_advisor().knowledge.modes)


@pytest.mark.parametrize(
    ("path", "english", "chinese"),
    [
        (
            "/v1/modes/technology_transfre",
            f"'technology_transfre' is not a mode (did you mean 'technology_transfer'?); known: {', '.join(KNOWN_MODES)}",
            f"'technology_transfre' 不是合作模式的编号（是不是 'technology_transfer'？）；可用的编号：{'、'.join(KNOWN_MODES)}",
        ),
        (
            "/v1/modes/nothing",
            f"'nothing' is not a mode; known: {', '.join(KNOWN_MODES)}",
            f"'nothing' 不是合作模式的编号；可用的编号：{'、'.join(KNOWN_MODES)}",
        ),
        (
            "/v1/rules/ZZ999",
            "'ZZ999' is not a rule id; GET /v1/rules lists them",
            "'ZZ999' 不是规则编号；GET /v1/rules 列出了全部规则",
        ),
    ],
)
def test_an_unknown_id_in_the_path_is_refused_in_the_language_asked(api, path, english, chinese):
    """A route with an id in its path takes `?lang=` for its 404 (the record itself holds every
    language); without it, or with `lang=en`, the 404 reads as it always has."""
    assert assert_error(api.get(path + "?lang=zh"), 404, "not_found")["message"] == chinese
    assert assert_error(api.get(path), 404, "not_found")["message"] == english
    assert assert_error(api.get(path + "?lang=en"), 404, "not_found")["message"] == english
    known = path.replace("technology_transfre", "technology_transfer").replace("nothing", "technology_transfer")
    known = known.replace("ZZ999", "TT001")
    assert api.get(known + "?lang=zh").json() == api.get(known).json()  # the record is the same
    # the strict query still holds: lang twice, a wrong one and an unknown parameter are refused
    twice = assert_error(api.get(path + "?lang=zh&lang=zh"), 422, "invalid_request")
    assert twice["problems"][0]["message"] == "出现了 2 次；每个查询参数只能给一次"
    assert assert_error(api.get(path + "?lang=fr"), 422, "invalid_request")["problems"][0]["field"] == "lang"
    unknown = assert_error(api.get(path + "?lang=zh&colour=blue"), 422, "invalid_request")
    assert unknown["message"].endswith("可用的查询参数有 lang")


def test_a_rule_filter_naming_no_mode_is_refused_in_the_language_asked(api):
    targets = sorted({rule.effect.target for rule in default_advisor().rulebook.rules.values()})
    chinese = assert_error(api.get("/v1/rules?mode=nothing&lang=zh"), 422, "invalid_request")
    assert chinese == {
        "error": "invalid_request",
        "message": "没有关于 'nothing' 的规则",
        "problems": [
            {
                "field": "mode",
                "value": "nothing",
                "message": "没有规则涉及这个编号",
                "allowed": "可选：" + "、".join(targets),
            }
        ],
    }
    english = assert_error(api.get("/v1/rules?mode=nothing"), 422, "invalid_request")
    assert english == {
        "error": "invalid_request",
        "message": "no rule is about 'nothing'",
        "problems": [
            {
                "field": "mode",
                "value": "nothing",
                "message": "no rule is about this id",
                "allowed": "one of " + ", ".join(targets),
            }
        ],
    }
    assert (
        api.get("/v1/rules?mode=technology_equity&lang=zh").json() == api.get("/v1/rules?mode=technology_equity").json()
    )


def test_an_unknown_question_is_refused_in_the_language_of_the_body(api):
    """The typed-answer route says everything in its body's `lang`, its 404 too."""
    chinese = assert_error(api.post("/v1/questions/nothing/parse", json={"text": "1", "lang": "zh"}), 404, "not_found")
    assert chinese["message"] == "'nothing' 不是问卷中的问题；GET /v1/questions 列出了全部问题"
    english = "'nothing' is not a question; GET /v1/questions lists them"
    assert (
        assert_error(api.post("/v1/questions/nothing/parse", json={"text": "1"}), 404, "not_found")["message"]
        == english
    )
    for body in (
        {"text": "1", "lang": "en"},
        {"text": "1", "lang": "fr"},
        ["zh"],
    ):  # a language it cannot tell: English
        assert assert_error(api.post("/v1/questions/nothing/parse", json=body), 404, "not_found")["message"] == english
    assert assert_error(api.post("/v1/questions/nothing/parse", content=b"{"), 404, "not_found")["message"] == english


def test_a_bug_is_reported_in_chinese():
    with serving(create_app(_Flaky())) as url, httpx.Client(base_url=url) as client:
        chinese = assert_error(client.post("/v1/advise?lang=zh", json={"id": "boom"}), 500, "internal_error")
        assert chinese["message"] == "程序出错（RuntimeError）；这是程序缺陷，请报告"
        english = assert_error(client.post("/v1/advise", json={"id": "boom"}), 500, "internal_error")
        assert english["message"] == "internal error (RuntimeError); this is a bug, please report it"


def test_an_unknown_attribute_points_to_the_schema_in_chinese(api):
    chinese = assert_error(api.post("/v1/advise?lang=zh", json={"duration_month": 12}), 422, "invalid_profile")
    assert chinese["problems"] == [
        {
            "field": "duration_month",
            "message": "不是合作概况的字段（是否想填 'duration_months'？）",
            "allowed": "应为 GET /v1/schema/profile 列出的字段",
            "label": "duration_month",
        }
    ]
    english = assert_error(api.post("/v1/advise", json={"duration_month": 12}), 422, "invalid_profile")
    assert english["problems"] == [
        {
            "field": "duration_month",
            "message": "unknown attribute; did you mean 'duration_months'?",
            "allowed": "an attribute listed by GET /v1/schema/profile",
        }
    ]


# -- bodies that say their own language ----------------------------------------------------------------


def test_a_field_an_interview_does_not_take_is_refused_in_its_own_language(api):
    chinese = assert_error(api.post("/v1/interview/next", json={"lang": "zh", "answerz": {}}), 422, "invalid_request")
    assert chinese == {
        "error": "invalid_request",
        "message": "请求有 1 处问题：answerz",
        "problems": [
            {
                "field": "answerz",
                "value": {},
                "message": "本接口不接受这个字段",
                "allowed": "可用的字段：answers、skipped、ask_all、lang",
            }
        ],
    }
    english = assert_error(api.post("/v1/interview/next", json={"answerz": {}}), 422, "invalid_request")
    assert english["message"] == "the request has 1 problem: answerz"
    assert english["problems"] == [
        {
            "field": "answerz",
            "value": {},
            "message": "Extra inputs are not permitted",
            "allowed": "one of answers, skipped, ask_all, lang",
        }
    ]


def test_a_typed_answer_too_long_is_refused_in_its_own_language(api):
    text = "1" * 501
    chinese = assert_error(
        api.post("/v1/questions/funding_cny/parse", json={"text": text, "lang": "zh"}), 422, "invalid_request"
    )
    assert chinese["problems"] == [
        {"field": "text", "value": text, "message": "文本过长", "allowed": "不超过 500 个字符的文本"}
    ]
    english = assert_error(api.post("/v1/questions/funding_cny/parse", json={"text": text}), 422, "invalid_request")
    assert english["problems"] == [
        {
            "field": "text",
            "value": text,
            "message": "String should have at most 500 characters",
            "allowed": "a string of at most 500 characters",
        }
    ]


@pytest.mark.parametrize("content", [b'{"lang": "zh", "answers": {', b"", b'["lang", "zh"]'])
def test_an_interview_body_whose_language_cannot_be_read_is_refused_in_english(api, content):
    """The body is where the interview says its language; a body that is not a JSON object has
    none to read. Accept-Language is not guessed from: the API's answers follow `lang` only."""
    answer = api.post("/v1/interview/next", content=content, headers={"accept-language": "zh-CN,zh;q=0.9"})
    body = assert_error(answer, 422, "invalid_request")
    texts = [body["message"]] + [p[key] or "" for p in body["problems"] for key in ("message", "allowed")]
    assert not any(re.search("[\u4e00-\u9fff]", text) for text in texts), texts


# -- every pydantic error a request can raise has its Chinese words ------------------------------------------

#: Values a client may send where the API wants something else (JSON; a query gets them as text).
HOSTILE = [None, True, False, 0, 2, -1, 1.5, 1e300, "", "x", "maybe", "1.5", "1" * 5000, "a" * 600, [], [1], ["a"], {}]
HOSTILE += [{"a": 1}, {"1": [None]}]


def _body_models(document: dict[str, Any]) -> dict[str, type[BaseModel]]:
    """The models of the API's JSON bodies that are read by pydantic (not the library's Profile),
    by operation: every one the OpenAPI document names that advisor.http_models defines."""
    found = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            model = getattr(advisor.http_models, name, None)
            if isinstance(model, type) and issubclass(model, BaseModel) and name != "Profile":
                found[f"{method.upper()} {path}"] = model
    return found


def test_every_error_type_a_body_model_can_raise_is_mapped(api):
    """Each field of each body model, given every hostile value, and a field it does not have: every
    pydantic error type met has its words (advisor.http_errors.MESSAGE_KEYS), so a new field or
    model cannot bring an English sentence into a Chinese answer."""
    models = _body_models(api.get("/openapi.json").json())
    assert {model.__name__ for model in models.values()} == {"InterviewRequest", "ParseRequest"}
    met: set[str] = set()
    for model in set(models.values()):
        required = {name: "x" for name, field in model.model_fields.items() if field.is_required()}
        bodies: list[Any] = [[], "x", {**required, "surplus": 1}, {}]
        bodies += [{**required, name: value} for name in model.model_fields for value in HOSTILE]
        for data in bodies:
            try:
                model.model_validate(data)
            except ValidationError as error:
                met |= {item["type"] for item in error.errors()}
    assert met - set(MESSAGE_KEYS) == set()
    assert {"extra_forbidden", "string_too_long", "literal_error", "bool_parsing", "missing"} <= met
    messages = catalogue("zh")["request_problems"]["messages"]
    assert (
        set(MESSAGE_KEYS.values()) | {"invalid"}
        == set(messages)
        == set(catalogue("en")["request_problems"]["messages"])
    )


def _chinese_problems(body: dict[str, Any], shown: list[str]) -> None:
    """Every sentence of a 422 in Chinese, none of them the words for a type not mapped."""
    unmapped = catalogue("zh")["request_problems"]["messages"]["invalid"]
    assert body["error"] in ("invalid_request", "invalid_profile"), body
    texts = [body["message"]] + [p[key] or "" for p in body["problems"] for key in ("message", "allowed")]
    names = shown + [p["field"] for p in body["problems"]]
    assert [english_sentences(without(text, names)) for text in texts] == [[]] * len(texts), body
    assert all(p["message"] != unmapped for p in body["problems"]), body


def test_every_query_parameter_refuses_every_hostile_value_in_chinese(api):
    """Every query parameter of every operation of the OpenAPI document, given every hostile value
    under `?lang=zh` (lang itself aside: a wrong one cannot ask for Chinese)."""
    document = api.get("/openapi.json").json()
    ids = sorted({rule.effect.target for rule in default_advisor().rulebook.rules.values()})  # shown as they are
    tried = 0
    for path, methods in document["paths"].items():
        concrete = path.replace("{mode_id}", "technology_transfer").replace("{rule_id}", "TT001")
        concrete = concrete.replace("{attribute}", "funding_cny")
        for method, operation in methods.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] != "lang"]
            body = {"text": "200万"} if "parse" in path else EXAMPLE
            for name in names:
                for value in HOSTILE:
                    if isinstance(value, (list, dict)) or value is None:
                        continue
                    text = json.dumps(value) if not isinstance(value, str) else value
                    params = {name: text, "lang": "zh"}
                    answer = api.request(
                        method.upper(), concrete, params=params, json=body if method == "post" else None
                    )
                    if answer.status_code == 422:
                        tried += 1
                        _chinese_problems(answer.json(), [name, text, "GET /v1/rules", "POST /v1/advise", *ids])
    assert tried >= 25


def test_every_field_of_every_body_model_refuses_every_hostile_value_in_chinese(api):
    models = _body_models(api.get("/openapi.json").json())
    tried = 0
    for operation, model in models.items():
        path = operation.split(" ", 1)[1].replace("{attribute}", "funding_cny")
        required = {name: "x" for name, field in model.model_fields.items() if field.is_required()}
        for name in [*model.model_fields, "surplus"]:
            if name == "lang":
                continue
            for value in HOSTILE:
                answer = api.post(path, json={**required, name: value, "lang": "zh"})
                if answer.status_code == 422:
                    tried += 1
                    shown = [*model.model_fields, name, json.dumps(value, ensure_ascii=False), str(value)]
                    _chinese_problems(answer.json(), shown)
    assert tried >= 40
