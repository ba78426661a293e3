"""core.llm.clients: where clients are built, and failures made into errors saying what to do."""

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber

from core.errors import ServiceError
from core.llm import clients, prompts
from core.types import DEFAULT_REGION


def test_the_region_is_the_one_asked_for_else_boto3s_else_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert clients.region_or_default("ap-south-1") == "ap-south-1"
    assert clients.region_or_default(None) == "eu-west-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert clients.region_or_default(None) == DEFAULT_REGION
    assert clients.bedrock().meta.region_name == DEFAULT_REGION


def test_an_endpoint_url_is_used(fake_bedrock):
    fake = fake_bedrock()
    assert clients.bedrock_runtime(endpoint_url=fake.url).meta.endpoint_url == fake.url
    assert clients.agent_runtime("eu-west-1", fake.url).meta.region_name == "eu-west-1"


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (NoCredentialsError(), "AWS_PROFILE"),
        (EndpointConnectionError(endpoint_url="https://x"), "check the network"),
    ],
)
def test_boto3_failures_leave_as_service_errors_that_say_what_to_do(error, advice):
    with pytest.raises(ServiceError, match=advice) as caught, clients.mapped("the call"):
        raise error
    assert str(caught.value).startswith("the call: ")


def test_other_errors_pass_through_unchanged():
    with pytest.raises(KeyError), clients.mapped("the call"):
        raise KeyError("a bug, not the service")


def test_access_denied_on_prompt_optimization_names_iam(demo_con):
    con = demo_con(8)
    migration_id = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    model = con.execute("SELECT model_id FROM run WHERE role = 'source'").fetchone()[0]
    version = prompts.create(con, migration_id, model, "Answer briefly.", actor="owner")
    client = clients.agent_runtime()
    with Stubber(client) as stub:
        stub.add_client_error("optimize_prompt", "AccessDeniedException", "not allowed")
        with pytest.raises(ServiceError, match=r"Bedrock Prompt Optimization: .*IAM"):
            prompts.optimize(con, migration_id, version, model, actor="owner", client=client)


def test_openai_http_errors_say_what_to_check(fake_bedrock):
    fake = fake_bedrock()
    with pytest.raises(ServiceError, match=r"HTTP 404 .* check the base URL"):
        clients.openai_json(fake.url, "/nowhere", {}, "OPENAI_API_KEY")
    with pytest.raises(ServiceError, match="needs its base URL"):
        clients.openai_json(None, "/chat/completions", {}, "OPENAI_API_KEY")
