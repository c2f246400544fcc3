"""Run pdftk (Debian's pdftk-java) from Python, as pypdftk does."""
import os
import re
import subprocess

PDFTK = os.environ.get("PDFTK_PATH", "pdftk")


def run(args):
    """pdftk with these arguments; its standard output, or CalledProcessError with its message."""
    return subprocess.run([PDFTK, *args], check=True, capture_output=True).stdout


def concat(pdfs, out):
    """Write the pages of every PDF in `pdfs`, in order, to `out`."""
    run([*pdfs, "cat", "output", out])
    return out


def get_num_pages(pdf):
    """The number of pages of `pdf`, from pdftk's dump_data."""
    m = re.search(rb"^NumberOfPages: (\d+)$", run([pdf, "dump_data"]), re.M)
    return int(m.group(1)) if m else 0
