"""Workflow diagrams: a definition's graph as SVG or Mermaid text, optionally marked with an instance's path.

Pure: it takes the definition JSON (and what an instance went through) and returns text, so the same
definition always gives the same bytes (snapshot-testable). The layered (Sugiyama) layout comes from
grandalf, a pure-Python graph layout library, so no Graphviz install is needed; the SVG is drawn here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from grandalf.routing import route_with_lines

__all__ = ["Overlay", "mermaid", "svg"]

# Display caption of each step type, and the shape it is drawn as.
CAPTIONS = {
    "START": "start", "END": "end", "USER_TASK": "user task", "AUTOMATED": "automated",
    "PARALLEL_FORK": "fork", "PARALLEL_JOIN": "join", "SUB_WORKFLOW": "sub-workflow",
    "WAIT_FOR_SIGNAL": "wait for signal", "WAIT_FOR_TIMER": "wait for timer", "UNKNOWN": "unknown step",
}
CIRCLES = {"START", "END"}
DIAMONDS = {"PARALLEL_FORK", "PARALLEL_JOIN"}
HEXAGONS = {"WAIT_FOR_SIGNAL", "WAIT_FOR_TIMER"}
LAYER_SPACE = 56
NODE_SPACE = 36
MARGIN = 24
LABEL_MAX = 42


@dataclass(frozen=True)
class Overlay:
    """What an instance went through: steps entered, steps it rests on now, steps that failed, and the
    transitions it executed."""

    visited: frozenset[str] = frozenset()
    current: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    taken: frozenset[str] = frozenset()
    status: str | None = None


@dataclass
class _Node:
    step_id: str
    name: str
    step_type: str
    detail: str | None = None
    w: float = 0
    h: float = 0
    xy: tuple[float, float] = (0.0, 0.0)


@dataclass
class _Edge:
    transition_id: str
    source: str
    target: str
    label: str
    points: list[tuple[float, float]] = field(default_factory=list)


class _EdgeView:
    """What grandalf writes an edge's route into."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []
        self.head_angle = 0.0

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in pts]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def condition_text(condition: Any) -> str:
    """A one-line reading of an inline condition: a business-rules tree (`field op value`, AND/OR/NOT) or
    JsonLogic (shown as compact JSON)."""
    if isinstance(condition, Mapping):
        if "field" in condition and "operator" in condition:
            return f"{condition['field']} {condition['operator']} {_text(condition.get('value'))}"
        operator = str(condition.get("operator", "")).upper()
        rules = condition.get("rules")
        if operator in ("AND", "OR") and isinstance(rules, list):
            return f" {operator.lower()} ".join(f"({condition_text(r)})" if isinstance(r, Mapping) and "rules" in r
                                                else condition_text(r) for r in rules)
        if operator == "NOT" and isinstance(rules, list):
            return "not (" + " and ".join(condition_text(r) for r in rules) + ")"
    return _text(condition)


def transition_label(transition: Mapping[str, Any]) -> str:
    """Trigger, then name, inline condition and guard rules: `auto: approved? [amount gt 100] rules: r1`."""
    parts = [str(transition.get("trigger") or "auto")]
    head = parts[0]
    if transition.get("transitionName"):
        head += f": {transition['transitionName']}"
    pieces = [head]
    if transition.get("condition") not in (None, {}, ""):
        pieces.append(f"[{condition_text(transition['condition'])}]")
    rules = [str(r.get("ruleId")) for r in transition.get("preConditions") or [] if isinstance(r, Mapping)]
    if rules:
        pieces.append("rules: " + ", ".join(rules))
    return _short(" ".join(pieces), LABEL_MAX * 2)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _detail(step: Mapping[str, Any]) -> str | None:
    """The one fact worth showing under a step's name: the child workflow, the signal, the timer, the queue."""
    step_type = step.get("stepType")
    config = _mapping(step.get("config"))
    if step_type == "SUB_WORKFLOW":
        sub = _mapping(step.get("subWorkflowConfig")) or config
        return f"runs {sub.get('subWorkflowId')}" if sub.get("subWorkflowId") else None
    if step_type == "WAIT_FOR_SIGNAL":
        signal = _mapping(step.get("signalConfig")) or config
        return f"signal {signal.get('signalName')}" if signal.get("signalName") else None
    if step_type == "WAIT_FOR_TIMER":
        timer = config or _mapping(step.get("timerConfig"))
        value = timer.get("duration") or timer.get("until")
        return f"timer {value}" if value else None
    if step_type == "USER_TASK":
        task = _mapping(step.get("userTaskConfig"))
        who = task.get("assignedToRoles") or task.get("assignedTo")
        if isinstance(who, list):
            return "roles " + ", ".join(map(str, who))
        return f"for {who}" if who else None
    return None


def _graph(definition: Mapping[str, Any]) -> tuple[list[_Node], list[_Edge]]:
    nodes: dict[str, _Node] = {}
    for step in definition.get("steps") or []:
        if not isinstance(step, Mapping) or not isinstance(step.get("stepId"), str):
            continue
        if step["stepId"] in nodes:  # a duplicate id (a lint warning): the first one is the step the engine uses
            continue
        nodes[step["stepId"]] = _Node(step["stepId"], str(step.get("stepName") or step["stepId"]),
                                      str(step.get("stepType") or "UNKNOWN"), _detail(step))
    edges: list[_Edge] = []
    for transition in definition.get("transitions") or []:
        if not isinstance(transition, Mapping):
            continue
        source, target = str(transition.get("fromStepId")), str(transition.get("toStepId"))
        for ref in (source, target):
            if ref not in nodes:  # drawn, so the designer sees where the dangling transition points
                nodes[ref] = _Node(ref, ref, "UNKNOWN")
        edges.append(_Edge(str(transition.get("transitionId")), source, target, transition_label(transition)))
    for node in nodes.values():
        node.w, node.h = _size(node)
    return list(nodes.values()), edges


def _size(node: _Node) -> tuple[float, float]:
    if node.step_type in CIRCLES:
        return 48.0, 48.0
    if node.step_type in DIAMONDS:
        return 64.0, 64.0
    longest = max(len(_short(node.name, 30)), len(_short(node.detail or "", 30)), len(CAPTIONS.get(node.step_type, "")))
    return float(max(140, min(260, 7 * longest + 32))), 60.0


def _layout(nodes: list[_Node], edges: list[_Edge]) -> tuple[float, float]:
    """Place the nodes top-down in layers (connected parts side by side) and route the edges; returns the
    drawing's width and height."""
    vertices = {n.step_id: Vertex(n) for n in nodes}
    for vertex in vertices.values():
        vertex.view = vertex.data  # grandalf reads w, h and writes xy on the view
    graph_edges: list[tuple[_Edge, Edge]] = []
    for e in edges:
        if e.source == e.target:
            continue
        edge = Edge(vertices[e.source], vertices[e.target])
        edge.view = _EdgeView()
        graph_edges.append((e, edge))
    graph = Graph(list(vertices.values()), [g for _, g in graph_edges])
    x_offset = 0.0
    height = 0.0
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = NODE_SPACE, LAYER_SPACE
        layout.route_edge = route_with_lines
        roots = [v for v in component.sV if v.data.step_type == "START"]
        layout.init_all(roots=roots or None)
        layout.draw()
        members = [v.data for v in component.sV]
        left = min(n.xy[0] - n.w / 2 for n in members)
        right = max(n.xy[0] + n.w / 2 for n in members)
        top = min(n.xy[1] - n.h / 2 for n in members)
        shift = (x_offset - left, -top)
        for n in members:
            n.xy = (n.xy[0] + shift[0] + MARGIN, n.xy[1] + shift[1] + MARGIN)
        for e, g in graph_edges:
            if g.v[0].data in members:
                e.points = [(x + shift[0] + MARGIN, y + shift[1] + MARGIN) for x, y in g.view.points]
        x_offset += right - left + NODE_SPACE * 2
        height = max(height, max(n.xy[1] + n.h / 2 for n in members) - MARGIN)
    for e in edges:  # self-loops: a small arc on the step's right side
        if e.source == e.target:
            n = next(m for m in nodes if m.step_id == e.source)
            x, y = n.xy[0] + n.w / 2, n.xy[1]
            e.points = [(x, y - 10), (x + 30, y - 10), (x + 30, y + 10), (x, y + 10)]
    return x_offset - NODE_SPACE * 2 + MARGIN * 2 + 120, height + MARGIN * 2


def _f(value: float) -> str:
    """Coordinates with one decimal: stable text for the same layout."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _classes(node: _Node, overlay: Overlay | None) -> str:
    names = ["step", "type-" + node.step_type.lower().replace("_", "-")]
    if overlay is not None:
        if node.step_id in overlay.failed:
            names.append("failed")
        if node.step_id in overlay.current:
            names.append("current")
        if node.step_id in overlay.visited:
            names.append("visited")
    return " ".join(names)


def _shape(node: _Node) -> str:
    x, y, w, h = node.xy[0], node.xy[1], node.w, node.h
    if node.step_type in CIRCLES:
        outer = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(w / 2)}" class="shape"/>'
        if node.step_type == "END":
            outer += f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(w / 2 - 5)}" class="shape inner"/>'
        return outer
    if node.step_type in DIAMONDS:
        pts = [(x, y - h / 2), (x + w / 2, y), (x, y + h / 2), (x - w / 2, y)]
        plus = (f'<path d="M{_f(x - 10)} {_f(y)}H{_f(x + 10)}M{_f(x)} {_f(y - 10)}V{_f(y + 10)}" '
                f'class="mark"/>')
        return f'<polygon points="{_points(pts)}" class="shape"/>' + plus
    if node.step_type in HEXAGONS:
        d = 14
        pts = [(x - w / 2 + d, y - h / 2), (x + w / 2 - d, y - h / 2), (x + w / 2, y), (x + w / 2 - d, y + h / 2),
               (x - w / 2 + d, y + h / 2), (x - w / 2, y)]
        return f'<polygon points="{_points(pts)}" class="shape"/>'
    radius = 10 if node.step_type in ("USER_TASK", "AUTOMATED") else 2
    rect = (f'<rect x="{_f(x - w / 2)}" y="{_f(y - h / 2)}" width="{_f(w)}" height="{_f(h)}" rx="{radius}" '
            f'class="shape"/>')
    if node.step_type == "SUB_WORKFLOW":  # a bar at each end, as for a call activity
        rect += (f'<path d="M{_f(x - w / 2 + 8)} {_f(y - h / 2)}V{_f(y + h / 2)}M{_f(x + w / 2 - 8)} '
                 f'{_f(y - h / 2)}V{_f(y + h / 2)}" class="mark"/>')
    if node.step_type == "UNKNOWN":
        rect = rect.replace('class="shape"', 'class="shape missing"')
    return rect


def _points(pts: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_f(px)},{_f(py)}" for px, py in pts)


def _node_svg(node: _Node, overlay: Overlay | None) -> str:
    x, y = node.xy
    title = f"{node.name} ({node.step_id}, {node.step_type})"
    parts = [f'<g class="{_classes(node, overlay)}" data-step-id="{escape(node.step_id)}">',
             f"<title>{escape(title)}</title>", _shape(node)]
    if node.step_type in CIRCLES or node.step_type in DIAMONDS:
        # Small shapes: the name goes beside them.
        parts.append(f'<text x="{_f(x + node.w / 2 + 6)}" y="{_f(y + 4)}" class="name side">'
                     f"{escape(_short(node.name, 30))}</text>")
    else:
        lines = [(_short(node.name, 30), "name"), (CAPTIONS.get(node.step_type, node.step_type.lower()), "caption")]
        if node.detail:
            lines.append((_short(node.detail, 30), "caption"))
        top = y - (len(lines) - 1) * 7 + 4
        for i, (text, css) in enumerate(lines):
            parts.append(f'<text x="{_f(x)}" y="{_f(top + i * 14)}" class="{css}" text-anchor="middle">'
                         f"{escape(text)}</text>")
    parts.append("</g>")
    return "".join(parts)


def _label_at(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    if len(points) < 2:
        return points[0] if points else (0.0, 0.0)
    i = (len(points) - 1) // 2
    (x0, y0), (x1, y1) = points[i], points[i + 1]
    return (x0 + x1) / 2, (y0 + y1) / 2


def _edge_svg(edge: _Edge, overlay: Overlay | None) -> str:
    css = "transition"
    if overlay is not None and edge.transition_id in overlay.taken:
        css += " taken"
    if not edge.points:
        return ""
    d = "M" + " L".join(f"{_f(x)} {_f(y)}" for x, y in edge.points)
    lx, ly = _label_at(edge.points)
    label = escape(_short(edge.label, LABEL_MAX))
    return (f'<g class="{css}" data-transition-id="{escape(edge.transition_id)}"><title>{escape(edge.label)}</title>'
            f'<path d="{d}" marker-end="url(#arrow)"/>'
            f'<text x="{_f(lx + 6)}" y="{_f(ly)}" class="label">{label}</text></g>')


STYLE = """
.shape{fill:#fff;stroke:#5b6472;stroke-width:1.5}
.shape.inner{stroke-width:2.5}
.shape.missing{stroke-dasharray:4 3;stroke:#b42318}
.mark{stroke:#5b6472;stroke-width:1.5;fill:none}
.type-start .shape{stroke:#1a7f37}
.type-end .shape{stroke:#24292f}
.type-user-task .shape{fill:#f3f8ff}
.name{font:600 12px sans-serif;fill:#1f2328}
.caption{font:11px sans-serif;fill:#57606a}
.label{font:11px sans-serif;fill:#57606a}
.transition path{fill:none;stroke:#8c959f;stroke-width:1.4}
.transition.taken path{stroke:#1a7f37;stroke-width:2.6}
.visited .shape{fill:#dafbe1;stroke:#1a7f37}
.current .shape{fill:#fff8c5;stroke:#9a6700;stroke-width:3}
.failed .shape{fill:#ffebe9;stroke:#cf222e;stroke-width:3}
"""


def svg(definition: Mapping[str, Any], overlay: Overlay | None = None, *, title: str | None = None) -> str:
    """The definition as a standalone SVG document (styles inline, no external references)."""
    nodes, edges = _graph(definition)
    if not nodes:
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">'
                '<text x="10" y="24">(no steps)</text></svg>\n')
    width, height = _layout(nodes, edges)
    label = title or "Workflow diagram"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
           f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" aria-label="{escape(label)}" class="workflow-diagram"'
           + (f' data-status="{escape(overlay.status)}"' if overlay and overlay.status else "") + ">",
           f"<title>{escape(label)}</title>",
           f"<style>{STYLE}</style>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#8c959f"/></marker></defs>']
    out.extend(s for s in (_edge_svg(e, overlay) for e in edges) if s)
    out.extend(_node_svg(n, overlay) for n in nodes)
    out.append("</svg>")
    return "\n".join(out) + "\n"


_MERMAID_SHAPES = {
    "START": ('(("', '"))'), "END": ('((("', '")))'), "USER_TASK": ('("', '")'), "AUTOMATED": ('["', '"]'),
    "PARALLEL_FORK": ('{"', '"}'), "PARALLEL_JOIN": ('{"', '"}'), "SUB_WORKFLOW": ('[["', '"]]'),
    "WAIT_FOR_SIGNAL": ('>"', '"]'), "WAIT_FOR_TIMER": ('{{"', '"}}'), "UNKNOWN": ('["', '"]'),
}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def mermaid(definition: Mapping[str, Any], overlay: Overlay | None = None) -> str:
    """The definition as a Mermaid flowchart (top-down), for docs and issue trackers."""
    nodes, edges = _graph(definition)
    ids = {n.step_id: f"s{i}" for i, n in enumerate(nodes)}
    lines = ["flowchart TD"]
    for n in nodes:
        left, right = _MERMAID_SHAPES.get(n.step_type, ('["', '"]'))
        lines.append(f"    {ids[n.step_id]}{left}{_mermaid_text(n.name)}{right}")
    taken: list[int] = []
    for i, e in enumerate(edges):
        label = _mermaid_text(_short(e.label, LABEL_MAX))
        lines.append(f'    {ids[e.source]} -->|"{label}"| {ids[e.target]}')
        if overlay is not None and e.transition_id in overlay.taken:
            taken.append(i)
    if overlay is not None:
        lines += ["    classDef visited fill:#dafbe1,stroke:#1a7f37",
                  "    classDef current fill:#fff8c5,stroke:#9a6700,stroke-width:3px",
                  "    classDef failed fill:#ffebe9,stroke:#cf222e,stroke-width:3px"]
        for css, members in (("visited", overlay.visited - overlay.current - overlay.failed),
                             ("current", overlay.current - overlay.failed), ("failed", overlay.failed)):
            chosen = [ids[s] for s in sorted(members) if s in ids]
            if chosen:
                lines.append(f"    class {','.join(chosen)} {css}")
        if taken:
            lines.append(f"    linkStyle {','.join(map(str, taken))} stroke:#1a7f37,stroke-width:3px")
    return "\n".join(lines) + "\n"
