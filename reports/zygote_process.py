"""The pre-warmed render process ("zygote"): WeasyPrint imported once, one fork per render.

No Django here, as in ``reports.pdf``: the Celery worker starts this module as a fresh
interpreter (``python -m reports.zygote_process <stylesheet>``) with the same scrubbed
environment and no inherited file descriptors, so it holds no secrets and no database or
broker connection. It imports WeasyPrint and renders a small page with the report's own
stylesheet (pango, fontconfig and the fonts are loaded then), and says it is ready.

Per job the worker sends the path of a private job folder (``reports.pdf.write_job``); the
zygote forks, the child caps its own address space and renders exactly as the fresh
process does (``reports.pdf.run_job``), and the zygote answers twice: the child's pid at
once (so the worker can kill it at its time limit), and its exit code when it has ended.
The zygote itself never renders a job, so a runaway render cannot take it down.

The protocol on stdin/stdout: each message is a 4-byte big-endian length and that many
bytes of JSON. End of input (the worker exited or closed the pipe) ends the zygote.
"""

import gc
import json
import os
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import BinaryIO

from reports.pdf import html_to_pdf, run_job

HEADER = struct.Struct(">I")
MESSAGE_MAX = 1 << 20  # a job is a folder path; anything longer is a broken pipe, not a job


def encode(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return HEADER.pack(len(body)) + body


def decode_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MESSAGE_MAX:
        raise ValueError(f"message of {length} bytes refused")
    return length


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def receive(stream: BinaryIO) -> dict | None:
    """The next message, or None at end of input."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    body = _read_exactly(stream, decode_length(header))
    return None if body is None else json.loads(body)


def _warm(stylesheet: str) -> None:
    # A page in the report's stylesheet loads the fonts it names, so the first job pays nothing.
    html_to_pdf('<h1>Kalm</h1><p>Warm <b>up</b> <i>fonts</i> 0123456789 äöüß ±×€</p>', stylesheet=stylesheet)


def _fork_job(folder: Path, pipes: tuple[int, ...]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: off the protocol pipes, its errors into the job folder, then the shared job body
        for fd in pipes:
            os.close(fd)
        error_log = os.open(folder / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(error_log, 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        code = run_job(folder)
    except BaseException:  # noqa: BLE001 - run_job reports its own failures; this is for the set-up above
        traceback.print_exc()
    finally:
        os._exit(code)  # never return into the zygote's loop, never run its atexit handlers


def serve(inbox: BinaryIO, outbox: BinaryIO, pipes: tuple[int, ...]) -> int:
    while (request := receive(inbox)) is not None:
        pid = _fork_job(Path(request["folder"]), pipes)
        outbox.write(encode({"pid": pid}))
        outbox.flush()
        _pid, status = os.waitpid(pid, 0)
        outbox.write(encode({"pid": pid, "returncode": os.waitstatus_to_exitcode(status)}))
        outbox.flush()
    return 0


def main(stylesheet: str) -> int:
    # The protocol gets its own descriptor; stray prints from libraries go to stderr instead.
    protocol_out = os.dup(1)
    os.dup2(2, 1)
    outbox = os.fdopen(protocol_out, "wb")
    inbox = sys.stdin.buffer
    started = time.perf_counter()
    _warm(stylesheet)
    gc.freeze()  # the imported objects stay out of the collector: children share their pages instead of copying them
    outbox.write(encode({"ready": True, "pid": os.getpid(), "warm_seconds": time.perf_counter() - started}))
    outbox.flush()
    return serve(inbox, outbox, (sys.stdin.fileno(), protocol_out))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except BrokenPipeError:  # the worker went away mid-answer: nothing left to serve
        sys.exit(0)
