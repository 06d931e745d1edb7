import os
import re

from config.converters import CuidConverter
from config.ids import ID_LENGTH, new_id


def test_ids_have_the_one_shape_urls_accept_and_never_repeat():
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == ID_LENGTH and re.fullmatch(CuidConverter.regex, i) for i in ids)
    # Every letter and digit turns up in every position: nothing fixed or sequential to guess from.
    for position in (0, 1, ID_LENGTH // 2, ID_LENGTH - 1):
        seen = {i[position] for i in ids}
        assert len(seen) == (26 if position == 0 else 36)


def test_a_forked_process_does_not_share_its_parents_id_state():
    import config.ids

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its fingerprint and exit without running pytest's teardown
        os.write(write, config.ids._state.fingerprint)
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1000) != config.ids._state.fingerprint
