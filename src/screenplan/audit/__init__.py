"""The audit log, request ids and client addresses: used by every part of the site, importing none."""
