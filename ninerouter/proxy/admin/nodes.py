"""/api/provider-nodes[/:id]: custom OpenAI- and Anthropic-compatible endpoints.

GET -> {"nodes"}; POST {name, prefix, baseUrl, type?, apiType?} -> 201 {"node"}; /:id PUT (merge of
name, prefix, baseUrl, apiType; copied into the node's connections) -> {"node"}; DELETE removes the
node and its connections, as 9Router does.
"""

from __future__ import annotations

from aiohttp import web

from ninerouter.proxy.admin.common import ok_json, read_body, read_db, text_field, write_db
from ninerouter.services.nodes import create_node, delete_node, update_node


async def list_nodes(request: web.Request) -> web.Response:
    nodes = await read_db(request, lambda s: s.nodes.all())
    return ok_json({"nodes": [n.public() for n in nodes]})


async def create(request: web.Request) -> web.Response:
    body = await read_body(request)
    name = text_field(body, "name", required=True) or ""
    prefix = (text_field(body, "prefix", required=True) or "").strip()
    base_url = text_field(body, "baseUrl", required=True) or ""
    node_type = text_field(body, "type") or "openai-compatible"
    api_type = text_field(body, "apiType") or "chat"
    node = await write_db(
        request,
        lambda s: create_node(
            s, node_type=node_type, name=name, prefix=prefix, base_url=base_url, api_type=api_type
        ),
    )
    return ok_json({"node": node.public()}, status=201)


async def update(request: web.Request) -> web.Response:
    node_id = request.match_info["id"]
    body = await read_body(request)
    prefix = text_field(body, "prefix")
    node = await write_db(
        request,
        lambda s: update_node(
            s,
            node_id,
            name=text_field(body, "name"),
            prefix=prefix.strip() if prefix is not None else None,
            base_url=text_field(body, "baseUrl"),
            api_type=text_field(body, "apiType"),
        ),
    )
    return ok_json({"node": node.public()})


async def delete(request: web.Request) -> web.Response:
    node_id = request.match_info["id"]
    await write_db(request, lambda s: delete_node(s, node_id))
    return ok_json({"success": True})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/provider-nodes", list_nodes, allow_head=False),
        web.post("/api/provider-nodes", create),
        web.put("/api/provider-nodes/{id}", update),
        web.delete("/api/provider-nodes/{id}", delete),
    ]
