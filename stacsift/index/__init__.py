"""The index format: tantivy schema, documents, manifest, reader and writer."""
