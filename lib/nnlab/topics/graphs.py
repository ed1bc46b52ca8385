"""Directed acyclic graphs (DAGs) given as edge lists, and their depth.

A graph is a sequence of edges ``(u, v)`` meaning "u feeds v"; nodes are any hashable
names. Depth is the length (number of edges) of the longest path from a source (no
incoming edge) to a sink (no outgoing edge), as on the slide "Non-linearity".
"""
from collections import deque
from collections.abc import Hashable


def _edge_list(edges):
    """Check edges is a sequence of (u, v) pairs of hashable nodes and return it as a list of tuples."""
    if isinstance(edges, (str, bytes)) or not hasattr(edges, "__iter__"):
        raise TypeError(f"edges must be a sequence of (u, v) pairs, got {type(edges).__name__}")
    out = []
    for k, e in enumerate(edges):
        if isinstance(e, (str, bytes)) or not hasattr(e, "__len__") or len(e) != 2:
            raise ValueError(f"edges[{k}] must be a pair (u, v), got {e!r}")
        u, v = e
        if not isinstance(u, Hashable) or not isinstance(v, Hashable):
            raise TypeError(f"edges[{k}] must hold hashable node names, got {e!r}")
        out.append((u, v))
    return out


def nodes(edges):
    """All nodes that appear in edges, in order of first appearance."""
    seen = {}
    for u, v in _edge_list(edges):
        seen.setdefault(u, None)
        seen.setdefault(v, None)
    return list(seen)


def topological_order(edges):
    """Nodes ordered so every edge goes forward (Kahn's algorithm); ValueError if there is a cycle."""
    edges = _edge_list(edges)
    order_of = {n: i for i, n in enumerate(nodes(edges))}
    children = {n: [] for n in order_of}
    indegree = dict.fromkeys(order_of, 0)
    for u, v in edges:
        children[u].append(v)
        indegree[v] += 1
    ready = deque(n for n in order_of if indegree[n] == 0)
    order = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for c in children[n]:
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    if len(order) < len(order_of):
        stuck = [n for n in order_of if indegree[n] > 0]
        raise ValueError(f"edges must form a DAG, but the nodes {stuck} lie on or after a cycle")
    return order


def levels(edges):
    """{node: length of the longest path from any source to that node}; sources get 0."""
    edges = _edge_list(edges)
    parents = {n: [] for n in nodes(edges)}
    for u, v in edges:
        parents[v].append(u)
    level = {}
    for n in topological_order(edges):
        level[n] = max((level[p] + 1 for p in parents[n]), default=0)
    return level


def longest_path(edges):
    """One longest source-to-sink path, as a list of nodes ([] for no edges)."""
    edges = _edge_list(edges)
    if not edges:
        return []
    level = levels(edges)
    parents = {n: [] for n in level}
    for u, v in edges:
        parents[v].append(u)
    node = max(level, key=level.get)  # first node (in order of appearance) at the deepest level
    path = [node]
    while parents[node]:
        node = next(p for p in parents[node] if level[p] == level[node] - 1)
        path.append(node)
    return path[::-1]


def depth(edges):
    """Length (in edges) of the longest path from a source to a sink; 0 for no edges."""
    return max(levels(edges).values(), default=0)


def layered_edges(layer_sizes, *, skip=()):
    """Edges of a fully connected layered network, nodes named (layer, unit).

    layer_sizes: e.g. [2, 3, 1]; skip: pairs (l1, l2) with l2 > l1 + 1 for extra full
    connections from layer l1 to layer l2 (skip connections).
    """
    sizes = list(layer_sizes)
    if len(sizes) < 1 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"layer_sizes must be a list of positive integers, got {layer_sizes!r}")
    pairs = [(l, l + 1) for l in range(len(sizes) - 1)]
    for k, pair in enumerate(skip):
        if len(pair) != 2 or not (0 <= pair[0] < pair[1] < len(sizes)):
            raise ValueError(f"skip[{k}] must be a pair (l1, l2) of layer indices with l1 < l2 < "
                             f"{len(sizes)}, got {pair!r}")
        pairs.append(tuple(pair))
    return [((a, i), (b, j)) for a, b in pairs for i in range(sizes[a]) for j in range(sizes[b])]


__all__ = ["depth", "levels", "longest_path", "topological_order", "nodes", "layered_edges"]
