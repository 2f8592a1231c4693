"""The write-aside-then-rename helpers under the name services import them by; they live in
fate_flow.entity.atomic_files."""
from fate_flow.entity.atomic_files import replacing, write_atomically

__all__ = ["replacing", "write_atomically"]
