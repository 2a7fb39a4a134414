"""Tools beside the pipeline: synthetic extracts for demos and tests (``generate``) and the
measurements of ``oopwatch bench`` (``bench``, with the scripts it runs in ``benchmarks/`` here)."""
