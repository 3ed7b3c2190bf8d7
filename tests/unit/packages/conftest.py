"""Package test fixtures: moto's S3 server and inspector, shared with the storage suite."""

from tests.unit.storage.conftest import moto_endpoint, s3_inspector

__all__ = ["moto_endpoint", "s3_inspector"]
