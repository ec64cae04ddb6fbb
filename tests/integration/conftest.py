import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import get_settings


@pytest.fixture
def aws(monkeypatch):
    """moto in-process with the table, bucket, sending identity and desk topic created."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.com")
    with mock_aws():
        ensure_resources(get_settings())
        yield


@pytest.fixture
def client(aws):
    from app import app

    with Client(app) as test_client:
        yield test_client
