"""OpenAI-compatible endpoints: requests go to http(s) URLs only.

``urllib`` opens ``file:`` and custom schemes too, so a base URL such as ``file:///etc/passwd``
would read a local file; ``request`` refuses any scheme but http and https before a request
exists. The API key is read from the environment variable the configuration names.
"""

from __future__ import annotations

import json
import os
import urllib.request

from core.errors import InputError


def request(endpoint_url: str, path: str, body: dict, api_key_env: str) -> urllib.request.Request:
    """A JSON POST to ``endpoint_url`` + ``path``, bearing the key from ``api_key_env``."""
    if not endpoint_url.lower().startswith(("http://", "https://")):
        raise InputError(
            "endpoint",
            f"the base URL must start with http:// or https://, got {endpoint_url!r}",
        )
    return urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        endpoint_url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {os.environ.get(api_key_env, '')}",
        },
    )
