"""The batch job: crawl catalogs, build the index and table, publish them to a root."""
