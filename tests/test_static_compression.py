"""Static files reach phones gzipped: they are most of the bytes of a first visit."""
import gzip

import pytest


@pytest.mark.parametrize("path", ["app.css", "vendor/htmx-2.0.11.min.js"])
def test_static_files_are_served_gzipped(client, path):
    plain = client.get(f"/static/{path}")
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip, deflate, br"})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.get_data()) == plain.get_data()
    assert len(response.get_data()) < len(plain.get_data()) / 2
