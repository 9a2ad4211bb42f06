#!/usr/bin/env bash
# Make the IVR's Mandarin prompts: espeak-ng (Mandarin voice, see VOICE) -> sox -> 8 kHz, 16-bit, mono WAV.
# Writes hotline/telephony/prompts/<id>.wav and README.md (the list of prompts with their text).
# The files are checked in; run this again after changing a text below, and commit both.
# Needs the Debian packages espeak-ng and sox:  apt-get install -y espeak-ng sox
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=hotline/telephony/prompts
# espeak-ng 1.51's dictionary spells some characters in pinyin; the plain `cmn` voice then reads that
# pinyin as English (欢迎 comes out as "hju-an-five"). `cmn-latn-pinyin` is the same Mandarin voice
# reading those spellings as pinyin. Check a text with: espeak-ng -v cmn-latn-pinyin -q --ipa "欢迎"
VOICE=cmn-latn-pinyin
SPEED=150   # words per minute; a little slower than espeak's 175 for callers on a phone line
# Prompts marked `brisk` stand between a caller and an agent (the welcome, the main menu): espeak's own
# speed, and no silence before or after the words, so the demo flow's silent caller reaches an agent in
# under 8 s (docs/telephony.md, "Time to an agent"). The callback confirmations are brisk and short too: a
# caller captured in a surge holds a line until it ends, and 300 lines must absorb 50 callers a second
# (docs/telephony.md, "Surge capture").
BRISK_SPEED=175

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
if ((${#missing[@]})); then
    echo "make_prompts.sh: missing ${missing[*]}; install with: apt-get install -y ${missing[*]}" >&2
    exit 1
fi

# id|text[|brisk] — ids are what flows and hotline/telephony/ivr/phrases.py refer to.
PROMPTS=$(cat <<'LIST'
welcome|您好，欢迎致电。|brisk
welcome_short|欢迎致电，正在为您转接订购。|brisk
main_menu|订购按1，查询按2，售后按3。|brisk
invalid_key|您的按键有误，请重新输入。
no_input|对不起，没有收到您的按键。
please_hold|正在为您转接，请稍候。
status_menu|如需人工服务请按0，返回主菜单请按9。
goodbye|感谢您的来电，再见。
queue_ahead|您前面还有
queue_wait|预计等待
num_0|零
num_1|一
num_2|二
num_2_liang|两
num_3|三
num_4|四
num_5|五
num_6|六
num_7|七
num_8|八
num_9|九
num_10|十
num_100|百
unit_people|位
unit_minutes|分钟
order_status_intro|您的订单状态是
status_ordered|已订购
status_reviewed|已审核
status_shipped|已发货
status_delivered|已交付
status_settled|已结算
status_cancelled|已取消
status_refused|已拒收
status_returned|已退货
status_exchanged|已更换
order_not_found|对不起，没有查到您的订单。
enter_order_number|请输入您的订单号，以井号键结束。
enter_member_number|请输入您的会员号，以井号键结束。
enter_pin|请输入您的密码，以井号键结束。
verification_failed|对不起，会员号或密码不正确。
all_busy|现在座席全忙。
callback_offer|如需我们稍后给您回电，请按1；继续等待请按2。
callback_confirmed|已登记回电，再见。|brisk
callback_no_number|号码无法识别，请稍后再拨。|brisk
blacklisted|对不起，本热线暂时无法为您服务，再见。
voicemail_greeting|现在无人接听，请在提示音后留言，说完请挂机。
survey_question|请为本次服务评分：非常满意请按5，满意按4，一般按3，不满意按2，非常不满意按1。
survey_thanks|感谢您的评价，再见。
notice_intro|您好，这里是订购热线。您的订单号是
LIST
)

mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo "# IVR prompts"
    echo
    echo "Made by \`scripts/make_prompts.sh\` (espeak-ng voice $VOICE, sox): 8 kHz, 16-bit, mono WAV."
    echo "Do not edit the WAV files by hand; change the text in the script and run it again."
    echo
    echo "| id | text |"
    echo "|---|---|"
} > "$tmp/README.md"

count=0
while IFS='|' read -r id text style; do
    # -D: no dither, so the same text always gives the same bytes; norm: a steady level on every prompt
    if [[ "$style" == brisk ]]; then
        espeak-ng -v "$VOICE" -s "$BRISK_SPEED" -w "$tmp/raw.wav" "$text"
        # silence: drop the quiet before the first word and (reversed) after the last one
        sox -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$OUT/$id.wav" \
            silence 1 0.02 1% reverse silence 1 0.02 1% reverse norm -3
    else
        espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/raw.wav" "$text"
        sox -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$OUT/$id.wav" norm -3
    fi
    echo "| \`$id\` | $text |" >> "$tmp/README.md"
    count=$((count + 1))
done <<< "$PROMPTS"
# The tone after which a caller leaves a voicemail: 0.4 s of 1 kHz (no speech, so not in the list above).
sox -D -n -r 8000 -c 1 -b 16 -e signed-integer "$OUT/beep.wav" synth 0.4 sine 1000 vol 0.5
echo "| \`beep\` | (a 0.4 s tone of 1 kHz, before a voicemail) |" >> "$tmp/README.md"
count=$((count + 1))
mv "$tmp/README.md" "$OUT/README.md"
echo "make_prompts.sh: wrote $count prompts to $OUT"
