"""Benchmarks. They run against moto in this process only: importing the package replaces any AWS
credentials, profile or endpoint in the environment with fake ones, before anything makes a client,
so a benchmark can never reach a real account or the network."""

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_DISABLED="true",
)
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)
