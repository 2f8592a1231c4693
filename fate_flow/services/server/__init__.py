"""The server's own state: what it repairs when it starts (recovery.py), its disks (disk_space.py), and the
warnings it logs about its conf (access_warnings.py)."""
