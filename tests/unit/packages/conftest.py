"""Package test fixtures: moto's S3 server and inspector, as the storage suite has them."""

from tests.fixtures.blob_stores import moto_endpoint, s3_inspector

__all__ = ["moto_endpoint", "s3_inspector"]
