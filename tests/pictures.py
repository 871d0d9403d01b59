"""Reading pictures back in tests: a PNG's size from its header, an SVG's marks by state."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections import Counter

SVG = "{http://www.w3.org/2000/svg}"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (the first one, right after the 8-byte signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def svg_height(svg: str) -> int:
    return int(ET.fromstring(svg).get("height") or 0)


def mark_states(svg: str) -> Counter[str]:
    """How many posts the drawing marks in each state (clustered marks count their posts)."""
    root = ET.fromstring(svg)
    out: Counter[str] = Counter()
    for el in root.iter():
        if el.get("class") == "mark":
            out[el.get("data-state") or ""] += int(el.get("data-count") or 0)
    return out


def milestones(svg: str) -> set[str]:
    return {g.get("data-milestone") or "" for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("data-milestone")}
