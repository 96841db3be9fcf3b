"""DSCSA product verification: the VRS responder and its audit log.

* :mod:`medtrace.verify.responder` — answers verification requests (GS1 Lightweight Messaging
  Standard for Verification of Product Identifiers; GS1 US DSCSA VRS guideline; DSCSA §582)
  from the item-state projection;
* :mod:`medtrace.verify.audit` — every request and its answer, for audit and integrity analysis.
"""
