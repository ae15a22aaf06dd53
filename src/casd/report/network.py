"""Who is linked to whom: actors that take part in the same event, or a speaker and who reported them.

Deterministic and simple: the most connected actors on a circle, grouped by kind, the links between
them as straight lines whose width grows with the number of shared events and statements.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from .data import Dataset, shorten


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    short: str
    kind: str
    degree: int
    x: float
    y: float
    r: float
    lx: float
    ly: float
    anchor: str


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    weight: int
    x1: float
    y1: float
    x2: float
    y2: float
    width: float


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float
    total_actors: int
    total_links: int
    pairs: list[tuple[str, str, int]]


def links(ds: Dataset) -> dict[tuple[str, str], int]:
    """(actor, actor) -> number of events and statements they share (a < b)."""
    by_event: dict[str, set[str]] = defaultdict(set)
    for p in ds.rows("event_participants"):
        by_event[p["event_id"]].add(p["actor_id"])
    groups = [sorted(v) for _, v in sorted(by_event.items())]
    for s in ds.rows("statements"):
        people = {s.get("speaker_id"), s.get("reported_by_id")} - {None}
        if len(people) > 1:
            groups.append(sorted(str(x) for x in people))
    weight: dict[tuple[str, str], int] = defaultdict(int)
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1 :]:
                weight[(a, b)] += 1
    return dict(weight)


def layout(ds: Dataset, limit: int = 32, width: float = 900.0, radius: float = 250.0) -> Graph:
    """The ``limit`` most connected actors on two arcs of a circle (right, then left), leaving its top
    and bottom free so that every label stays level and apart from its neighbours."""
    weight = links(ds)
    degree: dict[str, int] = defaultdict(int)
    for (a, b), w in weight.items():
        degree[a] += w
        degree[b] += w
    actors = ds.records.get("actors", {})
    ranked = sorted((a for a in degree if a in actors), key=lambda a: (-degree[a], a))[:limit]
    kinds = sorted({actors[a].get("kind") or "" for a in ranked})
    chosen = sorted(ranked, key=lambda a: (kinds.index(actors[a].get("kind") or ""), str(actors[a].get("name")).lower(), a))
    spread = math.radians(70)
    height = 2 * (radius * math.sin(spread) + 26)
    cx, cy = width / 2, height / 2
    top = max((degree[a] for a in chosen), default=1)
    right = (len(chosen) + 1) // 2
    nodes: dict[str, Node] = {}
    for i, a in enumerate(chosen):
        if i < right:  # down the right arc
            angle = -spread + 2 * spread * (i / max(right - 1, 1))
        else:  # then up the left arc, so that kinds run on clockwise
            j, n = i - right, len(chosen) - right
            angle = math.pi - spread + 2 * spread * (j / (n - 1)) if n > 1 else math.pi
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        lx = x + (12 if math.cos(angle) >= 0 else -12)
        name = str(actors[a].get("name"))
        nodes[a] = Node(a, name, shorten(name, 26), str(actors[a].get("kind") or ""), degree[a], x, y, 4 + 6 * math.sqrt(degree[a] / top), lx, y + 4, "start" if math.cos(angle) >= 0 else "end")
    edges = []
    heaviest = max((w for (a, b), w in weight.items() if a in nodes and b in nodes), default=1)
    for (a, b), w in sorted(weight.items()):
        if a in nodes and b in nodes:
            na, nb = nodes[a], nodes[b]
            edges.append(Edge(a, b, w, na.x, na.y, nb.x, nb.y, 0.8 + 3.2 * w / heaviest))
    pairs = sorted(((a, b, w) for (a, b), w in weight.items() if a in actors and b in actors), key=lambda t: (-t[2], t[0], t[1]))[:15]
    return Graph(list(nodes.values()), edges, width, height, len(degree), len(weight), pairs)
