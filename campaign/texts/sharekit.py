"""The share kit: what unit chats receive after a public post, the "I shared it" answers, the tally, the reminder."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # the kit (Telegram shows it as HTML with a button; Zalo as plain text with the typed command)
    "kit.title": ("📣 Bộ chia sẻ cho {unit}: {title}", "📣 Share kit for {unit}: {title}"),
    "kit.links": ("🔗 Bài đã đăng:", "🔗 Where it is published:"),
    "kit.link.telegram": ("Kênh Telegram", "Telegram channel"),
    "kit.link.facebook": ("Fanpage", "Facebook Page"),
    "kit.link.feed": ("Bản tin (feed)", "News feed"),
    "kit.no_links": ("(chưa có liên kết công khai; hãy chia sẻ nội dung dưới đây)",
                     "(no public link yet; share the text below)"),
    "kit.copy": ("📋 Nội dung để sao chép:", "📋 Text to copy:"),
    "kit.share": ("↗️ Chia sẻ nhanh:", "↗️ Share it:"),
    "kit.share.telegram": ("qua Telegram", "on Telegram"),
    "kit.share.facebook": ("lên Facebook", "on Facebook"),
    "kit.own": ("Hãy chia sẻ trên tài khoản của chính bạn; Loa không bao giờ đăng lên tài khoản cá nhân.",
                "Share it from your own account; Loa never posts to personal accounts."),
    "kit.press": ("Chia sẻ xong, bấm nút bên dưới.", "Once shared, press the button below."),
    "kit.typed": ("Chia sẻ xong, gõ: {call}", "Once shared, type: {call}"),
    # pressing "I shared it"
    "share.counted": ("Cảm ơn {name}! Đã ghi nhận bạn chia sẻ bài #{id} cho {unit}.",
                      "Thank you, {name}! Your share of post #{id} is counted for {unit}."),
    "share.again": ("Bạn đã báo chia sẻ bài #{id} lúc {at} ({unit}); mỗi người chỉ tính một lần cho mỗi bài.",
                    "You already reported sharing post #{id} at {at} ({unit}); each person counts once per post."),
    "share.stranger": ("Cảm ơn bạn đã chia sẻ! Chỉ cán bộ có tên trong danh sách mới được thống kê; "
                       "hãy nhờ quản trị viên thêm bạn vào.",
                       "Thank you for sharing! Only staff on the list are counted; ask an admin to add you."),
    "share.not_member": ("{name} không thuộc {unit}; lượt chia sẻ được tính cho đơn vị của bạn.",
                         "{name} is not in {unit}; shares count for your own unit."),
    "share.no_unit": ("không có đơn vị '{unit}' (có: {known})", "no unit '{unit}' (known: {known})"),
    "share.no_kit": ("{unit} chưa nhận bộ chia sẻ của bài #{id}.", "{unit} has not received a share kit for post #{id}."),
    # the tally (/chiase)
    "shares.title": ("📊 Chia sẻ của cán bộ", "📊 Staff shares"),
    "shares.none": ("Chưa có đơn vị nào ([[units]] trong config.toml).", "No units yet ([[units]] in config.toml)."),
    "shares.no_kits": ("Chưa gửi bộ chia sẻ nào.", "No share kits sent yet."),
    "shares.unit": ("{unit}: {shares} lượt / {kits} bài, tỷ lệ {rate}", "{unit}: {shares} share(s) / {kits} post(s), rate {rate}"),
    "shares.posts": ("Theo bài (mới nhất trước):", "By post (newest first):"),
    "shares.no_rate": ("— (chưa khai báo thành viên)", "— (no members listed)"),
    # the daily reminder
    "share.nudge": ("🔔 {unit}: hôm nay mới có {shares} lượt chia sẻ trên {kits} bài ({rate}), mục tiêu {target}. "
                    "Mời các đồng chí chia sẻ các bài trên từ tài khoản của mình.",
                    "🔔 {unit}: {shares} share(s) of {kits} post(s) today ({rate}), the target is {target}. "
                    "Please share today's posts from your own accounts."),
}
