"""Validate STAC objects with ``jsonschema`` against the offline schemas in ``../shared``.

Every ``$ref`` is resolved from ``stac-schemas/schema-config.json`` (schema URL → file); nothing
is fetched. An object is checked against its core schema (by type and ``stac_version``) and the
schema of every extension it declares.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.conftest import PROJECT

SCHEMAS = PROJECT.parent / "shared" / "stac-schemas"
CORE = {
    "Feature": "item-spec/json-schema/item.json",
    "Catalog": "catalog-spec/json-schema/catalog.json",
    "Collection": "collection-spec/json-schema/collection.json",
}


def _plain(url: str) -> str:
    return url.replace("https://", "http://", 1).split("#", 1)[0]


@cache
def _files() -> dict[str, Path]:
    config = orjson.loads((SCHEMAS / "schema-config.json").read_bytes())
    return {_plain(url): SCHEMAS / path for url, path in config["schemas"].items()}


@cache
def _retrieve(url: str) -> Resource[Any]:
    path = _files().get(_plain(url))
    if path is None:
        raise LookupError(f"{url} is not in the offline schemas")
    return Resource.from_contents(orjson.loads(path.read_bytes()), default_specification=DRAFT7)


@cache
def _registry() -> Registry[Any]:
    """Every offline schema under its http and https URL, crawled once (subschema ids found)."""
    resources = []
    for plain in _files():
        try:
            resource = _retrieve(plain)
        except orjson.JSONDecodeError:
            continue  # a few mirrored schemas are not JSON (trailing commas); none we use
        resources += [(plain, resource), (plain.replace("http://", "https://", 1), resource)]
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    return registry.with_resources(resources).crawl()


@cache
def _validator(url: str) -> Any:
    schema = _retrieve(url).contents
    cls = validator_for(schema, default=Draft7Validator)
    return cls(schema, registry=_registry())


def schema_urls(document: dict[str, Any]) -> list[str]:
    version = document["stac_version"]
    core = f"https://schemas.stacspec.org/v{version}/{CORE[document['type']]}"
    return [core, *document.get("stac_extensions", [])]


def problems(document: dict[str, Any]) -> list[str]:
    """Every schema violation of ``document``, as ``schema: message at path`` lines."""
    found: list[str] = []
    for url in schema_urls(document):
        errors: list[ValidationError] = list(_validator(url).iter_errors(document))
        found += [f"{url}: {e.message} at {list(e.absolute_path)}" for e in errors]
    return found
