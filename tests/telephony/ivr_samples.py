"""IVR graphs the tests share: a complete flow with every node type, and small broken ones."""

from __future__ import annotations

import copy
from typing import Any

FULL: dict[str, Any] = {
    "start": "hours",
    "nodes": {
        "hours": {
            "type": "schedule",
            "label": "Opening hours",
            "timezone": "Europe/Amsterdam",
            "hours": [
                {"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "18:00"},
                {"days": [5], "from": "10:00", "to": "14:00"},
            ],
            "holidays": ["2026-12-25", "2026-12-26"],
            "open": "main",
            "closed": "closed",
            "holiday": "holiday",
        },
        "main": {
            "type": "menu",
            "label": "Main menu",
            "prompt": "For sales press 1. For support press 2. To leave a message press 3.",
            "options": {"1": "sales", "2": "support-menu", "3": "voicemail", "0": "bye"},
            "timeout_s": 5,
            "retries": 2,
            "invalid_prompt": "Sorry, that is not an option.",
            "on_invalid": "sales",
            "on_timeout": "sales",
        },
        "support-menu": {
            "type": "menu",
            "label": "Support",
            "prompt": "For internet press 1. To be called back press 2. For the main menu press 9.",
            "options": {"1": "support", "2": "callback", "9": "main"},
            "timeout_s": 4,
            "retries": 1,
        },
        "sales": {"type": "queue", "label": "Sales", "queue": "sales", "prompt": "Connecting you to sales."},
        "support": {"type": "queue", "label": "Support", "queue": "support"},
        "callback": {
            "type": "callback",
            "label": "Call me back",
            "queue": "support",
            "prompt": "We will call you back.",
        },
        "voicemail": {
            "type": "voicemail",
            "label": "Messages",
            "mailbox": "100",
            "prompt": "Leave a message after the tone.",
        },
        "closed": {"type": "message", "label": "Closed", "prompt": "We are closed.", "next": "voicemail"},
        "holiday": {"type": "message", "label": "Holiday", "prompt": "Happy holidays.", "next": "bye"},
        "bye": {"type": "hangup", "label": "Goodbye", "prompt": "Goodbye."},
    },
}

TWO_LEVEL: dict[str, Any] = {
    "start": "main",
    "nodes": {
        "main": {
            "type": "menu",
            "prompt": "For sales press 1, for support press 2.",
            "options": {"1": "sales", "2": "support-menu"},
        },
        "support-menu": {
            "type": "menu",
            "prompt": "For billing press 1, for technical support press 2.",
            "options": {"1": "billing", "2": "support"},
        },
        "sales": {"type": "queue", "queue": "sales"},
        "billing": {"type": "queue", "queue": "billing"},
        "support": {"type": "queue", "queue": "support"},
    },
}


def variant(base: dict[str, Any], **nodes: Any) -> dict[str, Any]:
    """A deep copy of `base` with nodes replaced (None removes one)."""
    graph = copy.deepcopy(base)
    for node_id, node in nodes.items():
        node_id = node_id.replace("_", "-")
        if node is None:
            graph["nodes"].pop(node_id, None)
        else:
            graph["nodes"][node_id] = node
    return graph
