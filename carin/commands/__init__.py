"""Sub-commands of the ``carin`` CLI: one module per command, each with ``register(subparsers)``.

A module registers its parser and sets ``func`` (``args -> int`` exit code) with
``parser.set_defaults(func=...)``. Raise :class:`carin.errors.CarinError` for user errors.
"""
