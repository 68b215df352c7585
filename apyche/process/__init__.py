"""The process model: a master that binds, forks and supervises workers
(``master``), the workers (``worker``), the shared scoreboard
(``scoreboard``), the spawn-rate policy (``spawn``), mod_status (``status``),
``-k`` and daemonizing (``control``) and ``apyche status`` (``status_cli``).

See ``master`` for how Apache's MPM directives map to async workers.
"""
