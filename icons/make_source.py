"""Draws Keyward's icon (a key on a rounded square) as PNG files, with no dependencies.

source.png (1024 px) is the one source image `npx @tauri-apps/cli@2.12.5 icon icons/source.png -o icons` turns into
the app icons; tray.png and tray-attention.png are the tray's two states.
"""
import math
import struct
import sys
import zlib


def png(path, size, pixel):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            row.extend(pixel(x + 0.5, y + 0.5, size))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def inside_rounded(x, y, s, r):
    cx = min(max(x, r), s - r)
    cy = min(max(y, r), s - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def key_shape(x, y, s):
    """A key: ring at upper left, shaft to the lower right, two teeth."""
    u, v = x / s, y / s
    # ring
    d = math.hypot(u - 0.36, v - 0.36)
    if 0.09 <= d <= 0.17:
        return True
    # shaft along the diagonal
    t = ((u - 0.36) + (v - 0.36)) / 2
    off = abs((u - 0.36) - (v - 0.36)) / math.sqrt(2)
    if 0.11 <= t <= 0.36 and off <= 0.045:
        return True
    # teeth, perpendicular to the shaft
    for tooth in (0.27, 0.34):
        along = abs(t - tooth)
        side = ((u - 0.36) - (v - 0.36)) / math.sqrt(2)
        if along <= 0.028 and 0 <= side <= 0.13:
            return True
    return False


def make(bg, fg):
    def pixel(x, y, s):
        if not inside_rounded(x, y, s, s * 0.22):
            return (0, 0, 0, 0)
        if key_shape(x, y, s):
            return fg + (255,)
        return bg + (255,)
    return pixel


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    blue, white, amber = (37, 99, 235), (255, 255, 255), (217, 119, 6)
    png(f"{out}/source.png", 1024, make(blue, white))
    png(f"{out}/tray.png", 32, make(blue, white))
    png(f"{out}/tray-attention.png", 32, make(amber, white))
