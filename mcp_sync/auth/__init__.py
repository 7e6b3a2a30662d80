"""Pieces shared by the OAuth client (``mcp_sync.client.auth``) and the resource
server (``mcp_sync.server.auth``): compact JWS/JWT and JWK helpers in :mod:`.jose`."""
