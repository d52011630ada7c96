"""Event-driven reindexing: an object event is a hint, the bucket is the truth.

:mod:`~stacsift.reindex.watch` decides which keys are indexed, :mod:`~stacsift.reindex.objects`
reads an object's current state (present → its documents, absent → nothing) and
:mod:`~stacsift.reindex.apply` publishes a batch of states as one generation, leaving the
comparison with what is indexed to :mod:`stacsift.index.origins`.
"""
