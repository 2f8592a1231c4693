"""What other parties' servers may send this one: the command boundary every command body passes
(command_boundary.py), the commands this server answers (commands.py), and what a partner has been granted
(permissions.py), checked before its commands run (permission_guard.py)."""
