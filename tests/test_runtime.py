"""Process-wide settings of lecture_utils."""

import platform

from lecture_utils import runtime


def test_freed_memory_goes_back_to_the_system_where_glibc_allocates():
    # glibc keeps freed tensors of up to 32 MB in its heaps unless told otherwise (see
    # runtime.return_freed_memory); other C libraries do not take the setting.
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert runtime.return_freed_memory() is glibc
