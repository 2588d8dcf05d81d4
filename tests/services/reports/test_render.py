"""Printing: the shipped DejaVu fonts are embedded (Cyrillic text comes out as text), and WeasyPrint fetches
nothing but the package's own files: images, style sheets and fonts named by untrusted text at a loopback
server, the cloud metadata address or a local file are never requested."""

from __future__ import annotations

import pymupdf
import pytest

from assistant.core.markup import markdown_html
from assistant.services.reports.render import PackageOnlyFetcher, html_to_pdf


def test_untrusted_urls_are_never_fetched_and_cyrillic_prints_in_the_shipped_font(recording_server):
    base, requested = recording_server
    payload = (f'<img src="{base}/img.png"><img src="http://169.254.169.254/latest/meta-data/">'
               f'<img src="file:///etc/passwd"><link rel="stylesheet" href="{base}/evil.css">'
               f'<div style="background: url({base}/bg.png)">фон</div>'
               f'<object data="{base}/object"></object><iframe src="{base}/frame"></iframe>')
    html = (f'<html><head><link rel="stylesheet" href="_base.css"><style>@import url("{base}/import.css");'
            f'@font-face {{ font-family: X; src: url("{base}/font.ttf"); }}</style></head>'
            f'<body><h1>Сводка здоровья</h1><p>Метформин 500 мг</p>{payload}</body></html>')

    rendered = html_to_pdf(html)

    assert requested == []
    with pymupdf.open(stream=rendered.data, filetype="pdf") as pdf:
        text = pdf[0].get_text()
        fonts = {font[3] for font in pdf[0].get_fonts()}
    assert "Сводка здоровья" in text and "Метформин 500 мг" in text
    assert fonts and all("Report-Sans" in font for font in fonts)  # the shipped DejaVu, not a host font
    assert "root:" not in text


def test_the_fetcher_serves_only_the_packages_own_files():
    fetcher = PackageOnlyFetcher()
    for url in ("file:///etc/passwd", "http://169.254.169.254/", "data:image/png;base64,AAAA",
                "file:///work/../etc/hostname"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_markdown_from_a_chat_keeps_text_and_drops_images_and_raw_html():
    html = str(markdown_html('**Dose** 5 mg ![x](http://169.254.169.254/) <img src="file:///etc/passwd"> '
                             '<script>alert(1)</script> [link](https://example.org)'))
    assert "<strong>Dose</strong>" in html
    assert "<img" not in html and "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://example.org"' in html
