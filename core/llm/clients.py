"""The one place Switchyard builds its service clients and turns their failures into the
project's errors: boto3 clients for Bedrock and S3, and the OpenAI-compatible HTTP caller.

boto3 is imported only when a client is built (it takes a while to import). Credentials
always come from boto3's own chain; an ``endpoint_url`` (a VPC endpoint, a test's fake) and
boto3's ``AWS_ENDPOINT_URL_<SERVICE>`` variables work as boto3 documents them. A failure
that the user fixes outside Switchyard (credentials, permissions, region, model id,
network) leaves ``core`` as a ``ServiceError`` whose message says what to do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.errors import ServiceError
from core.llm import endpoints
from core.types import DEFAULT_REGION


class Throttled(Exception):
    """The endpoint asked us to slow down (HTTP 429); the runner retries it."""


# --- boto3 ------------------------------------------------------------------------------------


def region_or_default(region: str | None) -> str:
    """The region asked for, else the one boto3's configuration names, else DEFAULT_REGION."""
    if region:
        return region
    import boto3

    return boto3.session.Session().region_name or DEFAULT_REGION


def aws(
    service: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    **config: Any,
):
    """A boto3 client for ``service``; ``config``: botocore Config options (retries,
    read_timeout, connect_timeout, max_pool_connections)."""
    import boto3
    from botocore.config import Config

    with mapped(service):
        return boto3.client(
            service,
            region_name=region_or_default(region),
            endpoint_url=endpoint_url or None,
            config=Config(**config) if config else None,
        )


def bedrock_runtime(region: str | None = None, endpoint_url: str | None = None, **config: Any):
    """Model calls: Converse, ConverseStream, InvokeModel."""
    return aws("bedrock-runtime", region, endpoint_url, **config)


def bedrock(region: str | None = None, endpoint_url: str | None = None):
    """The control plane: evaluation jobs."""
    return aws("bedrock", region, endpoint_url)


def agent_runtime(region: str | None = None, endpoint_url: str | None = None):
    """Bedrock Prompt Optimization (``optimize_prompt``)."""
    return aws("bedrock-agent-runtime", region, endpoint_url)


def s3(region: str | None = None, endpoint_url: str | None = None):
    return aws("s3", region, endpoint_url)


# Error codes and what the user does about them.
ADVICE = {
    "AccessDeniedException": "the AWS identity lacks permission for this call: grant it in IAM"
    " (and, for a model, request access in the Bedrock console's Model access page)",
    "AccessDenied": "the AWS identity lacks permission for this bucket or key: grant it in IAM",
    "UnrecognizedClientException": "AWS did not recognise the credentials: check the access"
    " key, or sign in again",
    "InvalidSignatureException": "AWS rejected the request signature: check the secret key",
    "ExpiredTokenException": "the AWS credentials have expired: sign in again (e.g. aws sso login)",
    "ExpiredToken": "the AWS credentials have expired: sign in again (e.g. aws sso login)",
    "ResourceNotFoundException": "not found: check the model id or ARN, and that the region"
    " offers it",
    "ValidationException": "the service refused the request: check the model id, the region"
    " and the parameters",
    "NoSuchBucket": "no such bucket: check the s3:// URI and the region",
    "ThrottlingException": "throttled: lower the concurrency, or ask for a higher quota",
    "ServiceQuotaExceededException": "a service quota is exhausted: ask for a higher quota",
}


def explain(exc: BaseException) -> str | None:
    """What went wrong and what to do, for a boto3/botocore failure; None for anything else."""
    try:
        import botocore.exceptions as bc
    except ImportError:  # boto3 not installed: no boto3 error can occur
        return None
    if isinstance(exc, bc.NoCredentialsError | bc.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY), or sign in with aws sso login"
        )
    if isinstance(exc, bc.CredentialRetrievalError):
        return f"{exc}: sign in again (e.g. aws sso login)"
    if isinstance(exc, bc.NoRegionError):
        return f"no AWS region configured: name one, or set AWS_DEFAULT_REGION ({exc})"
    if isinstance(exc, bc.EndpointConnectionError | bc.ConnectTimeoutError):
        return f"{exc}: check the network, the region and the endpoint URL"
    if isinstance(exc, bc.ReadTimeoutError):
        return f"{exc}: the service did not answer in time; try again, or raise the timeout"
    if isinstance(exc, bc.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        advice = ADVICE.get(code, "the service refused the request")
        return f"{advice} ({code}: {error.get('Message') or exc})"
    if isinstance(exc, bc.BotoCoreError):
        return f"{exc}: check the AWS configuration"
    return None


@contextmanager
def mapped(what: str) -> Iterator[None]:
    """Run a service call; a boto3 failure leaves as a ServiceError naming ``what``."""
    try:
        yield
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise
        raise ServiceError(f"{what}: {message}") from exc


# --- OpenAI-compatible endpoints --------------------------------------------------------------


def openai_open(endpoint_url: str | None, path: str, body: dict, api_key_env: str, timeout: float):
    """POST ``body`` to an OpenAI-compatible endpoint; the open response. HTTP 429 raises
    Throttled; other HTTP and network failures a ServiceError that says what to check."""
    if not endpoint_url:
        raise ServiceError("an OpenAI-compatible endpoint needs its base URL")
    request = endpoints.request(endpoint_url, path, body, api_key_env)
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - endpoints: http(s) only
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            raise Throttled(f"HTTP 429 from {endpoint_url}") from None
        hint = {
            401: f"check the API key in ${api_key_env}",
            403: f"the key in ${api_key_env} may not use this model",
            404: "check the base URL (usually ending in /v1) and the model id",
        }.get(exc.code, "check the base URL, the model id and the endpoint's logs")
        raise ServiceError(f"HTTP {exc.code} {exc.reason} from {request.full_url}: {hint}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(
            f"could not reach {request.full_url} ({reason}): check the base URL and the network"
        ) from exc


def openai_json(
    endpoint_url: str | None, path: str, body: dict, api_key_env: str, timeout: float = 120
) -> dict:
    """One non-streamed OpenAI-compatible call; its JSON answer."""
    with openai_open(endpoint_url, path, body, api_key_env, timeout) as response:
        return json.loads(response.read())


def openai_events(response) -> Iterator[dict]:
    """The JSON chunks of a server-sent-events stream, up to ``data: [DONE]``."""
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        yield json.loads(data)
