"""What every transport (REST, GraphQL, the pages) shares, and none of them owns.

- `requests`: the service container of a request, the token check, JSON bodies and models,
  the public base URL;
- `artifacts`: the one resolver of `{artifact_type}/{id}` paths to an artifact;
- `downloads`: a package or part as a response (307 to a presigned URL, else Range, ETag and
  zero-copy);
- `responses`: JSON responses, and the error body that renders whatever input it echoes.
"""
