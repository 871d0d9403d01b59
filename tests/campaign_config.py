"""The small campaign the tests (and the benchmarks) build on: plain text, no imports."""

CONFIG = """\
[campaign]
name = "Chiến dịch thử / test campaign"
timezone = "Asia/Ho_Chi_Minh"
catch_up = "30m"

[anchors]
khai_mac = 2021-01-26

[[milestones]]
id = "cao-diem"
title = "Cao điểm"
phase = "before"
start = "khai_mac -6d"
end = "khai_mac -1d"

[[milestones]]
id = "khai-mac"
title = "Khai mạc"
phase = "during"
start = "khai_mac"
end = "khai_mac"

[channels.tg]
kind = "telegram"
target = "@kenh"
label = "Kênh tỉnh"

[channels.nhom]
kind = "telegram"
target = "-100200"
label = "Nhóm"

[channels.duyet]
kind = "telegram"
target = "-100300"
label = "Nhóm duyệt"

[channels.admin]
kind = "telegram"
target = "-100400"
label = "Quản trị"

[channels.zalo]
kind = "zalo_oa_group"
target = "g1"
label = "Nhóm Zalo"

[defaults]
channels = ["tg"]

[people.lan]
name = "Lan"
roles = ["approver"]
telegram = 11

[people.minh]
name = "Minh"
roles = ["approver"]
telegram = 12

[people.admin]
name = "Quản trị"
roles = ["admin"]
telegram = 13

[approval]
required = 1
deadline = "2h"
chats = ["duyet"]

[reminders]
offsets = ["-1d 20:00"]
channels = ["tg"]

[alerts]
chats = ["admin"]

[web]
listen = "127.0.0.1:0"  # a free port: tests and benchmarks run several loa run at once
"""
