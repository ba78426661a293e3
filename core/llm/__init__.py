"""Calling models.

clients builds every boto3 client and the OpenAI-compatible caller, and maps their failures
to ServiceError; converse makes one call; runner, judges (with judge_models), prompts and
bedrock_eval build on them.
"""
