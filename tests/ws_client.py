"""A bare WebSocket client (RFC 6455) over a plain socket, for the tests and
the load benchmark of `asr serve`: it can send what a well-behaved library
would refuse to (text where audio belongs, oversized frames, a vanished
client), and it has no dependency beyond Python itself."""
import base64
import json
import os
import socket
import struct

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


class Closed(Exception):
    """The server closed the connection; code is the close code (None: no
    close frame, the socket just ended)."""

    def __init__(self, code, reason=""):
        super().__init__("closed %s %s" % (code, reason))
        self.code, self.reason = code, reason


class Client:
    def __init__(self, port, path="/", host="127.0.0.1", headers=(), timeout=30, rcvbuf=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # a small window, so that a client that does not read is seen soon
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += list(headers)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            got = self.sock.recv(4096)
            if not got:
                raise Closed(None, "no handshake")
            self.buf += got
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise Closed(None, head.decode(errors="replace").splitlines()[0])
        self.close_code = None

    # ---- sending
    def frame(self, opcode, payload, fin=True):
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask(payload, mask)
        self.sock.sendall(head + mask + body)

    def text(self, s):
        self.frame(TEXT, s.encode() if isinstance(s, str) else s)

    def json(self, obj):
        self.text(json.dumps(obj))

    def binary(self, data):
        self.frame(BINARY, data)

    def close(self, code=1000):
        try:
            self.frame(CLOSE, struct.pack(">H", code))
        except OSError:
            pass

    def drop(self):
        """Vanishes: the socket is closed without a goodbye."""
        self.sock.close()

    # ---- receiving
    def _read(self, n):
        while len(self.buf) < n:
            got = self.sock.recv(65536)
            if not got:
                raise Closed(None, "connection ended")
            self.buf += got
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next message: a dict (text, parsed as JSON) or bytes. Raises
        Closed at a close frame."""
        data = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 15, b1 & 127
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if opcode == CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                self.close_code = code
                raise Closed(code, payload[2:].decode(errors="replace"))
            if opcode == PING:
                self.frame(PONG, payload)
                continue
            data += payload
            if b0 & 0x80:
                return json.loads(data) if opcode in (TEXT, 0) else data

    def until_closed(self):
        """Every message up to the close; (messages, close code)."""
        out = []
        try:
            while True:
                out.append(self.recv())
        except Closed as e:
            return out, e.code
        except (ConnectionResetError, socket.timeout) as e:
            return out, repr(e)


def _mask(payload, mask):
    n = len(payload)
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big")
