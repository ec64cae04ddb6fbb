"""Photos are judged by their bytes, never by the name or the declared type."""

from chalicelib.domain.uploads import (
    UploadProblem,
    is_photo_key,
    new_photo_key,
    photo_problem,
    served_type,
    shown_inline,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_png_within_the_limit_is_accepted():
    assert photo_problem(len(PNG), PNG, 1024) is None


def test_a_file_larger_than_the_limit_is_refused():
    assert photo_problem(2048, PNG, 1024) == UploadProblem.TOO_LARGE


def test_a_script_named_like_a_photo_is_refused():
    assert photo_problem(20, b"<script>alert(1)</script>", 1024) == UploadProblem.NOT_IMAGE


def test_an_upload_that_never_arrived_is_missing():
    assert photo_problem(None, b"", 1024) == UploadProblem.MISSING


def test_keys_are_fresh_and_keep_a_safe_version_of_the_name():
    key = new_photo_key("../../etc/现场 photo 1.JPG")
    assert is_photo_key(key)
    assert key.endswith("/现场_photo_1.JPG")
    assert new_photo_key("开关柜.jpg").endswith("/开关柜.jpg"), "staff see the name the customer gave"
    assert new_photo_key("<b>.png").endswith("/b_.png")
    assert new_photo_key("a.png") != new_photo_key("a.png")


def test_only_keys_we_hand_out_can_be_attached():
    assert not is_photo_key("forms/SD-2026-000001/acceptance.pdf")
    assert not is_photo_key("uploads/photos/../../secret")


POLYGLOT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(1)</script></html>"


def test_a_photo_stored_with_a_type_a_browser_would_run_is_refused():
    assert photo_problem(len(POLYGLOT), POLYGLOT, 1024, "text/html") == UploadProblem.NOT_IMAGE
    assert photo_problem(len(POLYGLOT), POLYGLOT, 1024, "image/jpeg") is None
    assert photo_problem(len(POLYGLOT), POLYGLOT, 1024, "binary/octet-stream") is None, "storage's default"


def test_a_stored_file_is_served_as_its_bytes_say_and_only_images_inline():
    assert served_type(POLYGLOT) == "image/jpeg" and shown_inline("image/jpeg")
    assert served_type(b"%PDF-1.7\n") == "application/pdf" and not shown_inline("application/pdf")
    assert served_type(b"<html><script>alert(1)</script>") == "application/octet-stream"
    assert not shown_inline("application/octet-stream") and not shown_inline("image/svg+xml")
