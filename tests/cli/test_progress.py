"""The progress renderer: terminal (\\r redraws) versus plain lines, rate limits, other output."""

from __future__ import annotations

import io
import threading

from mcp_sync.cli.progress import ProgressBar, format_bar, format_line, is_tty


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_is_tty_is_false_for_odd_streams():
    class Broken:
        def isatty(self):
            raise ValueError("closed")

    assert is_tty(FakeTTY()) and not is_tty(io.StringIO()) and not is_tty(object()) and not is_tty(Broken())


def test_formats():
    assert format_bar(5, 10, "half", width=10, elapsed=1.25) == "[#####-----]  50%  5/10  half  1.2s"
    assert format_bar(3, None, None, tick=1) == "[/] 3"
    assert format_bar(2.5, 10, label="job", width=4) == "job  [#---]  25%  2.5/10"
    assert format_line(1, 3, "one") == "progress: 1/3 (33%) one"
    assert format_line(7, None, label="slow") == "slow: 7"
    assert format_line(12, 10) == "progress: 12/10 (100%)"  # clamped
    assert format_line(1, 0) == "progress: 1"  # no usable total


def test_terminal_redraws_in_place_and_erases():
    stream, clock = FakeTTY(), Clock()
    bar = ProgressBar(stream, label="job", width=60, clock=clock)
    assert bar.tty
    for step in (1, 2):
        clock.now += 1
        bar(step, 4, f"step {step}")
    bar.close()
    bar(3, 4, "after close")  # ignored
    text = stream.getvalue()
    assert text == ("\r\x1b[Kjob  [######------------------]  25%  1/4  step 1  1.0s"
                    "\r\x1b[Kjob  [############------------]  50%  2/4  step 2  2.0s"
                    "\r\x1b[K")
    assert "\n" not in text
    assert bar.updates == 2 and bar.last == (2, 4, "step 2")


def test_terminal_rate_limit_but_completion_is_always_drawn():
    stream, clock = FakeTTY(), Clock()
    bar = ProgressBar(stream, width=80, clock=clock, min_redraw=0.5)
    bar(1, 10)
    bar(2, 10)  # too soon: skipped
    bar(10, 10)  # complete: drawn
    draws = stream.getvalue().split("\r\x1b[K")[1:]
    assert [d.split("]")[1].split()[1] for d in draws] == ["1/10", "10/10"]


def test_terminal_line_never_wraps():
    stream = FakeTTY()
    bar = ProgressBar(stream, width=30)
    bar(1, 2, "a very long message that would wrap the terminal line")
    line = stream.getvalue().split("\r\x1b[K")[1]
    assert len(line) == 29 and line.endswith("...")


def test_other_output_keeps_the_bar():
    stream = FakeTTY()
    bar = ProgressBar(stream, width=80)
    bar(1, 2)
    bar.write_line("server says hi")
    assert stream.getvalue().endswith("\r\x1b[Kserver says hi\n\r\x1b[K[############------------]  50%  1/2  0.0s")


def test_plain_lines_when_not_a_terminal():
    stream, clock = io.StringIO(), Clock()
    bar = ProgressBar(stream, clock=clock, line_interval=1.0)
    bar(1, None, "waiting")  # first: shown
    clock.now = 0.5
    bar(2, None, "waiting")  # nothing new, too soon
    clock.now = 1.6
    bar(3, None, "waiting")  # an interval later
    bar(3, None, "waiting")  # identical
    bar(4, None, "almost")  # new message
    bar(5, 5, "almost")  # complete
    bar.write_line("other")
    bar.close()
    assert stream.getvalue() == ("progress: 1 waiting\nprogress: 3 waiting\nprogress: 4 almost\n"
                                 "progress: 5/5 (100%) almost\nother\n")


def test_stream_errors_are_swallowed():
    class Closed(io.StringIO):
        def write(self, text):
            raise ValueError("I/O operation on closed file")

    bar = ProgressBar(Closed(), tty=True)
    bar(1, 2)
    bar.close()


def test_updates_from_many_threads():
    stream = io.StringIO()
    bar = ProgressBar(stream, line_interval=0)
    threads = [threading.Thread(target=lambda i=i: [bar(i * 100 + j, None, f"t{i}") for j in range(50)])
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bar.updates == 200
    assert all(line.startswith("progress: ") for line in stream.getvalue().splitlines())


def test_status_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream, label="build", clock=Clock())
    bar.set_status("working")
    bar.set_status("working")  # no change: no line
    bar(1, 2, "one")
    bar.set_status("working", "half way")
    bar.set_status("completed", "half way")
    bar.close()
    bar.set_status("failed")  # after close: ignored
    assert stream.getvalue().splitlines() == ["build: working", "build: 1/2 (50%) one",
                                              "build: working (half way)", "build: completed (half way)"]
    unlabelled = io.StringIO()
    ProgressBar(unlabelled).set_status("working")
    assert unlabelled.getvalue() == "status: working\n"


def test_status_on_a_terminal_is_part_of_the_redrawn_line():
    stream = FakeTTY()
    clock = Clock()
    bar = ProgressBar(stream, label="build", clock=clock, width=200)
    clock.now = 0.5
    bar.set_status("working")  # no progress yet: the status and the time
    assert stream.getvalue() == "\r\x1b[Kbuild  working  0.5s"
    clock.now = 1.0
    bar(1, 4, "step 1")
    assert stream.getvalue().endswith("\r\x1b[Kbuild  working  [######------------------]  25%  1/4  step 1  1.0s")
    clock.now = 1.5
    bar.set_status("working", "1 of 4 done")  # redrawn at once with the last progress
    assert stream.getvalue().endswith("\r\x1b[Kbuild  working (1 of 4 done)  [######------------------]  25%  "
                                      "1/4  step 1  1.5s")
    assert "\n" not in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")
