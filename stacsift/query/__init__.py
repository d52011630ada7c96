"""Query translation: request parameters and free text → tantivy queries (pure logic)."""
