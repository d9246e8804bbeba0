"""IVR call flows: the node graph and its rules (graph), Asterisk dialplan export (dialplan), and the
flows' versions with publish and rollback (services, selectors)."""
