"""adrlens: can drug X cause condition Y? Graded, sourced answers from spontaneous reports,
labels and literature."""

from adrlens.errors import AdrlensError, DataNotFoundError, IngestError, StoreError

__version__ = "0.1.0"
__all__ = ["AdrlensError", "DataNotFoundError", "IngestError", "StoreError", "__version__"]
