"""Fixtures of the batch tests: S3 in moto, the Bedrock control plane on a real boto3 client
under botocore's Stubber, the golden fixture frozen with the list prices."""

from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from core.catalog import datasets, models
from core.llm import clients
from tests.core.llm.batch_helpers import BUCKET


@pytest.fixture
def aws():
    """moto's S3 with the bucket made; a real bedrock client whose calls the Stubber answers
    (a call nobody queued fails the test)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        bedrock = clients.bedrock("us-east-1")
        with Stubber(bedrock) as stub:
            yield SimpleNamespace(s3=s3, bedrock=bedrock, stub=stub)


@pytest.fixture
def fin(con, golden):
    """fin@1 (six items q1-q6 over five strata), frozen, with the shipped list prices."""
    models.load_price_file(con, "tester")
    datasets.freeze(con, "fin@1", "tester")
    return con
