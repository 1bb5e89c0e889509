"""Shared by the generators in scripts/: text as a C string literal (UTF-8 bytes, octal escapes
for anything outside printable ASCII, '?' escaped against trigraphs). With split_lines, each
newline also ends the literal and opens the next on a new source line (adjacent literals join)."""


def c_string(s, split_lines=False):
    out = []
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch == "\n" and split_lines:
            out.append('\\n"\n    "')
        elif ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'
