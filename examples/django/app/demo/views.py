import os
import tempfile

import pdftk_wrapper
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from .forms import PdfForm


def index(request):
    return render(request, "index.html", {"form": PdfForm()})


def pdf(request):
    form = PdfForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    name = form.cleaned_data["name"] if request.GET else "Ada"
    copies = form.cleaned_data["copies"] if request.GET else 2
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "page.pdf")
        with open(page, "wb") as f:
            f.write(one_page_pdf(f"Hello, {name}!"))
        out = pdftk_wrapper.concat([page] * copies, os.path.join(tmp, "out.pdf"))
        pages = pdftk_wrapper.get_num_pages(out)
        with open(out, "rb") as f:
            body = f.read()
    response = HttpResponse(body, content_type="application/pdf")
    response["X-Pages"] = str(pages)
    return response


def one_page_pdf(text):
    """A one-page PDF showing `text`, written by hand (objects, then the cross-reference table)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 24 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
