"""The web server's words: errors, the LED screen's notices, the index page, its start-up failures."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "web.no_channel": ("không có kênh này", "no such channel"),
    "web.no_calendar": ("không có lịch này (liên kết sai hoặc đã bị thay)", "no such calendar (a wrong or replaced link)"),
    "web.no_file": ("không có tệp này", "no such file"),
    "web.feeds": ("Nguồn tin", "Feeds"),
    "web.screens": ("Màn hình LED", "LED screens"),
    "web.offline": ("mất kết nối — đang hiển thị nội dung cuối", "offline — showing the last content"),
    "web.serving": ("Máy chủ web: {url} (trang quản lý /, /public, /calendar/public.ics, /healthz, /metrics, /feeds, /led)",
                    "web server: {url} (dashboard /, /public, /calendar/public.ics, /healthz, /metrics, /feeds, /led)"),
    "web.cannot_listen": ("không mở được cổng web {address} (đang dùng?); đổi [web] listen hoặc --web, hoặc dùng --no-web",
                          "cannot listen on {address} (in use?); change [web] listen or --web, or use --no-web"),
    "web.stopped_starting": ("máy chủ web dừng khi khởi động ({address})", "the web server stopped while starting ({address})"),
    "web.bad_option": ("--web {value}: cần địa_chỉ:cổng, ví dụ 127.0.0.1:8080", "--web {value}: expected host:port, e.g. 127.0.0.1:8080"),
}
