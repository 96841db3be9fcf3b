"""medtrace: open-source track and trace for medicines and medical devices.

Layers (see ``docs/architecture.md``): ``gs1`` and ``epcis`` are pure languages; capabilities and
interfaces (``cli``) build on them. Imports point down only.
"""

__version__ = "0.1.0"
