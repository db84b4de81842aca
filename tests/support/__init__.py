"""What tests share, in one place (fixtures stay in conftest.py): ``http`` (the client
type, ``bearer``, ``ok``), ``world`` (a network built through the API), ``runs``,
``uploads``, ``routing``, ``figures``, ``live`` and ``security`` (real processes and
raw sockets), ``receivers`` (webhook receivers)."""
