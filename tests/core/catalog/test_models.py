"""Model identifiers as Bedrock writes them, resolved to the model ids runs store."""

import pytest

from core.catalog.models import resolve_model_id

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        (f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}", HAIKU),
        (f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET}", SONNET),
        (f"us.{SONNET}", SONNET),
        (f"eu.{HAIKU}", HAIKU),
        (f"global.{SONNET}", SONNET),
        (f"apac.{HAIKU}", HAIKU),
        (APP_PROFILE, APP_PROFILE),  # names no model: kept, the caller maps it with --run
        ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz", None),  # kept
        (HAIKU, HAIKU),
        ("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
        ("  amazon.nova-pro-v1:0 ", "amazon.nova-pro-v1:0"),
        ("my-endpoint-llama-2-7b", "my-endpoint-llama-2-7b"),  # SageMaker endpoint name
        ("us.other", "us.other"),  # a geography followed by no model id
    ],
)
def test_resolve_model_id(identifier, expected):
    assert resolve_model_id(identifier) == (expected or identifier)
