"""Access: dashboard accounts, roles and region scope, single sign-on (``auth``), and the
append-only activity log behind the audit trail (``activity``)."""
