"""The ``loa`` command line: help texts, headers and messages (the CLI prints both languages)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "cli.app": ("Loa — lịch truyền thông chiến dịch cho Telegram và Zalo", "campaign communications scheduler"),
    "cli.version": ("In phiên bản rồi thoát", "print the version and exit"),
    "cli.opt.config": ("Tệp cấu hình (mặc định config.toml, hoặc LOA_CONFIG)", "config file (default config.toml, or LOA_CONFIG)"),
    "cli.opt.content": ("Thư mục bài viết (mặc định theo config)", "content folder"),
    "cli.opt.from": ("Từ ngày YYYY-MM-DD hoặc DD/MM/YYYY", "from date YYYY-MM-DD or DD/MM/YYYY"),
    "cli.opt.to": ("Đến hết ngày", "to date (inclusive)"),
    "cli.opt.channel": ("Chỉ kênh này (lặp lại được)", "only this channel (repeatable)"),
    "cli.opt.milestone": ("Chỉ mốc này (lặp lại được)", "only this milestone (repeatable)"),
    "cli.opt.json": ("In JSON (giá trị máy đọc)", "print JSON (machine values)"),
    "cli.opt.long": ("Bảng chi tiết thay vì mỗi bài một dòng", "the detailed table instead of one line per post"),
    "cli.opt.ics": ("Ghi lịch ICS vào tệp này", "write an ICS calendar to this file"),
    "cli.opt.person": ("Lịch riêng của người này (mã trong [people])", "this person's own calendar (key in [people])"),
    "cli.opt.format": ("Định dạng: xlsx, html hoặc csv", "format: xlsx, html or csv"),
    "cli.opt.output": ("Tệp kết quả (mặc định bao-cao.<định dạng>; '-' = màn hình cho html/csv)",
                       "output file (default bao-cao.<format>; '-' = stdout for html/csv)"),
    "cli.opt.lang": ("Ngôn ngữ tiêu đề: vi hoặc en", "language of the headers: vi or en"),
    "cli.opt.offline": ("Mọi kênh in ra màn hình, không cần token", "every channel prints to the console; no token needed"),
    "cli.opt.for": ("Dừng sau khoảng này, ví dụ 30s, 2h", "stop after this long"),
    "cli.opt.watch": ("Theo dõi content/ và đồng bộ lại", "watch content/ and resync"),
    "cli.opt.webhook": ("Nhận cập nhật Telegram qua webhook URL thay vì long polling", "receive Telegram updates at this URL instead of long polling"),
    "cli.opt.listen": ("Địa chỉ:cổng cho webhook", "host:port the webhook server listens on"),
    "cli.opt.zalo_webhook": ("Nhận tin Zalo Bot qua webhook URL thay vì getUpdates", "receive Zalo Bot updates at this URL instead of polling"),
    "cli.opt.svg": ("Ghi dòng thời gian ra tệp SVG (như trang web)", "Write the timeline to this SVG file (as the dashboard draws it)"),
    "cli.opt.png": ("Ghi dòng thời gian ra ảnh PNG rộng 1600 điểm ảnh (in A4 ngang, xem trên điện thoại)",
                    "Write the timeline to this PNG file, 1600 pixels wide (A4 landscape, phones)"),
    "cli.opt.html": ("Ghi dòng thời gian ra một tệp HTML tự chứa (mở không cần mạng, in A4 ngang)",
                     "Write the timeline to one self-contained HTML file (opens offline, prints on A4 landscape)"),
    "cli.no_cairo": ("Không tạo được PNG: cần thư viện cairo (Debian: apt-get install libcairo2) — {error}",
                     "Cannot write a PNG: it needs the cairo library (Debian: apt-get install libcairo2) — {error}"),
    "cli.opt.web": ("Máy chủ web (feed, LED, /healthz, /metrics) ở địa chỉ:cổng này thay cho [web] listen",
                    "Serve the web server (feeds, LED, /healthz, /metrics) on this host:port instead of [web] listen"),
    "cli.opt.no_web": ("Không chạy máy chủ web", "Do not run the web server"),
    "cli.opt.zalo_listen": ("Địa chỉ:cổng cho webhook Zalo", "host:port of the Zalo webhook server"),
    "cli.opt.speed": ("Giây ảo mỗi giây thật; 0 = nhanh nhất", "virtual seconds per real second; 0 = as fast as possible"),
    "cli.opt.approved": ("Coi mọi bài là đã duyệt", "treat every post as approved"),
    "cli.opt.post": ("Số hoặc khóa của bài", "post id or key"),
    "cli.opt.since": ("Từ ngày", "from date YYYY-MM-DD or DD/MM/YYYY"),
    "cli.opt.csv": ("Xuất CSV", "write CSV to stdout"),
    "cli.no_milestone": ("Không thuộc mốc", "no milestone"),
    "cli.posts_total": ("{n} bài ({zone})", "{n} posts ({zone})"),
    "cli.warning": ("cảnh báo", "warning"),
    "cli.more_warnings": ("… và {n} cảnh báo khác", "and {n} more warnings (loa plan --json lists them all)"),
    "cli.errors_in": ("{n} lỗi trong {files} tệp", "{n} errors in {files} files"),
    "cli.w.posts": ("bài", "posts"),
    "cli.w.milestones": ("mốc", "milestones"),
    "cli.w.channels": ("kênh", "channels"),
    "cli.w.warnings": ("cảnh báo", "warnings"),
    "cli.w.changes": ("thay đổi", "changes"),
    "cli.w.unchanged": ("không đổi", "unchanged"),
    "cli.w.errors": ("lỗi", "errors"),
    "cli.bad_date": ("{option} '{text}': dùng YYYY-MM-DD hoặc DD/MM/YYYY", "{option} '{text}': use YYYY-MM-DD or DD/MM/YYYY"),
    "cli.reversed": ("--from {start} sau --to {end}", "--from {start} is after --to {end}"),
    "cli.unknown_channel": ("không có kênh '{value}'; có: {known}", "no channel '{value}'; known: {known}"),
    "cli.unknown_milestone": ("không có mốc '{value}'; có: {known}", "no milestone '{value}'; known: {known}"),
    "cli.unknown_person": ("không có người '{value}'; có: {known}", "no person '{value}'; known: {known}"),
    "cli.ics_written": ("Đã ghi {n} sự kiện vào {path}", "wrote {n} events to {path}"),
    "cli.report_written": ("Đã ghi báo cáo ({posts} bài, {incidents} sự cố) vào {path}",
                           "wrote the report ({posts} posts, {incidents} incidents) to {path}"),
    "cli.bad_format": ("--format '{value}': dùng xlsx, html hoặc csv", "--format '{value}': use xlsx, html or csv"),
    "cli.xlsx_stdout": ("XLSX cần một tệp (-o bao-cao.xlsx)", "XLSX needs a file (-o report.xlsx)"),
    "cli.counting": ("Đang đếm", "Counting"),
    "cli.syncing": ("Đang nạp bài viết", "Loading posts"),
    "cli.nothing_to_simulate": ("không có bài nào để chạy thử", "nothing to simulate"),
    "cli.store_unreadable": ("(không đọc được kho dữ liệu, bỏ qua kiểm tra theo kho: {error})",
                             "(store not readable, its checks skipped: {error})"),
    "cli.cannot_open_db": ("không mở được cơ sở dữ liệu: {error}", "cannot open the database: {error}"),
    "cli.stopped_on_error": ("Loa dừng vì lỗi: {error}", "Loa stopped on an error: {error}"),
    "cli.deliveries": ("lượt gửi", "deliveries"),
    "cli.need_admin": ("cần quản trị viên xử lý: /retry hoặc /skip", "need an admin: /retry or /skip"),
    "cli.webhook_secret": ("webhook cần chuỗi bí mật ≥ 8 ký tự trong biến môi trường {env}",
                           "webhook mode needs a secret of 8+ characters in {env}"),
    "cli.host_port": ("'{value}': cần host:port", "'{value}': expected host:port"),
    # sync report labels
    "sync.added": ("thêm", "added"),
    "sync.changed": ("sửa", "changed"),
    "sync.rescheduled": ("đổi giờ", "rescheduled"),
    "sync.withdrawn": ("rút", "withdrawn"),
    "sync.restored": ("khôi phục", "restored"),
    "sync.changed_after_publish": ("sửa sau khi đăng", "changed after publishing"),
    # plan columns and values
    "plan.col.time": ("Giờ", "time"),
    "plan.col.no": ("Số", "no."),
    "plan.col.post": ("Bài", "post"),
    "plan.col.milestone": ("Mốc", "milestone"),
    "plan.col.channels": ("Kênh", "channels"),
    "plan.col.approval": ("Duyệt", "approval"),
    "plan.col.status": ("Trạng thái", "status"),
    "plan.post_no": ("bài #{n}", "post #{n}"),
    "state.pending": ("chờ duyệt {have}/{need}", "pending {have}/{need}"),
    "state.approved": ("đã duyệt {have}/{need}", "approved {have}/{need}"),
    "state.rejected": ("bị từ chối", "rejected"),
    "state.empty": ("chưa có bài", "no item yet"),
    "status.new": ("chưa nạp vào kho", "not synced yet"),
    "status.empty": ("khung trống của chuyên mục", "empty series slot"),
    "status.scheduled": ("đã lên lịch", "scheduled"),
    "status.held": ("bị giữ", "held"),
    "status.published": ("đã đăng", "published"),
    "status.missed": ("lỡ giờ", "missed"),
    "status.withdrawn": ("đã rút", "withdrawn"),
    "status.retracted": ("đã thu hồi", "retracted"),
    # audit headers
    "audit.at": ("thời điểm", "at"),
    "audit.actor": ("người làm", "actor"),
    "audit.action": ("việc", "action"),
    "audit.post_id": ("số bài", "post id"),
    "audit.ref": ("tham chiếu", "ref"),
    "audit.detail": ("chi tiết", "detail"),
    # loa zalo … (bot/zalo_cli.py)
    "cli.zalo.app": ("Zalo OA: ủy quyền và trạng thái token", "authorisation and token status"),
    "cli.opt.config_file": ("Tệp cấu hình", "config file"),
    "cli.zalo.opt.code": ("Mã ủy quyền từ trang cấp quyền của Zalo", "authorization code from Zalo's permission page"),
    "cli.zalo.opt.refresh_token": ("Refresh token (dùng '-' để nhập từ stdin)", "refresh token ('-' reads it from stdin)"),
    "cli.zalo.opt.code_verifier": ("PKCE code_verifier nếu đã dùng khi xin mã", "if the code was requested with PKCE"),
    # typer's help is rich markup: \\[ shows a literal [
    "cli.zalo.opt.redirect_uri": ("Callback URL của ứng dụng (mặc định \\[zalo] redirect_uri)",
                                  "the app's callback URL (default \\[zalo] redirect_uri)"),
    "cli.zalo.code_or_refresh": ("dùng đúng một trong --code hoặc --refresh-token",
                                 "give exactly one of --code or --refresh-token"),
    "cli.zalo.missing_env": ("thiếu biến môi trường {names}", "environment variable(s) not set: {names}"),
    "cli.zalo.login_failed": ("không lấy được token Zalo OA", "could not get a Zalo OA token"),
    "cli.zalo.stored": ("đã lưu token Zalo OA (thế hệ {generation}), hết hạn {expires}; Loa tự làm mới trước khi hết hạn",
                        "Zalo OA token pair stored (generation {generation}), expires {expires}; "
                        "Loa refreshes it ahead of expiry."),
    "cli.zalo.no_redirect": ("cần callback URL của ứng dụng: --redirect-uri hoặc [zalo] redirect_uri (hoặc dùng --code / "
                             "--refresh-token)",
                             "the app's callback URL is needed: --redirect-uri or [zalo] redirect_uri "
                             "(or use --code / --refresh-token)"),
    "cli.zalo.step_open": ("1. Mở trang này, đăng nhập bằng tài khoản quản trị OA và đồng ý",
                           "open this page, log in as an OA admin and accept:"),
    "cli.zalo.step_paste": ("2. Dán địa chỉ Zalo chuyển tới (có code và state) rồi Enter",
                            "paste the address Zalo redirected to (with code and state), then Enter:"),
    "cli.zalo.no_token": ("chưa có token Zalo OA; chạy `loa zalo login --code <mã>`",
                          "no Zalo OA token yet; run `loa zalo login --code <code>`"),
    "cli.zalo.valid_for": ("còn hạn {hours:.1f} giờ", "valid for {hours:.1f} h"),
    "cli.zalo.expired": ("đã hết hạn — sẽ làm mới ở lần gửi tới", "expired — refreshed at the next send"),
    "cli.zalo.generation": ("thế hệ", "generation"),
    "cli.zalo.expires": ("hết hạn", "expires"),
    "cli.zalo.updated": ("cập nhật", "updated"),
    "cli.zalo.warning": ("cảnh báo", "warning"),
    "cli.zalo.env_unset": ("biến môi trường {name} chưa đặt — không làm mới được",
                           "{name} is not set — the token cannot be refreshed"),
    # loa facebook … (bot/facebook_cli.py)
    "cli.fb.app": ("Fanpage Facebook: kiểm tra token và quyền", "check the Page token and permissions"),
    "cli.fb.opt.channel": ("Chỉ kênh này", "only this channel key"),
    # loa run --rehearse (bot/rehearsal.py, campaign/rehearsal.py)
    "cli.opt.rehearse": ("Diễn tập: dời cả lịch để mốc có bài tiếp theo bắt đầu ngay sau lúc này, trên kho dữ liệu "
                         "riêng (…-rehearsal.db, làm mới mỗi lần), mọi kênh in ra màn hình",
                         "rehearsal: move the whole timeline so that the next milestone with posts begins shortly after now, "
                         "on a separate database (…-rehearsal.db, fresh each time), every channel printed to the console"),
    "cli.opt.start_in": ("Diễn tập: mốc đầu bắt đầu sau khoảng thời gian thật này (mặc định 2m; như --for)",
                         "rehearsal: the first milestone begins after this much real time (default 2m; same grammar as --for)"),
    "cli.opt.run_speed": ("Diễn tập: thời gian của chiến dịch chạy nhanh gấp N lần (mặc định 1)",
                          "rehearsal: the campaign's time runs N times faster (default 1)"),
    "cli.opt.rehearse_milestone": ("Diễn tập: bắt đầu từ mốc này thay cho mốc có bài tiếp theo",
                                   "rehearsal: start with this milestone instead of the next one with posts"),
    "cli.opt.run_approved": ("Diễn tập: coi mọi bài là đã duyệt (không có: vẫn cần duyệt, chép lượt duyệt từ kho thật)",
                             "rehearsal: treat every post as approved (without it approvals are required; the real "
                             "store's approvals of the same content are copied)"),
    "cli.opt.live_channels": ("Diễn tập: gửi thật tới các kênh trong config (cần token) thay vì in ra màn hình",
                              "rehearsal: send to the real channels in config (tokens needed) instead of the console"),
    "rehearse.only": ("{option} chỉ dùng cùng --rehearse", "{option} is for --rehearse only"),
    "rehearse.bad_speed": ("--speed phải là số dương, tối đa {most} (nhận '{value}')",
                           "--speed must be a positive number up to {most} (got '{value}')"),
    "rehearse.too_far": ("--start-in {start_in} với --speed {speed} vượt quá lịch", "--start-in {start_in} at --speed {speed} goes beyond the calendar"),
    "rehearse.unknown_milestone": ("--milestone: không có mốc '{value}' (có: {known})",
                                   "--milestone: no milestone '{value}' (known: {known})"),
    "rehearse.no_posts": ("Không mốc nào có bài: không có gì để diễn tập", "no milestone has posts: nothing to rehearse"),
    "rehearse.mode": ("Chế độ: DIỄN TẬP", "mode: REHEARSAL"),
    "rehearse.console": ("mọi kênh in ra màn hình", "every channel printed to the console"),
    "rehearse.live": ("⚠ KÊNH THẬT: bài sẽ được gửi tới các kênh trong config", "⚠ LIVE CHANNELS: posts will be sent to the channels in config"),
    "rehearse.first": ("Mốc đầu: {title} — bắt đầu {at} (cả lịch dời {shift})",
                       "first milestone: {title} — begins {at} (the whole timeline moved by {shift})"),
    "rehearse.speed": ("Đồng hồ chiến dịch chạy nhanh gấp {speed} lần: 1 giây thật = {per_second}",
                       "the campaign's clock runs {speed}× faster: 1 real second = {per_second}"),
    "rehearse.approved": ("Duyệt: mọi bài coi như đã duyệt", "approvals: every post treated as approved"),
    "rehearse.approvals": ("Duyệt: vẫn cần duyệt như thật (đã chép lượt duyệt từ kho thật; thêm --approved để coi mọi bài đã duyệt)",
                           "approvals: required as in the real run (the real store's are copied; add --approved to treat every post as approved)"),
    "rehearse.database": ("Kho dữ liệu: {path} (riêng cho diễn tập, làm mới mỗi lần; kho thật không bị đụng tới)",
                          "database: {path} (rehearsal only, fresh each time; the real store is not touched)"),
    "rehearse.dashboard": ("Trang quản lý: {url}", "dashboard: {url}"),
    "rehearse.no_dashboard": ("Trang quản lý: tắt (--no-web)", "dashboard: off (--no-web)"),
    "rehearse.signin": ("Đăng nhập một lần ({name}, dùng trong 10 phút): {url}", "one-time sign-in ({name}, within 10 minutes): {url}"),
    "rehearse.left_out": ("{n} bài trước mốc đầu không nằm trong buổi diễn tập", "{n} posts before the first milestone are left out of the rehearsal"),
    # The commands' --help: first line (the listing's), then what each language says more.
    "cli.cmd.loa": ("Loa — lịch truyền thông chiến dịch cho Telegram và Zalo", "campaign communications scheduler"),
    "cli.cmd.check": ("Kiểm tra config và mọi bài viết (thoát 1 khi có lỗi).\n\nCảnh báo giống `loa plan` (kể cả hạn duyệt đã "
                      "qua, theo kho dữ liệu nếu có), nhóm Telegram đã nâng cấp, chuyên mục còn khung trống, ngày không có "
                      "bài công khai trong mốc `daily = true`.",
                      "validate config and every post (exit 1 on errors).\n\nThe same warnings as `loa plan` (an approval "
                      "deadline passed included, from the store when there is one), upgraded Telegram groups, a series with "
                      "empty slots, each day of a `daily = true` milestone without a post on a public channel."),
    "cli.cmd.plan": ("Lịch đăng theo thời gian: mỗi bài một dòng, trạng thái duyệt, cảnh báo.\n\nTrạng thái: new (chưa nạp vào "
                     "kho), scheduled (đã lên lịch), held (bị giữ: đến giờ mà chưa đủ duyệt), published (đã đăng), missed (lỡ "
                     "giờ), withdrawn (đã rút: tệp bị xoá), retracted (đã thu hồi). Duyệt: pending (chờ duyệt n/m), approved, "
                     "rejected. Khung trống của chuyên mục: \"○ … trống\" (không tính là bài). --json: number, key, at, "
                     "channels, state, approvals, needed, status, warnings, series, empty. --ics FILE: lịch công khai; với "
                     "--person ID: hạn duyệt của người đó, báo trước 1 giờ. --svg/--png/--html FILE: dòng thời gian như trang "
                     "web (PNG rộng 1600 px, HTML một tệp tự đủ; --from/--to chọn khoảng).",
                     "the timeline in time order: one line per post, approval state, warnings.\n\nStates: new (not synced "
                     "yet), scheduled, held (due but not approved), published, missed, withdrawn (file removed), retracted. "
                     "Approval: pending (n/m), approved, rejected. A series' empty slots: \"○ … empty\" (not counted as "
                     "posts). --json: number, key, at, channels, state, approvals, needed, status, warnings, series, empty. "
                     "--ics FILE: the public calendar; with --person ID: that person's approval deadlines, alarms 1 h before. "
                     "--svg/--png/--html FILE: the timeline as the dashboard draws it (PNG 1600 px wide, HTML one "
                     "self-contained file; --from/--to choose the window)."),
    "cli.cmd.report": ("Báo cáo so với kế hoạch.\n\nTheo giai đoạn, mốc, kênh và người viết: dự kiến, đã duyệt, đúng giờ, muộn, "
                       "lỡ giờ, lỗi, thu hồi, đính chính; thời gian duyệt; sự cố.",
                       "the report against the plan.\n\nPer phase, milestone, channel and author: planned, approved, on "
                       "time, late, missed, failed, retracted, corrected; approval turnaround; incidents."),
    "cli.cmd.sync": ("Nạp bài viết vào kho dữ liệu và in những gì thay đổi.", "load content files into the store and print what changed."),
    "cli.cmd.run": ("Chạy lịch đăng: nạp, lên lịch, đăng, theo dõi content/, đọc nguồn tiếp sóng (Ctrl-C dừng gọn).\n\nThoát 0 "
                    "chỉ khi dừng gọn (tín hiệu, hoặc hết --for); 1 kèm lý do khi hỏng; 2 khi một loa run khác giữ tệp SQLite; "
                    "3 khi dừng để giữ mỗi bài gửi đúng một lần (mất kết nối kho quá record_patience, hoặc mất quyền dẫn). "
                    "Diễn tập (--rehearse, docs/operations.md): lịch dời tới ngay sau lúc này, kho riêng, kênh in ra màn hình.",
                    "run: sync, schedule, publish, watch content/, poll relayed feeds (Ctrl-C stops cleanly).\n\nExit status 0 "
                    "only after a clean stop (a signal, or --for elapsed); 1 with a one-line reason when it fails; 2 when "
                    "another loa run holds the SQLite file; 3 when it stopped to keep delivery exactly-once (database "
                    "unreachable past record_patience, or the lead lost). Rehearsal (--rehearse, docs/operations.md): the "
                    "timeline moved to start shortly after now, a separate database, channels on the console."),
    "cli.cmd.status": ("Tiến trình nào đang chạy lịch, và các lượt gửi.", "which loa run leads, and the deliveries by state."),
    "cli.cmd.simulate": ("Chạy thử chiến dịch trên đồng hồ ảo (in ra màn hình, không gửi gì).",
                         "replay the campaign on a virtual clock (console output, nothing is sent)."),
    "cli.cmd.audit": ("Nhật ký: ai làm gì, khi nào.", "the audit trail: who did what, when."),
    "cli.cmd.zalo_login": ("Ủy quyền OA và lưu token vào kho.\n\nKhông có --code/--refresh-token: in trang cấp quyền của Zalo "
                           "(PKCE, state), rồi đọc lại địa chỉ Zalo chuyển tới.",
                           "authorise the OA and store the token pair.\n\nWithout --code or --refresh-token: print Zalo's "
                           "permission page (PKCE, state), then read back the address Zalo redirected to."),
    "cli.cmd.zalo_status": ("Hạn và thế hệ của token (không in token).", "token expiry and generation (never the tokens)."),
    "cli.cmd.facebook_check": ("Kiểm tra token Trang và quyền đăng bài.\n\nThoát 0 khi mọi fanpage sẵn sàng, 1 nếu không.",
                               "check each fanpage's token, Page and posting permissions.\n\nExit 0 when every fanpage is "
                               "ready to post, 1 otherwise."),
}
