"""Staff names for pages: read from the directory for everyone at once, kept a few minutes, and a login
stands in for a missing name or a directory that cannot be read."""

from dataclasses import dataclass

from chalicelib.adapters.memory import MemoryStaffDirectory
from chalicelib.services.staff_names import StaffNames


@dataclass
class CountingDirectory(MemoryStaffDirectory):
    reads: int = 0
    broken: bool = False

    def display_names(self) -> dict[str, str]:
        self.reads += 1
        if self.broken:
            raise RuntimeError("directory unavailable")
        return super().display_names()


def test_a_name_is_shown_and_a_login_without_one_stands_for_itself():
    names = StaffNames(MemoryStaffDirectory(names={"tech-wang": "王工"}))
    assert names.name("tech-wang") == "王工"
    assert names.name("tech-li") == "tech-li"


def test_names_are_read_once_per_interval_then_again():
    now = [0.0]
    directory = CountingDirectory(names={"tech-wang": "王工"})
    names = StaffNames(directory, keep_seconds=300, monotonic=lambda: now[0])
    for login in ("tech-wang", "tech-li", "supervisor"):
        names.name(login)
    assert directory.reads == 1

    directory.names["tech-wang"] = "王师傅"
    now[0] = 299
    assert names.name("tech-wang") == "王工"
    now[0] = 300
    assert names.name("tech-wang") == "王师傅" and directory.reads == 2


def test_a_directory_that_cannot_be_read_shows_logins_and_is_not_asked_on_every_line():
    now = [0.0]
    directory = CountingDirectory(broken=True)
    names = StaffNames(directory, monotonic=lambda: now[0])
    assert [names.name("tech-wang"), names.name("supervisor")] == ["tech-wang", "supervisor"]
    assert directory.reads == 1
