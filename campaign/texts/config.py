"""config.toml problems: what ``loa check`` prints, one "vi / en" line per problem.

Both halves name the same values, so a reader of either language learns everything. Entries whose
two sides are equal wrap a message already in both languages (a time expression's, a channel
target's) and are printed once.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # reading the file
    "config.unreadable": ("không đọc được tệp", "cannot read the file"),  # + the system's reason
    "config.not_utf8": ("tệp không phải UTF-8", "the file is not UTF-8"),
    "config.bad_toml": ("TOML không hợp lệ", "invalid TOML"),  # + the parser's English detail
    "config.too_deep": ("mảng hoặc bảng lồng nhau quá sâu", "arrays or tables nested too deeply"),
    # tables and keys
    "config.unknown_table": ("bảng không được hỗ trợ [{table}] (được phép: {allowed})",
                             "unknown table [{table}] (allowed: {allowed})"),
    "config.missing_table": ("thiếu bảng [{table}]", "missing table [{table}]"),
    "config.not_table": ("[{table}] phải là một bảng", "[{table}] must be a table"),
    "config.unknown_key": ("khóa không được hỗ trợ '{where}' (được phép: {allowed})",
                           "unknown key '{where}' (allowed: {allowed})"),
    # values
    "config.type": ("'{key}' phải là {names}", "'{key}' must be {names}"),
    "config.control": ("'{key}' chứa ký tự điều khiển U+{code}", "'{key}' contains the control character U+{code}"),
    "config.strings": ("'{key}' chỉ gồm chuỗi ký tự, không phải {got}", "'{key}' must be a list of strings, got {got}"),
    "config.parse": ("'{key}': {error}", "'{key}': {error}"),
    "config.at_least": ("'{key}' phải ≥ {low}, không phải {value}", "'{key}' must be at least {low}, not {value}"),
    "config.between": ("'{key}' phải từ {low} đến {high}, không phải {value}",
                       "'{key}' must be between {low} and {high}, not {value}"),
    "config.invalid": ("'{key}' không hợp lệ: {error}", "'{key}' is invalid: {error}"),
    "config.listen": ("'{key}' phải là \"địa_chỉ:cổng\" (ví dụ \"127.0.0.1:8080\") hoặc \"\" để tắt, không phải {got}",
                      "'{key}' must be \"host:port\" (e.g. \"127.0.0.1:8080\") or \"\" to turn the server off, not {got}"),
    "config.pull_twice": ("kênh '{channel}': đích '{target}' đã dùng cho kênh '{other}': mỗi {kind} một địa chỉ",
                          "channel '{channel}': target '{target}' is already channel '{other}''s: one address per {kind}"),
    "config.graph_version": ("'{key}' phải có dạng v21.0, không phải {got}", "'{key}' must look like v21.0, not {got}"),
    "config.env_name": ("'{key}' là TÊN biến môi trường (A-Z, 0-9, _), không phải giá trị",
                        "'{key}' is the NAME of an environment variable (A-Z, 0-9, _), not its value"),
    "config.url": ("cần địa chỉ http:// hoặc https:// (không có ?truy-vấn hay #), không phải {got}",
                   "expected an http:// or https:// URL (no ?query or #fragment), not {got}"),
    "config.in_key": ("'{key}': {problem}", "'{key}': {problem}"),
    # [campaign]
    "config.no_name": ("thiếu tên chiến dịch", "missing campaign.name"),
    "config.zone": ("múi giờ không tồn tại '{value}'", "unknown time zone '{value}'"),
    "config.language": ("ngôn ngữ phải là vi hoặc en, không phải '{value}'", "language must be vi or en, not '{value}'"),
    # [anchors] and [[milestones]]
    "config.bad_date": ("ngày không hợp lệ '{value}'", "invalid date '{value}'"),
    "config.anchor_form": ("mốc neo '{key}' phải là ngày YYYY-MM-DD", "anchor '{key}' must be a date YYYY-MM-DD"),
    "config.anchor": ("mốc neo '{key}': {error}", "mốc neo '{key}': {error}"),
    "config.not_milestones": ("'milestones' phải là [[milestones]]", "'milestones' must be an array of tables"),
    "config.milestone_id": ("id của mốc phải gồm a-z, 0-9, '-', không phải {got}",
                            "milestone id must match [a-z0-9-]+, got {got}"),
    "config.milestone_twice": ("id mốc trùng '{milestone}'", "duplicate milestone id '{milestone}'"),
    "config.phase": ("phase phải là before, during hoặc after, không phải {got}",
                     "phase must be before, during or after, not {got}"),
    "config.no_start": ("mốc '{milestone}' thiếu 'start'", "milestone '{milestone}' has no 'start'"),
    "config.span": ("mốc '{milestone}': {error}", "mốc '{milestone}': {error}"),
    # [channels.<key>]
    "config.no_channels": ("cần ít nhất một kênh trong [channels.<khóa>]", "at least one [channels.<key>] is needed"),
    "config.channel_key": ("khóa kênh '{channel}' chỉ gồm a-z, 0-9, _", "channel key '{channel}' must match [a-z0-9_]+"),
    "config.kind": ("loại kênh {got} không hỗ trợ (được phép: {allowed})", "unknown channel kind {got} (allowed: {allowed})"),
    "config.no_target": ("kênh '{channel}' thiếu 'target'", "channel '{channel}' needs a 'target'"),
    "config.target": ("kênh '{channel}': {problem}", "kênh '{channel}': {problem}"),
    "config.unknown_channel": ("kênh chưa khai báo '{channel}' (đã khai báo: {known})",
                               "unknown channel '{channel}' (known: {known})"),
    # [people.<key>] and [approval]
    "config.role": ("vai trò {got} không hợp lệ (được phép: admin, approver, editor)",
                    "unknown role {got} (allowed: admin, approver, editor)"),
    "config.zalo_id": ("'zalo' phải là id Zalo (chữ số hoặc chữ cái, không dấu cách), không phải {got}",
                       "'zalo' must be a Zalo id (digits or letters, no spaces), got {got}"),
    "config.id_taken": ("id {platform} {id} đã thuộc về [people.{other}]",
                        "{platform} id {id} already belongs to [people.{other}]: one person per id"),
    "config.too_many_required": ("'required' = {required} nhưng chỉ {approvers} người được duyệt (vai trò approver/admin), "
                                 "bài sẽ bị giữ mãi",
                                 "'required' = {required} but only {approvers} people may approve (role approver or "
                                 "admin): every post would be held forever"),
    # [delivery]
    "config.on_ambiguous": ('on_ambiguous phải là "ask" hoặc "resend", không phải \'{value}\'',
                            'on_ambiguous must be "ask" or "resend", not \'{value}\''),
    "config.backoff_order": ("'backoff_max' phải ≥ 'backoff'", "'backoff_max' must be at least 'backoff'"),
}
