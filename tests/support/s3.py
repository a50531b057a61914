"""A local S3-compatible server for the shared snapshot store: moto's ThreadedMotoServer on
127.0.0.1 with a free port, spoken to over real HTTP by boto3, with test credentials."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.network import free_port

# boto3 reads these; a test server accepts any, and with them set it never looks for real ones.
TEST_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def s3_server() -> Iterator[str]:
    """A running moto S3 server; yields its endpoint URL. Sets the test credentials meanwhile."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    saved = {name: os.environ.get(name) for name in TEST_AWS_ENV}
    os.environ.update(TEST_AWS_ENV)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def new_bucket(endpoint: str) -> str:
    """A new empty bucket on the server; returns its name."""
    import boto3

    name = f"snapshots-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
    return name
