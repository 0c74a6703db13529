"""Helpers for the executable course book "Lecture 9: Convolutional Neural Networks".

Modules, by concern:

- :mod:`lecture_utils.data` — the data registry: mirror, cache, verified downloads, loaders;
- :mod:`lecture_utils.convolution` — convolution and pooling written out by hand;
- :mod:`lecture_utils.plotting` — figures (drawing only, no computation);
- :mod:`lecture_utils.runtime` — seeds and determinism for a chapter; freed memory given back.
"""

import os

# TensorFlow prints its start-up lines (oneDNN, CPU features) on stderr when it is first
# imported; they are noise in a course book.  This must run before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .runtime import return_freed_memory_where_tight

# Before TensorFlow allocates much: where memory is tight (Binder's 2 GB), freed tensors go
# back to the system at once (runtime.return_freed_memory says why).
return_freed_memory_where_tight()

__version__ = "0.1.0"
