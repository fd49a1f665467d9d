"""Building blocks of the in-process simulator provider (``providers.simulator``).

Owns the simulator's fault switches (``faults``), its compact resource records and
indexes (``store``) and their optional file persistence (``persist``). Nothing here
talks to a network. Must not import anything internal outside ``providers``.
"""
