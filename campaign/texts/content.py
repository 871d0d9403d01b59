"""Messages about post files: their front matter, fields, media and body (``loa check``, sync)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "content.no_title": ("thiếu 'title'", "missing 'title'"),
    "content.no_time": ("thiếu 'time'", "missing 'time'"),
    "content.no_channels": ("bài không có kênh nào", "the post has no channels"),
    "content.unknown_author": ("tác giả '{author}' không có trong [people]", "author '{author}' is not in [people]"),
    "content.empty_body": ("nội dung bài trống", "the post body is empty"),
    "content.not_scalar": ("'{key}' phải là một giá trị đơn", "'{key}' must be a single value"),
    "content.not_list": ("'{key}' phải là danh sách", "'{key}' must be a list, e.g. [a, b]"),
    "content.not_flag": ("'{key}' phải là true hoặc false", "'{key}' must be true or false"),
    "content.media_missing": ("không tìm thấy tệp media '{item}'", "media file '{item}' not found"),
    "content.media_outside": ("tệp media '{item}' nằm ngoài thư mục content/", "media '{item}' is outside content/"),
    "content.media_not_regular": ("media '{item}' không phải tệp thường mà là {kind}",
                                  "media '{item}' is not a regular file but {kind}"),
}
