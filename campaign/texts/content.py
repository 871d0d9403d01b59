"""Messages about post files: their front matter, fields, media and body (``loa check``, sync)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "content.no_title": ("thiếu 'title'", "missing 'title'"),
    "content.series_sets": ("bài của chuyên mục '{series}' lấy '{key}' từ khung giờ của nó: bỏ '{key}' khỏi tệp",
                            "an item of series '{series}' takes its '{key}' from its slot: remove '{key}' from the file"),
    "content.series_no_slot": ("chuyên mục '{series}' chỉ có {slots} khung giờ, bài thứ {position} không còn khung nào: "
                               "thêm ngày cho chuyên mục hoặc chuyển tệp vào thư mục ẩn (ví dụ .du-phong/)",
                               "series '{series}' has {slots} slot(s): item {position} has none left; give the series "
                               "more days or move the file into a hidden folder (e.g. .du-phong/)"),
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
    "content.kind.folder": ("thư mục", "a folder"),
    "content.kind.fifo": ("FIFO", "a FIFO"),
    "content.kind.socket": ("socket", "a socket"),
    "content.kind.device": ("thiết bị", "a device"),
    "content.kind.other": ("không phải tệp thường", "not a regular file"),
    "content.symlink_out": ("liên kết tượng trưng trỏ ra ngoài thư mục content/", "symlink points outside content/"),
    "content.not_regular": ("không phải tệp thường mà là {kind}", "not a regular file but {kind}"),
    "content.too_large": ("tệp quá lớn ({size} byte, tối đa {limit})", "file too large ({size} bytes, limit {limit})"),
    "content.too_large_read": ("tệp quá lớn (tối đa {limit} byte)", "file too large (limit {limit} bytes)"),
    "content.nested": ("front matter lồng nhau quá sâu", "front matter nested too deeply"),
    "content.unexpected": ("lỗi không lường trước khi đọc tệp", "unexpected error"),
    "content.not_utf8": ("tệp không phải UTF-8", "file is not UTF-8"),
    "content.bad_yaml": ("front matter YAML không hợp lệ", "invalid front matter YAML"),
    "content.not_pairs": ("front matter phải là các cặp khóa: giá trị", "front matter must be key: value pairs"),
    "content.no_front_matter": ("thiếu front matter (--- … ---) ở đầu tệp", "missing front matter (--- … ---) at the top"),
    "content.key_control": ("'{key}' chứa ký tự điều khiển U+{code}", "'{key}' contains the control character U+{code}"),
    "content.unknown_key": ("khóa không được hỗ trợ '{key}' (cho phép: {allowed})", "unknown key '{key}' (allowed: {allowed})"),
    "content.unknown_milestone": ("mốc chưa khai báo '{milestone}' (đã có: {known})",
                                  "unknown milestone '{milestone}' (known: {known})"),
    "content.unknown_channel": ("kênh chưa khai báo '{channel}' (đã có: {known})", "unknown channel '{channel}' (known: {known})"),
    "content.bad_approvals": ("'approvals' phải là số nguyên ≥ 1, không phải '{got}'",
                              "'approvals' must be a whole number ≥ 1, got '{got}'"),
    "content.held_forever": (
        "bài cần {approvals} lượt duyệt nhưng chỉ {count} người được duyệt (vai trò approver/admin), bài sẽ bị giữ mãi",
        "the post needs {approvals} approvals but only {count} people may approve (role approver or admin): "
        "it would be held forever",
    ),
    "content.name_not_utf8": ("tên tệp không phải UTF-8", "the file name is not UTF-8"),
    "content.name_control": ("tên tệp chứa ký tự điều khiển", "the file name contains a control character"),
    "content.path_too_long": ("đường dẫn quá dài ({length} ký tự, tối đa {limit})", "path too long ({length} characters, limit {limit})"),
    "content.control_char": ("ký tự điều khiển U+{code} không được phép", "control character U+{code} is not allowed"),
    "content.media_too_large": ("tệp media '{item}' quá lớn ({size} byte, tối đa {limit})",
                                "media '{item}' too large ({size} bytes, limit {limit})"),
    "content.zalo_oa_images": (
        "bài gửi Zalo OA broadcast có ảnh nhưng chưa đặt [zalo] media_base_url (Zalo chỉ nhận ảnh bài viết "
        "qua địa chỉ URL công khai)",
        "the post goes to a Zalo OA broadcast with images but [zalo] media_base_url is not set "
        "(Zalo takes article images only by public URL)",
    ),
    "content.zalo_oa_cover": (
        "bài viết Zalo OA broadcast cần ảnh bìa: thêm ảnh vào 'media' (và đặt [zalo] media_base_url) "
        "hoặc đặt [zalo] default_cover_url",
        "a Zalo OA broadcast article needs a cover image: add an image under 'media' (and set [zalo] media_base_url) "
        "or set [zalo] default_cover_url",
    ),
    "content.zalo_bot_images": (
        "Zalo Bot sẽ không hiển thị {count} ảnh ({images}) vì chưa đặt [zalo] media_base_url "
        "(Zalo Bot chỉ gửi ảnh qua địa chỉ URL công khai)",
        "Zalo Bot will not show {count} image(s) ({images}) because [zalo] media_base_url is not set "
        "(Zalo Bot sends images only by public URL)",
    ),
}
