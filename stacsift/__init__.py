"""stacsift core: the index format, object-store access and query logic shared by every edge."""

__version__ = "0.1.0"
