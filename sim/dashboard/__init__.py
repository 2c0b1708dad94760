"""The classroom dashboard (``make viz``): eurosec live in a browser, offline.

``sim.dashboard.app`` is the Solara app (importable without a server, as in Mesa's examples);
``sim.dashboard.session`` the state behind a page, ``views`` its matplotlib figures, ``game``
the classroom game. It needs the ``viz`` extra (requirements-viz.lock, ``make venv-viz``);
``session``, ``views`` and ``game`` need only the base dependencies.
"""
