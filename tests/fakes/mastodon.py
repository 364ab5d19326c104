#!/usr/bin/env python3
"""A fake Mastodon server for Palabre's tests, run as its own process.

It speaks the parts of the Mastodon API that Palabre's connector uses: server-sent event
streams (with `:thump` heartbeats), mention notifications with `min_id` paging,
`POST /api/v2/media` (multipart `file` and `description`: an image becomes an attachment, ready
at once with its `url` (200) or still processing (202, `url` null) until `GET /api/v1/media/:id`
answers 200 instead of 206), and `POST /api/v1/statuses` honouring `Idempotency-Key` as
Mastodon does (the same key gives back the same status, never a second one) and taking
`media_ids` (unknown or unprocessed ones are refused with a 422, as Mastodon does). It sends
`X-RateLimit-*` headers with an ISO reset.

Control endpoints under /_fake/ let a test inject what real servers do:
  POST /_fake/mention  {"acct", "text", "visibility"}  a mention of the brand (streamed + listed)
  POST /_fake/burst    {"count"}                       that many mentions, streamed at once
  POST /_fake/fail     {"statuses": [...], "stream": [...], "notifications": [...], "media": [...]}
       statuses: "429" (reset in 2 s), "429-10min" (reset in 10 minutes), "500", "hang",
       "error200", "401";  stream: "half", "disconnect",
       "silent", "500";  notifications: "500", "garbage";
       media (the next uploads, in order): "ok" (as usual), "422" (too heavy: `Validation
       failed: File file size must be less than 16 MB`), "422-type" (`Validation failed: File
       content type is invalid, File is invalid`), "500", "processing" (202, ready after two
       reads), "stuck" (202, never ready)
  POST /_fake/hold     {"ms"}     hold each statuses answer this long AFTER recording the post
  POST /_fake/token    {"valid"}  revoke or restore the token (401 everywhere)
  POST /_fake/remaining {"remaining"}  what X-RateLimit-Remaining says next
  GET  /_fake/posts               every status created (with its idempotency key and
                                  media_ids), every upload ("media": id, file name, content
                                  type, size, sha256, description), the statuses requests,
                                  every streaming request's path (`stream_paths`)
`--brand-id` and `--brand` say which account is the brand's (default 1, `marque`): two fakes can
play two accounts of one brand.
Prints `listening on http://127.0.0.1:PORT` once ready. Standard library only.
"""

import argparse
import datetime
import hashlib
import json
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Condition()
STATE = {
    "next_id": 110000000000000000,
    "notifications": [],  # oldest first
    "posts": [],
    "by_key": {},
    "fail": {"statuses": [], "stream": [], "notifications": [], "media": []},
    "media": [],  # every upload, oldest first
    "media_by_id": {},
    "hold_ms": 0,
    "token_ok": True,
    "remaining": 300,
    "requests": [],
    "stream_seq": 0,
    "streams": 0,
    "hits": 0,
    "stream_paths": [],  # every streaming request's path and query, in order
}
TOKEN = "fake-token"
BRAND = {"id": "1", "username": "marque"}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def next_id():
    STATE["next_id"] += 1
    return str(STATE["next_id"])


def account(acct):
    return {
        "id": str(zlib.crc32(acct.encode())),
        "username": acct.split("@")[0],
        "acct": acct,
        "display_name": acct.split("@")[0].title(),
        "locked": False,
        "bot": False,
        "created_at": "2024-01-01T00:00:00.000Z",
        "note": "",
        "url": "https://fake.example/@" + acct,
        "followers_count": 12,
        "following_count": 34,
        "statuses_count": 56,
    }


def make_mention(acct, text, visibility="public", in_reply_to=None):
    sid = next_id()
    status = {
        "id": sid,
        "created_at": now_iso(),
        "in_reply_to_id": in_reply_to,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": visibility,
        "language": "fr",
        "uri": "https://fake.example/statuses/" + sid,
        "url": "https://fake.example/@" + acct + "/" + sid,
        "content": "<p><span class=\"h-card\"><a href=\"https://fake.example/@" + BRAND["username"] + "\" class=\"u-url mention\">@<span>" + BRAND["username"] + "</span></a></span> "
        + text.replace("&", "&amp;").replace("<", "&lt;")
        + "</p>",
        "account": account(acct),
        "mentions": [{"id": BRAND["id"], "username": BRAND["username"], "acct": BRAND["username"],
                      "url": "https://fake.example/@" + BRAND["username"]}],
        "tags": [],
        "media_attachments": [],
        "emojis": [],
        "reblog": None,
        "card": None,
    }
    notification = {
        "id": next_id(),
        "type": "mention",
        "created_at": status["created_at"],
        "account": status["account"],
        "status": status,
    }
    STATE["notifications"].append(notification)
    STATE["stream_seq"] += 1
    LOCK.notify_all()
    return notification


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMastodon/1.0"

    def log_message(self, fmt, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    def send(self, code, payload, extra=None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        reset = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(STATE["remaining"]), "X-RateLimit-Reset": reset}
        headers.update(extra or {})
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        with LOCK:
            ok = STATE["token_ok"]
            STATE["hits"] += 1
        if self.headers.get("Authorization") != "Bearer " + TOKEN or not ok:
            self.send(401, {"error": "The access token is invalid"})
            return False
        return True

    def pop_fail(self, kind):
        with LOCK:
            fails = STATE["fail"][kind]
            return fails.pop(0) if fails else None

    # -- control -----------------------------------------------------------------------------

    def control(self, path):
        if self.command == "GET" and path == "/_fake/posts":
            with LOCK:
                return self.send(200, {"posts": STATE["posts"], "requests": STATE["requests"], "streams": STATE["streams"], "stream_paths": STATE["stream_paths"], "hits": STATE["hits"], "media": STATE["media"]})
        b = self.body()
        with LOCK:
            if path == "/_fake/mention":
                n = make_mention(b.get("acct", "alice@fake.example"), b.get("text", "Bonjour"), b.get("visibility", "public"))
                return self.send(200, n)
            if path == "/_fake/burst":
                count = int(b.get("count", 1000))
                for i in range(count):
                    make_mention("fan%d@fake.example" % (i % 5000), "Question %d sur mon vol vers Lyon ?" % i)
                return self.send(200, {"count": count, "last": STATE["notifications"][-1]["id"]})
            if path == "/_fake/fail":
                for k in ("statuses", "stream", "notifications", "media"):
                    STATE["fail"][k].extend(b.get(k, []))
                return self.send(200, STATE["fail"])
            if path == "/_fake/hold":
                STATE["hold_ms"] = int(b.get("ms", 0))
                return self.send(200, {})
            if path == "/_fake/remaining":
                STATE["remaining"] = int(b.get("remaining", 300))
                return self.send(200, {})
            if path == "/_fake/token":
                STATE["token_ok"] = bool(b.get("valid", True))
                return self.send(200, {})
        self.send(404, {"error": "unknown control " + path})

    # -- API ---------------------------------------------------------------------------------

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.startswith("/_fake/"):
            return self.control(url.path)
        if not self.authorized():
            return
        if url.path == "/api/v1/notifications":
            return self.notifications(parse_qs(url.query))
        if url.path.startswith("/api/v1/streaming/"):
            with LOCK:
                STATE["stream_paths"].append(self.path)
            return self.stream(url.path)
        if url.path.startswith("/api/v1/media/"):
            return self.media_status(url.path.rsplit("/", 1)[-1])
        self.send(404, {"error": "Record not found"})

    def do_POST(self):
        url = urlparse(self.path)
        if url.path.startswith("/_fake/"):
            return self.control(url.path)
        if not self.authorized():
            return
        if url.path == "/api/v1/statuses":
            return self.statuses()
        if url.path == "/api/v2/media":
            return self.upload()
        self.send(404, {"error": "Record not found"})

    def do_DELETE(self):
        if not self.authorized():
            return
        self.send(200, {"id": self.path.rsplit("/", 1)[-1], "text": ""})

    def notifications(self, query):
        fail = self.pop_fail("notifications")
        if fail == "500":
            return self.send(500, {"error": "boom"})
        if fail == "garbage":
            return self.send(200, b"<html>maintenance</html>")
        limit = int(query.get("limit", ["40"])[0])
        min_id = query.get("min_id", [None])[0]
        with LOCK:
            items = list(STATE["notifications"])
        if min_id is not None:
            newer = [n for n in items if int(n["id"]) > int(min_id)][:limit]
        else:
            newer = items[-limit:]
        # Mastodon lists newest first.
        self.send(200, list(reversed(newer)))

    def form(self):
        """A multipart/form-data body: {name: (filename, content type, bytes)}."""
        ctype = self.headers.get("Content-Type") or ""
        boundary = None
        for param in ctype.split(";")[1:]:
            k, _, v = param.strip().partition("=")
            if k.lower() == "boundary":
                boundary = v.strip('"').encode()
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        fields = {}
        if not ctype.startswith("multipart/form-data") or not boundary:
            return fields
        for chunk in raw.split(b"--" + boundary)[1:]:
            if chunk.startswith(b"--"):
                break
            head, _, data = chunk[2:].partition(b"\r\n\r\n")
            if data.endswith(b"\r\n"):
                data = data[:-2]
            name = filename = None
            part_type = "text/plain"
            for line in head.decode("utf-8", "replace").split("\r\n"):
                key, _, value = line.partition(":")
                if key.strip().lower() == "content-disposition":
                    for item in value.split(";"):
                        k, _, v = item.strip().partition("=")
                        if k == "name":
                            name = v.strip('"')
                        elif k == "filename":
                            filename = v.strip('"')
                elif key.strip().lower() == "content-type":
                    part_type = value.strip()
            if name is not None:
                fields[name] = (filename, part_type, data)
        return fields

    def attachment(self, media, ready):
        mid = media["id"]
        url = "https://fake.example/system/media_attachments/files/" + mid + "/original/" + (media["filename"] or "file")
        return {
            "id": mid,
            "type": "image",
            "url": url if ready else None,
            "preview_url": url.replace("/original/", "/small/"),
            "remote_url": None,
            "description": media["description"],
            "meta": {},
        }

    def upload(self):
        fields = self.form()
        fail = self.pop_fail("media")
        if fail == "500":
            return self.send(500, {"error": "We're sorry, but something went wrong"})
        if fail == "422":
            return self.send(422, {"error": "Validation failed: File file size must be less than 16 MB"})
        if fail == "422-type":
            return self.send(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        if "file" not in fields:
            return self.send(422, {"error": "Validation failed: File can't be blank"})
        filename, part_type, data = fields["file"]
        if not part_type.startswith("image/"):
            return self.send(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        description = fields["description"][2].decode("utf-8") if "description" in fields else None
        with LOCK:
            media = {
                "id": next_id(),
                "filename": filename,
                "content_type": part_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "description": description,
                # Reads of GET /api/v1/media/:id still answered 206.
                "pending": {"processing": 2, "stuck": 10 ** 9}.get(fail, 0),
            }
            STATE["media"].append(media)
            STATE["media_by_id"][media["id"]] = media
        if media["pending"]:
            return self.send(202, self.attachment(media, False))
        self.send(200, self.attachment(media, True))

    def media_status(self, mid):
        with LOCK:
            media = STATE["media_by_id"].get(mid)
            if media is None:
                return self.send(404, {"error": "Record not found"})
            ready = media["pending"] == 0
            if not ready:
                media["pending"] -= 1
        if not ready:
            return self.send(206, self.attachment(media, False))
        self.send(200, self.attachment(media, True))

    def statuses(self):
        b = self.body()
        key = self.headers.get("Idempotency-Key")
        fail = self.pop_fail("statuses")
        with LOCK:
            STATE["requests"].append({"key": key, "fail": fail})
            STATE["remaining"] = max(0, STATE["remaining"] - 1)
        if fail in ("429", "429-10min"):
            wait = datetime.timedelta(minutes=10) if fail == "429-10min" else datetime.timedelta(seconds=2)
            reset = (datetime.datetime.now(datetime.timezone.utc) + wait).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            )
            return self.send(429, {"error": "Too many requests"}, {"X-RateLimit-Reset": reset})
        if fail == "500":
            return self.send(500, {"error": "We're sorry, but something went wrong"})
        if fail == "401":
            return self.send(401, {"error": "The access token was revoked"})
        if fail == "hang":
            time.sleep(3600)
            return
        if fail == "error200":
            return self.send(200, {"error": "Validation failed: Text can't be blank"})
        media_ids = [str(m) for m in b.get("media_ids", [])]
        with LOCK:
            media = [STATE["media_by_id"].get(m) for m in media_ids]
        if any(m is None for m in media):
            return self.send(422, {"error": "Validation failed: Media attachments is invalid"})
        if any(m["pending"] for m in media):
            return self.send(422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"})
        with LOCK:
            if key and key in STATE["by_key"]:
                status = STATE["by_key"][key]
            else:
                sid = next_id()
                status = {
                    "id": sid,
                    "created_at": now_iso(),
                    "in_reply_to_id": b.get("in_reply_to_id"),
                    "visibility": b.get("visibility", "public"),
                    "content": "<p>" + b.get("status", "") + "</p>",
                    "text": b.get("status", ""),
                    "idempotency_key": key,
                    "account": account(BRAND["username"]),
                    "media_ids": media_ids,
                    "media_attachments": [self.attachment(m, True) for m in media],
                }
                STATE["posts"].append(status)
                if key:
                    STATE["by_key"][key] = status
            hold = STATE["hold_ms"]
        if hold:
            # The post is made; the answer is late (a test kills the client meanwhile).
            time.sleep(hold / 1000.0)
        self.send(200, status)

    def stream(self, path):
        fail = self.pop_fail("stream")
        if fail == "500":
            return self.send(500, {"error": "stream down"})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with LOCK:
            STATE["streams"] += 1
            seen = len(STATE["notifications"])
        try:
            if fail == "disconnect":
                return
            if fail == "silent":
                time.sleep(30)
                return
            self.wfile.write(b":)\n")
            self.wfile.flush()
            last_beat = time.time()
            while True:
                with LOCK:
                    if len(STATE["notifications"]) == seen:
                        LOCK.wait(timeout=0.5)
                    fresh = STATE["notifications"][seen:]
                    seen += len(fresh)
                if fresh:
                    chunks = []
                    for n in fresh:
                        chunks.append(b"event: notification\ndata: " + json.dumps(n).encode() + b"\n\n")
                    data = b"".join(chunks)
                    if fail == "half":
                        # Half an event, then the connection drops.
                        self.wfile.write(data[: len(data) - 40])
                        self.wfile.flush()
                        return
                    self.wfile.write(data)
                    self.wfile.flush()
                if time.time() - last_beat > 1.0:
                    self.wfile.write(b":thump\n")
                    self.wfile.flush()
                    last_beat = time.time()
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client killed mid-request (the tests do it on purpose) is not news.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--brand-id", default="1")
    parser.add_argument("--brand", default="marque")
    args = parser.parse_args()
    BRAND["id"], BRAND["username"] = args.brand_id, args.brand
    # Status ids are a server's own: two fakes (two servers) number theirs apart.
    STATE["next_id"] += zlib.crc32(args.brand.encode()) % 1000 * 1_000_000
    server = Server(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
