"""The judge model as Ragas and DeepEval want it, over Amazon Bedrock (plain boto3) or an
OpenAI-compatible endpoint.

DeepEval's own Bedrock model needs aiobotocore, which conflicts with current boto3, so the
judge is a ``DeepEvalBaseLLM`` subclass over ``converse``; Ragas gets a small LangChain chat
model over the same call (and Titan embeddings through ``invoke_model`` for answer
relevancy). The libraries are imported only inside these functions, after
``core.telemetry`` has switched their telemetry off.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import telemetry
from core.errors import InputError
from core.llm import clients, converse
from core.types import PROVIDERS

if TYPE_CHECKING:
    from core.llm.judges import JudgeConfig


def bedrock_runtime(config: JudgeConfig):
    """One client for every judge thread (boto3 clients are thread-safe); botocore retries
    throttled calls itself here, as the judge libraries do not."""
    return clients.bedrock_runtime(
        config.region,
        config.endpoint_url,
        retries={"mode": "standard", "max_attempts": 6},
        read_timeout=120,
    )


@dataclass(frozen=True)
class JudgeModel:
    """The two things a judge library needs from a model: text for a prompt, and a vector
    for a text (Ragas' answer relevancy)."""

    name: str
    complete: Callable[[str], str]
    embed: Callable[[str], list[float]]


def judge_model(config: JudgeConfig, client=None) -> JudgeModel:
    if config.provider not in PROVIDERS:
        raise InputError("judge", f"provider must be bedrock or openai, got {config.provider!r}")
    if config.provider == "openai":
        return _openai_model(config)
    client = client or bedrock_runtime(config)

    def embed_titan(text: str) -> list[float]:
        response = client.invoke_model(
            modelId=config.embedding_model_id,
            body=json.dumps({"inputText": text}),
            contentType="application/json",
            accept="application/json",
        )
        return json.loads(response["body"].read())["embedding"]

    return JudgeModel(
        f"bedrock:{config.model_id}",
        lambda prompt: converse.converse_text(client, config.model_id, prompt),
        embed_titan,
    )


def _openai_model(config: JudgeConfig) -> JudgeModel:
    if not config.endpoint_url:
        raise InputError("judge", "an OpenAI-compatible judge needs its base URL")

    def post(path: str, body: dict) -> dict:
        return clients.openai_json(config.endpoint_url, path, body, config.api_key_env)

    def complete(prompt: str) -> str:
        body = {
            "model": config.model_id,
            "temperature": 0.0,
            "messages": [{"role": "user", "content": prompt}],
        }
        return post("/chat/completions", body)["choices"][0]["message"]["content"] or ""

    def embed(text: str) -> list[float]:
        body = {"model": config.embedding_model_id, "input": text}
        return post("/embeddings", body)["data"][0]["embedding"]

    return JudgeModel(f"openai:{config.model_id}", complete, embed)


def deepeval_judge(model: JudgeModel):
    """A DeepEval judge model over ``model`` (plain boto3 for Bedrock: no aiobotocore)."""
    telemetry.disable()
    from deepeval.models import DeepEvalBaseLLM

    class SwitchyardJudge(DeepEvalBaseLLM):
        def __init__(self) -> None:
            super().__init__(model.name)

        def load_model(self):
            return model

        def generate(self, prompt: str) -> str:
            return model.complete(prompt)

        async def a_generate(self, prompt: str) -> str:
            return await asyncio.to_thread(model.complete, prompt)

        def get_model_name(self) -> str:
            return model.name

    return SwitchyardJudge()


def ragas_models(model: JudgeModel):
    """Ragas' LLM and embeddings, as LangChain models over ``model``."""
    telemetry.disable()
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper

    class JudgeChat(BaseChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
            text = model.complete("\n".join(str(m.content) for m in messages))
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

        @property
        def _llm_type(self) -> str:
            return "switchyard-judge"

    class JudgeEmbeddings(Embeddings):
        def embed_query(self, text: str) -> list[float]:
            return model.embed(text)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [model.embed(t) for t in texts]

    return LangchainLLMWrapper(JudgeChat()), LangchainEmbeddingsWrapper(JudgeEmbeddings())
