"""``DELETE /nextPageToken/{token}`` of the EPCIS 2.0 REST binding (EPCIS 2.0 §12.6;
``openapi.yaml``: "Optional endpoint that allows on-demand release of any resources associated
with ``nextPageToken``", ``204NextPageTokenInvalidated``).

medtrace's tokens are keyset cursors: the server holds no resources for them
(:mod:`medtrace.store.page_tokens`). This endpoint therefore *invalidates* the token: ``204``,
and from then on a request carrying it is refused with the same ``400 QueryParameterException``
(``parameter: nextPageToken``) as an altered or foreign token. It accepts every token the
service issues (event queries, named queries, the top-level resources, capture jobs,
subscriptions) and is idempotent (invalidating an invalidated token is ``204`` again). A
string that is not a token issued by this server is that same ``400`` problem. Any
authenticated organization may invalidate a token (it pages with it, so it holds it; auditors
and regulators page too): no ``403``.
"""

from __future__ import annotations

import time
from typing import Any, Final

from litestar import Request, delete
from litestar.params import FromPath

from medtrace.api import common
from medtrace.store import page_tokens

__all__ = ["next_page_token_handlers"]


def _invalidate(request: Request[Any, Any, Any], token: str) -> None:
    user = common.principal(request)
    page_tokens.revoke(
        common.repository(request).engine,
        token,
        org_id=user.org_id,
        now=time.time_ns() // 1000,
    )


@delete(
    "/nextPageToken/{token:str}",
    status_code=204,
    summary="Invalidate a nextPageToken",
    tags=["Queries"],
    opt={"any_role": True},
)
async def invalidate_token(request: Request[Any, Any, Any], token: FromPath[str]) -> None:
    """Invalidate a ``nextPageToken`` (from a ``Link: rel="next"`` header): later requests
    with it are refused (``400 QueryParameterException``). Idempotent."""
    await common.in_thread(_invalidate, request, token)


next_page_token_handlers: Final = [invalidate_token]
"""Every handler of this module, for :func:`medtrace.api.app.create_app`."""
