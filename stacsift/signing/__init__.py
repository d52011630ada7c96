"""Presigned GET URLs for objects in S3-compatible buckets, only for what the operator allows.

- :mod:`stacsift.signing.hrefs` turns an asset href into a bucket and key (pure);
- :mod:`stacsift.signing.policy` holds the allow-list and the expiry bounds (pure);
- :mod:`stacsift.signing.signer` is the thin adapter that computes signatures (obstore);
- :mod:`stacsift.signing.presigner` puts them together for single hrefs, lists and items.
"""
