"""lrdiag's MLflow integration: the run page is the surface (MLflow has no UI plugins for runs).

One module per job; each imports ``mlflow`` only when called, so ``import lrdiag.mlflow.<module>``
is cheap and works without MLflow installed until MLflow is actually needed:

* ``tracking``   -- the tracking URI: resolving it, probing a server, describing failures, the
  bounded HTTP retries of one-shot commands, the user's active run;
* ``run_target`` -- ``RunTarget``: one run on one tracking store. Creates the run idempotently
  (a client-side run key, see ``RUN_KEY_TAG``), knows each metric key's latest step there, and
  sends values past it in batches of at most 1,000 (the ordering invariant that makes resending
  exact is stated there);
* ``cursor``     -- ``<run_dir>/lrdiag-mlflow.json``: which run a run directory logs to, and how far;
* ``run_page``   -- what a report puts on the run page: ``lrdiag.*`` tags, the Markdown section of
  the description, the ``lrdiag/`` artifacts, and ``write_back`` (``lrdiag analyze --write-back``);
* ``sink``       -- ``MLflowSink``: asynchronous batched logging while training runs;
* ``sync``       -- ``lrdiag sync RUN_DIR``: resend from the local store what the run is missing;
* ``sweep``      -- final loss against LR over a sweep: best LR, its interval, unstable runs;
* ``experiment`` -- ``lrdiag analyze --mlflow-experiment``: every run of an experiment, analysed,
  with the sweep view as text, Markdown, JSON or HTML.

``lrdiag.sinks.mlflow_sink`` re-exports the public names for code that imports them from there.
"""
