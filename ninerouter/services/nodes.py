"""Custom provider nodes (OpenAI- or Anthropic-compatible endpoints), for the admin API and the CLI."""

from __future__ import annotations

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.models import ProviderNode
from ninerouter.registry import CUSTOM_NODE_TYPES
from ninerouter.services.providers import check_prefix, validate_base_url
from ninerouter.store import Store

API_TYPES = ("chat", "responses")


def create_node(
    store: Store, *, node_type: str, name: str, prefix: str, base_url: str, api_type: str
) -> ProviderNode:
    if node_type not in CUSTOM_NODE_TYPES:
        raise UserError(f"type must be one of {', '.join(CUSTOM_NODE_TYPES)}, not '{node_type}'.")
    if not name.strip():
        raise UserError("name is required.")
    if api_type not in API_TYPES:
        raise UserError(f"apiType must be one of {', '.join(API_TYPES)}.")
    check_prefix(prefix)
    url = validate_base_url(base_url)
    with store.write():
        if store.nodes.by_prefix(prefix) is not None:
            raise Conflict(f"prefix '{prefix}' is already used by another node.")
        return store.nodes.insert(
            node_type=node_type, name=name.strip(), prefix=prefix, base_url=url, api_type=api_type
        )


def update_node(
    store: Store,
    node_id: str,
    *,
    name: str | None = None,
    prefix: str | None = None,
    base_url: str | None = None,
    api_type: str | None = None,
) -> ProviderNode:
    """Change a node and copy the change into its connections' providerSpecificData."""
    if name is not None and not name.strip():
        raise UserError("name must not be empty.")
    if prefix is not None:
        check_prefix(prefix)
    if api_type is not None and api_type not in API_TYPES:
        raise UserError(f"apiType must be one of {', '.join(API_TYPES)}.")
    url = validate_base_url(base_url) if base_url is not None else None
    with store.write():
        node = store.nodes.get(node_id)
        if node is None:
            raise NotFound(f"no provider node with id '{node_id}'.")
        if prefix is not None:
            other = store.nodes.by_prefix(prefix)
            if other is not None and other.id != node.id:
                raise Conflict(f"prefix '{prefix}' is already used by another node.")
        fields = {
            "prefix": prefix or node.prefix,
            "apiType": api_type or node.api_type,
            "baseUrl": url or node.base_url,
        }
        new_name = name.strip() if name is not None else node.name
        store.nodes.update(node.id, name=new_name, fields=fields)
        for conn in store.connections.all(node.id):
            store.connections.update(
                conn.id, data={"providerSpecificData": {**fields, "nodeName": new_name}}
            )
        updated = store.nodes.get(node.id)
        assert updated is not None
        return updated


def delete_node(store: Store, node_id: str) -> ProviderNode:
    """Delete a node and every connection under it (as 9Router does)."""
    with store.write():
        node = store.nodes.get(node_id)
        if node is None:
            raise NotFound(f"no provider node with id '{node_id}'.")
        for conn in store.connections.all(node.id):
            store.connections.delete(conn.id)
        store.nodes.delete(node.id)
        return node
