"""``triage loadgen``: realistic Swedish triage traffic against a running system, with
tail-keeping latency histograms, exact case accounting, a console table, JSON and a PNG.

Modules: ``population`` (who arrives where), ``traffic`` (what they answer),
``schedule`` (when they arrive), ``http_driver``/``kafka_driver``/``clinicians``
(how load is sent), ``ledger``/``tracker`` (what came back), ``histogram``,
``report``, ``plot``, ``run`` (one bounded run), ``findmax`` (step the rate up).
"""
