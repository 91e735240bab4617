#!/usr/bin/python3
"""RTSP H.264 test-pattern server for the camera simulator.

Each frame carries the wall clock at capture time twice: as large digits
(HH:MM:SS.mmm UTC) a person can read on a screenshot, and as a binary strip
(44 bits, milliseconds since the Unix epoch) a program can decode from the
pixels; docs/camera-simulator.md describes the layout.

Frames are drawn into I420 buffers in Python and pushed through appsrc, because
this Debian install has no pango (textoverlay/clockoverlay) and clockoverlay
only shows seconds anyway.

Snapshots come from the same renderer, encoded to JPEG in this process (a
jpegenc pipeline kept ready), as a camera's own JPEG encoder taps its image
pipeline: a snapshot answers within milliseconds, with or without RTSP viewers.

Protocol with the parent (one line each): stdout "ready <port>" once the
server listens; stdin "password <new>" replaces the digest credential;
stdin "snapshot <id>" is answered on stdout with "snapshot <id> <base64 JPEG>"
(or "snapshot <id> error <reason>").
Credentials: CAMSIM_RTSP_USER / CAMSIM_RTSP_PASSWORD (no user: no auth).
"""
import argparse
import base64
import ctypes
import os
import signal
import sys
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# 5x7 bitmap font: one string per row, '#' lit.
FONT = {
    '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
    '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
    '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
    '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
    '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
    '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
    '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
    '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
    '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
    '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
    ':': ['.....', '..#..', '..#..', '.....', '..#..', '..#..', '.....'],
    '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
    ' ': ['.....'] * 7,
}

SCALE = 6          # font pixel -> 6x6 image pixels
CHAR_W = 6 * SCALE  # 5 columns + 1 spacing
CHAR_H = 7 * SCALE
STRIP_BITS = 44     # 2^44 ms is ~557 years: whole epoch milliseconds fit
STRIP_CELL_W = 12
STRIP_CELL_H = 16
STRIP_X = 8


class Frames:
    """Builds I420 frames: colour bars, a moving block, the clock text and strip."""

    def __init__(self, width, height):
        self.w, self.h = width, height
        self.y_size = width * height
        self.c_w, self.c_h = width // 2, height // 2
        self.c_size = self.c_w * self.c_h
        self.background = self._bars()
        self.glyph_rows = {
            ch: [bytes(b for px in row for b in ([235] * SCALE if px == '#' else [16] * SCALE)) + bytes([16] * SCALE)
                 for row in rows]
            for ch, rows in FONT.items()
        }
        self.text_x, self.text_y = 16, 16
        self.strip_y = height - STRIP_CELL_H - 8

    def _bars(self):
        # 75% colour bars (white, yellow, cyan, green, magenta, red, blue, black), BT.601 YUV.
        colours = [(180, 128, 128), (162, 44, 142), (131, 156, 44), (112, 72, 58),
                   (84, 184, 198), (65, 100, 212), (35, 212, 114), (16, 128, 128)]
        y_row = bytearray(self.w)
        u_row = bytearray(self.c_w)
        v_row = bytearray(self.c_w)
        for x in range(self.w):
            y_row[x] = colours[x * 8 // self.w][0]
        for x in range(self.c_w):
            c = colours[x * 8 // self.c_w]
            u_row[x], v_row[x] = c[1], c[2]
        return bytes(y_row) * self.h + bytes(u_row) * self.c_h + bytes(v_row) * self.c_h

    def _box(self, buf, x, y, w, h, luma):
        row = bytes([luma]) * w
        for yy in range(y, y + h):
            o = yy * self.w + x
            buf[o:o + w] = row
        grey = bytes([128]) * (w // 2)
        for yy in range(y // 2, (y + h) // 2):
            o = self.y_size + yy * self.c_w + x // 2
            buf[o:o + w // 2] = grey
            o2 = self.y_size + self.c_size + yy * self.c_w + x // 2
            buf[o2:o2 + w // 2] = grey

    def render(self, now_ms, frame_no):
        buf = bytearray(self.background)
        # A block that moves every frame, so a frozen picture is visible as such.
        bx = (frame_no * 8) % (self.w - 48)
        self._box(buf, bx, self.h // 2 - 24, 48, 48, 235)
        text = time.strftime('%H:%M:%S', time.gmtime(now_ms // 1000)) + '.%03d' % (now_ms % 1000)
        self._box(buf, self.text_x - 8, self.text_y - 8, len(text) * CHAR_W + 16, CHAR_H + 16, 16)
        for i, ch in enumerate(text):
            x0 = self.text_x + i * CHAR_W
            for r, row_bytes in enumerate(self.glyph_rows[ch]):
                for s in range(SCALE):
                    o = (self.text_y + r * SCALE + s) * self.w + x0
                    buf[o:o + CHAR_W] = row_bytes
        # Binary strip: a white then a black guard cell, then the bits MSB first.
        cells = [1, 0] + [(now_ms >> (STRIP_BITS - 1 - i)) & 1 for i in range(STRIP_BITS)]
        self._box(buf, STRIP_X - 4, self.strip_y - 4, len(cells) * STRIP_CELL_W + 8, STRIP_CELL_H + 8, 128)
        white, black = bytes([235]) * STRIP_CELL_W, bytes([16]) * STRIP_CELL_W
        for yy in range(self.strip_y, self.strip_y + STRIP_CELL_H):
            base = yy * self.w + STRIP_X
            for i, bit in enumerate(cells):
                o = base + i * STRIP_CELL_W
                buf[o:o + STRIP_CELL_W] = white if bit else black
        return bytes(buf)


class Snapshots:
    """JPEG encoder for still pictures of the current frame: appsrc ! jpegenc ! appsink, PLAYING from start."""

    def __init__(self, frames, fps):
        self.frames, self.fps = frames, fps
        caps = 'video/x-raw,format=I420,width=%d,height=%d,framerate=0/1' % (frames.w, frames.h)
        self.pipeline = Gst.parse_launch(
            'appsrc name=src format=time do-timestamp=true caps="%s" ! jpegenc quality=85 '
            '! appsink name=sink sync=false max-buffers=1 drop=true' % caps)
        self.src = self.pipeline.get_by_name('src')
        self.sink = self.pipeline.get_by_name('sink')
        self.pipeline.set_state(Gst.State.PLAYING)

    def take(self):
        now_ms = int(time.time() * 1000)
        # The frame the stream shows at this time (the moving block advances one step per frame period).
        frame_no = now_ms * self.fps // 1000
        if self.src.emit('push-buffer', Gst.Buffer.new_wrapped(self.frames.render(now_ms, frame_no))) != Gst.FlowReturn.OK:
            return None
        sample = self.sink.emit('try-pull-sample', 2 * Gst.SECOND)
        if sample is None:
            return None
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return None
        try:
            return bytes(info.data)
        finally:
            buf.unmap(info)


class Factory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.frames = Frames(args.width, args.height)
        caps = 'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1' % (args.width, args.height, args.fps)
        self.launch = (
            '( appsrc name=src is-live=true do-timestamp=true format=time caps="%s" '
            '! queue max-size-buffers=2 leaky=downstream '
            '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bitrate=%d threads=1 '
            '! video/x-h264,profile=constrained-baseline '
            '! rtph264pay name=pay0 pt=96 config-interval=-1 )'
        ) % (caps, args.gop, args.bitrate)
        self.set_shared(True)
        self.connect('media-configure', self.on_configure)

    def do_create_element(self, _url):
        return Gst.parse_launch(self.launch)

    def on_configure(self, _factory, media):
        src = media.get_element().get_by_name_recurse_up('src')
        period = 1.0 / self.args.fps
        state = {'n': 0, 'alive': True, 'due': time.monotonic()}

        def push():
            if not state['alive']:
                return False
            if src.get_state(0)[1] != Gst.State.PLAYING:
                # do-timestamp stamps a frame with the pipeline's running time, which before PLAYING (no base
                # time yet) is the bare clock time: hours ahead of the frames after it. The sinks would wait
                # for that frame, so the stream would freeze for every client. Wait for PLAYING instead.
                state['due'] = time.monotonic()
                GLib.timeout_add(5, push)
                return False
            now_ms = int(time.time() * 1000)
            buf = Gst.Buffer.new_wrapped(self.frames.render(now_ms, state['n']))
            state['n'] += 1
            ret = src.emit('push-buffer', buf)
            if ret != Gst.FlowReturn.OK:
                # Said on stderr (the parent logs it): a stream that stops here freezes for its clients.
                print('stream push stopped at frame %d: %s' % (state['n'], ret.value_nick), file=sys.stderr, flush=True)
                state['alive'] = False
                return False
            # Schedule against absolute due times so the rate holds at fps (a plain periodic timer drifts
            # late); after a freeze (stall fault) start afresh instead of bursting the missed frames.
            state['due'] += period
            delay = state['due'] - time.monotonic()
            if delay < -period:
                state['due'] = time.monotonic()
                delay = 0
            GLib.timeout_add(max(0, int(delay * 1000)), push)
            return False

        def stop(_media):
            state['alive'] = False

        media.connect('unprepared', stop)
        GLib.idle_add(push)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--path', default='/stream1')
    p.add_argument('--width', type=int, default=640)
    p.add_argument('--height', type=int, default=360)
    p.add_argument('--fps', type=int, default=15)
    p.add_argument('--gop', type=int, default=15)
    p.add_argument('--bitrate', type=int, default=1200)
    args = p.parse_args()
    # Credentials come by environment so they do not show in the process list.
    args.user = os.environ.get('CAMSIM_RTSP_USER', '')
    args.password = os.environ.get('CAMSIM_RTSP_PASSWORD', '')
    # If the simulator dies, even while this process is SIGSTOPped (stall fault), take it down too.
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = Factory(args)
    auth = None
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'viewer')
        auth.add_digest(args.user, args.password, token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role('viewer', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role('viewer', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)
    server.get_mount_points().add_factory(args.path, factory)
    snapshots = Snapshots(factory.frames, args.fps)
    if server.attach(None) == 0:
        print('error cannot listen', flush=True)
        sys.exit(1)
    print('ready %d' % server.get_bound_port(), flush=True)

    loop = GLib.MainLoop()

    def on_stdin(channel, condition):
        if condition & (GLib.IO_HUP | GLib.IO_ERR):
            loop.quit()  # parent went away: never outlive it
            return False
        line = channel.readline()
        if not line:
            loop.quit()
            return False
        cmd, _, value = line.strip().partition(' ')
        if cmd == 'password' and auth is not None:
            auth.remove_digest(args.user)
            token = GstRtspServer.RTSPToken()
            token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'viewer')
            auth.add_digest(args.user, value, token)
        elif cmd == 'snapshot':
            jpeg = snapshots.take()
            if jpeg is None:
                print('snapshot %s error jpeg encoder gave no picture' % value, flush=True)
            else:
                print('snapshot %s %s' % (value, base64.b64encode(jpeg).decode('ascii')), flush=True)
        return True

    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    loop.run()


if __name__ == '__main__':
    main()
