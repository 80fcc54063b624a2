"""Structured outputs with the libraries people actually use, through gearbox to the mock:
LangChain's with_structured_output and bind_tools, and the openai SDK's parse helper. The mock
answers valid structured content, or invalid content on demand (fault `invalid_output`)."""
import json
import urllib.request

import openai
import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openai import OpenAI
from pydantic import BaseModel

from conftest import KEY


class PatientReport(BaseModel):
    diagnosis: str
    treatment_plan: list[str]
    risk_level: int


@tool
def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


NOTES = "Patient, 54, reports chest pain on exertion for two weeks; ECG shows ST depression; LDL 190 mg/dL."


def fault(stack, plan):
    req = urllib.request.Request(f"{stack.mock_root}/mock/faults", data=json.dumps(plan).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def mock_requests(stack):
    with urllib.request.urlopen(f"{stack.mock_root}/mock/stats", timeout=10) as r:
        return json.load(r)["requests_total"]


def llm(stack, model="auto"):
    return ChatOpenAI(model=model, base_url=stack.gateway_url, api_key=KEY, reasoning_effort="medium", max_retries=0, timeout=30)


def test_langchain_structured_output_valid_repaired_and_hopeless(stack):
    structured = llm(stack).with_structured_output(PatientReport)
    report = structured.invoke(f"Write a patient report for these notes: {NOTES}")
    assert isinstance(report, PatientReport)
    assert isinstance(report.risk_level, int) and report.treatment_plan

    fault(stack, {"kind": "invalid_output", "count": 1})
    before = mock_requests(stack)
    repaired = structured.invoke(f"Write a patient report for the follow-up visit: {NOTES}")
    assert isinstance(repaired, PatientReport)
    assert mock_requests(stack) - before == 2, "one repair call"

    fault(stack, {"kind": "invalid_output", "count": 2})
    with pytest.raises(openai.InternalServerError) as e:
        structured.invoke(f"Write a patient report for the third visit: {NOTES}")
    assert e.value.status_code == 502
    assert e.value.body["code"] == "schema_violation"
    message = e.value.body["message"]
    assert "/" in message or "(root)" in message, message  # names where the output is wrong


def test_langchain_bind_tools_valid_and_repaired(stack):
    with_tools = llm(stack, model="gpt-4o-mini").bind_tools([multiply])
    msg = with_tools.invoke("What is 3.5 times 4?")
    assert msg.tool_calls and msg.tool_calls[0]["name"] == "multiply"
    args = msg.tool_calls[0]["args"]
    assert isinstance(args["a"], (int, float)) and isinstance(args["b"], (int, float))
    assert multiply.invoke(args) == args["a"] * args["b"]

    fault(stack, {"kind": "invalid_output", "count": 1})
    before = mock_requests(stack)
    msg = with_tools.invoke("What is 12 times 12?")
    assert msg.tool_calls[0]["name"] == "multiply"
    assert all(isinstance(msg.tool_calls[0]["args"][k], (int, float)) for k in ("a", "b"))
    assert mock_requests(stack) - before == 2


def test_openai_sdk_parse(stack):
    client = OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0)
    parse = getattr(client.chat.completions, "parse", None) or client.beta.chat.completions.parse
    completion = parse(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Patient report please: {NOTES}"}],
        response_format=PatientReport,
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, PatientReport)
    assert isinstance(parsed.risk_level, int)
