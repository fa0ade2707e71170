"""SVG icons for generated nodes and credentials (n8n wants `file:` icons, light and dark).

Each icon is a rounded square in a colour derived from the node's name, with its initials:
deterministic, distinct per node, and different files for the light and the dark theme.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from xml.sax.saxutils import escape


def initials(display_name: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", display_name) if w]
    letters = "".join(w[0] for w in words[-2:]).upper()
    return letters or "N"


def svg_icon(display_name: str, dark: bool) -> str:
    hue = int.from_bytes(hashlib.sha256(display_name.encode()).digest()[:2], "big") / 65535
    r, g, b = colorsys.hls_to_rgb(hue, 0.62 if dark else 0.42, 0.55)
    fill = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    text = "#111827" if dark else "#ffffff"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60" viewBox="0 0 60 60">\n'
        f'  <rect x="2" y="2" width="56" height="56" rx="12" fill="{fill}"/>\n'
        f'  <text x="30" y="39" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="24" font-weight="700" fill="{text}">{escape(initials(display_name))}</text>\n'
        "</svg>\n")


def icon_files(stem: str, display_name: str) -> dict[str, str]:
    """{"<stem>.svg": light, "<stem>.dark.svg": dark}."""
    return {f"{stem}.svg": svg_icon(display_name, dark=False), f"{stem}.dark.svg": svg_icon(display_name, dark=True)}
