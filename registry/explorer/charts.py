"""Geometry for the explorer's two pictures, as plain numbers: a voucher root's split tree and a lot's
attested-versus-receipted step chart. Templates draw them as inline SVG; nothing here makes markup,
so every text they show passes through the templates' escaping.

Positions are integer pixels computed from integer base units (no floats: the same quantities are
money and goods elsewhere, and the picture must never disagree with the table beside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------- voucher split tree

BOX_W, BOX_H = 190, 78
GAP_X, GAP_Y = 22, 46
LABEL_W = 84  # the tier labels on the left
MARGIN = 12


@dataclass(frozen=True)
class TreeInput:
    """One piece as the layout needs it: its id, its parent's id and the tier row it sits in."""

    key: int
    parent: int | None
    tier: int


@dataclass(frozen=True)
class Box:
    key: int
    x: int
    y: int
    cx: int  # centre of the top edge, where the edge from the parent arrives
    bottom: int


@dataclass(frozen=True)
class Edge:
    parent: int
    child: int
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class TierRow:
    tier: int
    y: int  # vertical middle of the row, for its label
    top: int


@dataclass(frozen=True)
class TreeLayout:
    width: int
    height: int
    boxes: dict[int, Box]
    edges: list[Edge]
    tiers: list[TierRow]


def tree_layout(pieces: Sequence[TreeInput]) -> TreeLayout:
    """Tiers as rows; each piece over the middle of its children (leaves side by side in id order),
    so a parent's subtree never crosses another's."""
    known = {p.key for p in pieces}
    children: dict[int | None, list[int]] = {}
    for p in sorted(pieces, key=lambda p: p.key):
        parent = p.parent if p.parent in known else None
        children.setdefault(parent, []).append(p.key)
    slot: dict[int, int] = {}  # twice the horizontal slot, so a parent can sit between two leaves
    next_leaf = 0

    def place(key: int, seen: frozenset[int]) -> None:
        nonlocal next_leaf
        kids = [k for k in children.get(key, []) if k not in seen]
        for kid in kids:
            place(kid, seen | {kid})
        if kids:
            slot[key] = (slot[kids[0]] + slot[kids[-1]]) // 2
        else:
            slot[key] = next_leaf * 2
            next_leaf += 1

    for root in children.get(None, []):
        place(root, frozenset({root}))
    tier_of = {p.key: p.tier for p in pieces}
    tiers = sorted({p.tier for p in pieces})
    row_of = {tier: i for i, tier in enumerate(tiers)}
    boxes: dict[int, Box] = {}
    for key, s in slot.items():
        x = MARGIN + LABEL_W + s * (BOX_W + GAP_X) // 2
        y = MARGIN + row_of[tier_of[key]] * (BOX_H + GAP_Y)
        boxes[key] = Box(key=key, x=x, y=y, cx=x + BOX_W // 2, bottom=y + BOX_H)
    edges = [
        Edge(
            parent=p.parent,
            child=p.key,
            x1=boxes[p.parent].cx,
            y1=boxes[p.parent].bottom,
            x2=boxes[p.key].cx,
            y2=boxes[p.key].y,
        )
        for p in sorted(pieces, key=lambda p: p.key)
        if p.parent is not None and p.parent in boxes and p.key in boxes
    ]
    rows = [
        TierRow(tier=t, top=MARGIN + i * (BOX_H + GAP_Y), y=MARGIN + i * (BOX_H + GAP_Y) + BOX_H // 2)
        for i, t in enumerate(tiers)
    ]
    width = MARGIN * 2 + LABEL_W + max(1, next_leaf) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + max(1, len(tiers)) * (BOX_H + GAP_Y) - GAP_Y
    return TreeLayout(width=width, height=height, boxes=boxes, edges=edges, tiers=rows)


# ---------------------------------------------------------------- lot quantity step chart

CHART_W, CHART_H = 760, 300
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 84, 736, 20, 240


@dataclass(frozen=True)
class ChartPoint:
    index: int
    x: int
    y_attested: int
    y_receipted: int


@dataclass(frozen=True)
class Gap:
    """Where receipted exceeds attested: goods missing behind receipts."""

    x: int
    width: int
    y: int
    height: int


@dataclass(frozen=True)
class Tick:
    y: int
    value: int  # base units


@dataclass(frozen=True)
class StepChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[ChartPoint]
    attested_path: str
    receipted_path: str
    gaps: list[Gap]
    ticks: list[Tick]


def step_chart(values: Sequence[tuple[int, int]], *, ticks: int = 4) -> StepChart:
    """`values`: (attested, receipted) in base units after each change, oldest first. Each change
    gets an equal slot (changes can share a second on a fast chain, so time would stack them); the
    value holds until the next change and the last one runs to the right edge ("now")."""
    n = len(values)
    top_value = max([1, *(max(a, r) for a, r in values)])
    # Headroom of a tenth above the highest value, in integers.
    scale_max = top_value + max(1, top_value // 10)
    plot_h = PLOT_BOTTOM - PLOT_TOP
    plot_w = PLOT_RIGHT - PLOT_LEFT

    def y_of(value: int) -> int:
        return PLOT_BOTTOM - value * plot_h // scale_max

    def x_of(index: int) -> int:
        return PLOT_LEFT + index * plot_w // max(1, n)

    points = [
        ChartPoint(index=i, x=x_of(i), y_attested=y_of(a), y_receipted=y_of(r))
        for i, (a, r) in enumerate(values)
    ]

    def path(ys: list[int]) -> str:
        if not ys:
            return ""
        parts = [f"M{points[0].x},{ys[0]}"]
        for i in range(1, n):
            parts.append(f"H{points[i].x}V{ys[i]}")
        parts.append(f"H{PLOT_RIGHT}")
        return "".join(parts)

    gaps = []
    for i, (a, r) in enumerate(values):
        if r > a:
            x_end = points[i + 1].x if i + 1 < n else PLOT_RIGHT
            y_top = points[i].y_receipted
            gaps.append(
                Gap(x=points[i].x, width=x_end - points[i].x, y=y_top, height=points[i].y_attested - y_top)
            )
    tick_values = [top_value * k // ticks for k in range(ticks + 1)]
    return StepChart(
        width=CHART_W,
        height=CHART_H,
        left=PLOT_LEFT,
        right=PLOT_RIGHT,
        top=PLOT_TOP,
        bottom=PLOT_BOTTOM,
        points=points,
        attested_path=path([p.y_attested for p in points]),
        receipted_path=path([p.y_receipted for p in points]),
        gaps=gaps,
        ticks=[Tick(y=y_of(v), value=v) for v in tick_values],
    )
