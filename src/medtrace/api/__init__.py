"""The HTTP service: EPCIS 2.0 REST binding, DSCSA verification responder, app API."""
