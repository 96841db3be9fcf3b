"""The root of medtrace's small exception tree.

Every error medtrace raises on purpose derives from :class:`MedtraceError`. Each package adds one
sub-tree (``medtrace.gs1.errors``, ``medtrace.epcis.errors``, ...). Messages say what was expected,
what was got, and name the offending value, so that a CLI can print them and an HTTP layer can turn
them into RFC 7807 problem documents without rewording.
"""


class MedtraceError(Exception):
    """Base class of every deliberate medtrace error."""
