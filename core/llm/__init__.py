"""Calling models.

The runner, the judges Switchyard runs itself, prompt versions, Bedrock evaluation jobs.
"""
